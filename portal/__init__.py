"""The supplier portal: its own login, a supplier's POs, shipment notices, stock and scorecard.

Supplier sessions are separate from staff sessions (principal ids "supplier:<id>" vs
"staff:<id>"): every portal page requires a supplier principal, and every object is
looked up within the logged-in supplier, so another supplier's id is a 404.
"""
from __future__ import annotations

from flask import Blueprint


def pages_blueprint() -> Blueprint:
    """The portal blueprint with every page registered (importing the page modules does)."""
    from portal import insight_views, views  # noqa: F401
    from portal.blueprint import bp

    return bp
