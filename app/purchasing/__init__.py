"""Purchase orders, receipts and inspection, returns to supplier, short-close."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the domain package stays importable without Flask
    from flask import Blueprint


def pages_blueprint() -> Blueprint:
    """The purchasing pages' blueprint with every route registered (importing the page modules does)."""
    from app.purchasing import receiving_views, return_views, views  # noqa: F401
    from app.purchasing.web import bp

    return bp
