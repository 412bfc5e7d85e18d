"""The supplier portal: its own login, a supplier's POs, shipment notices, stock and scorecard.

Supplier sessions are separate from staff sessions (principal ids "supplier:<id>" vs
"staff:<id>"): every portal page requires a supplier principal, and every object is
looked up within the logged-in supplier, so another supplier's id is a 404.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")

from portal import views  # noqa: E402,F401  (registers the routes on bp)
