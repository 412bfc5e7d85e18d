"""The browsable API reference: Swagger UI (vendored under app/web/static/vendor, no CDN)
reading /api/v1/openapi.json. Public, like the document it shows."""
from __future__ import annotations

from typing import Any

from flask import render_template

from app.api.routing import bp
from app.auth.access import public


@bp.get("/docs")
@public("the API reference (the OpenAPI document is public too)")
def docs() -> Any:
    return render_template("api/docs.html")
