"""The stock API (/api/v1): schemas, handlers, OpenAPI, idempotency, webhooks."""
from __future__ import annotations

from flask import Blueprint


def blueprint() -> Blueprint:
    """The API blueprint with every handler registered (importing views registers them)."""
    from app.api import docs, views  # noqa: F401
    from app.api.routing import bp

    return bp
