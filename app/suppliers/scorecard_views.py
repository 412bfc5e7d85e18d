"""Staff pages of supplier scorecards (blueprint `scorecards`, under /suppliers/scorecards)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scorecards", __name__, url_prefix="/suppliers/scorecards", template_folder="templates")
