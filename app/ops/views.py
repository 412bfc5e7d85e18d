"""`GET /healthz` (database reachable → 200, else 503) and `GET /metrics` (Prometheus text).

`/metrics` names API clients and traffic: it answers a bearer token with the `admin` scope,
or a client address inside `STOCKWISE_METRICS_ALLOW_NETS` (docs/deploy.md); anyone else gets
401 (no or unknown token) or 403 (a token without `admin`).
"""
from __future__ import annotations

import ipaddress

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from app.auth.access import TOKEN, AccessRule, declared, public
from app.config import parse_networks
from app.db import session as db_session
from app.errors import DomainError
from app.ops import prometheus

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@public("load-balancer health check; says only whether the database answers")
def healthz() -> ResponseReturnValue:
    try:
        db_session().execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not ready"
        return {"status": "unavailable", "database": "unreachable", "detail": type(exc).__name__}, 503
    return {"status": "ok", "database": "ok"}


def _address_allowed() -> bool:
    allow = parse_networks(current_app.config.get("METRICS_ALLOW_NETS") or (), "METRICS_ALLOW_NETS")
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address.version == net.version and address in net for net in allow)


def _refusal() -> Response | None:
    """None if this request may read the metrics, else the 401/403 to send."""
    if _address_allowed():
        return None
    from app.api.routing import authenticate

    try:
        authenticate("admin")
    except DomainError as exc:
        resp = Response(exc.detail + "\n", status=exc.status, mimetype="text/plain")
        if exc.status == 401:
            resp.headers["WWW-Authenticate"] = "Bearer"
        return resp
    return None


@bp.get("/metrics")
@declared(AccessRule(TOKEN, ("admin",), note="or a client address in METRICS_ALLOW_NETS"))
def prometheus_metrics() -> Response:
    refused = _refusal()
    if refused is not None:
        return refused
    registry = current_app.extensions.get("stockwise_metrics_registry")
    if registry is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        registry = current_app.extensions["stockwise_metrics_registry"] = prometheus.registry_for(app)
    return Response(prometheus.render(registry), mimetype=CONTENT_TYPE_LATEST)
