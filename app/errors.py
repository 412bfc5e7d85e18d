"""Domain errors and the one place that renders them (HTML page, flash, or problem+json).

Services raise `DomainError` subclasses carrying data and a stable `code`; they never
raise HTTP errors. Handlers here map them to a status and a body.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, flash, json, redirect, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://stockwise.dev/problems/"


class DomainError(Exception):
    """A business rule said no. `code` is stable; `status` is the HTTP status it maps to."""

    code = "domain-error"
    title = "Request not possible"
    status = 409

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.data = data

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.data)
        return body


class NotFound(DomainError):
    code = "not-found"
    title = "Not found"
    status = 404


class ValidationFailed(DomainError):
    """Input broke a rule; `errors` is a list of {"field", "message"}."""

    code = "validation-error"
    title = "Invalid request"
    status = 422

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, **data: Any) -> None:
        super().__init__(detail, errors=errors or [], **data)


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"
    status = 409


class InvalidState(Conflict):
    code = "invalid-state"
    title = "Not allowed in the current state"


class InsufficientStockError(Conflict):
    code = "insufficient-stock"
    title = "Insufficient stock"


class Unauthorized(DomainError):
    code = "unauthorized"
    title = "Unauthorized"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    title = "Forbidden"
    status = 403


def problem_response(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Any:
        if _wants_problem():
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            return problem_response(exc.problem(), exc.status, headers)
        if request.method == "POST" and exc.status in (409, 422):
            flash(exc.detail, "error")
            return redirect(request.referrer or request.path)
        return render_template("error.html", status=exc.status, title=exc.title, detail=exc.detail), exc.status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if _wants_problem():
            body = {
                "type": PROBLEM_BASE + (exc.name or "error").lower().replace(" ", "-"),
                "title": exc.name,
                "status": exc.code,
                "detail": exc.description,
            }
            return problem_response(body, exc.code or 500)
        if exc.code and exc.code < 500 and exc.code not in (400, 403, 404, 405, 413, 429):
            return exc
        return render_template("error.html", status=exc.code, title=exc.name, detail=exc.description), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_problem():
            body = {"type": PROBLEM_BASE + "internal", "title": "Internal error", "status": 500,
                    "detail": "The server failed to handle this request; it has been logged."}
            return problem_response(body, 500)
        return render_template("error.html", status=500, title="Internal error",
                               detail="Something went wrong; it has been logged."), 500
