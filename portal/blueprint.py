"""The supplier portal's blueprint (its pages: views.py, insight_views.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")
