"""`GET /healthz` (database reachable → 200, else 503) and `GET /metrics` (Prometheus text)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from app.db import session as db_session
from app.ops import metrics

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    try:
        db_session().execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not ready"
        return {"status": "unavailable", "database": "unreachable", "detail": type(exc).__name__}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    registry = current_app.extensions.get("stockwise_metrics_registry")
    if registry is None:
        registry = current_app.extensions["stockwise_metrics_registry"] = metrics.registry_for(current_app._get_current_object())  # type: ignore[attr-defined]
    return Response(metrics.render(registry), mimetype=CONTENT_TYPE_LATEST)
