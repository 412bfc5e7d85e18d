from __future__ import annotations

from flask_wtf import FlaskForm


class ResolveForm(FlaskForm):
    """CSRF only: resolve a stored alert."""
