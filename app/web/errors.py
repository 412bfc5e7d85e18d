"""The one place that renders errors: HTML error page, flash + redirect, or problem+json.

Domain errors (`app.errors`) carry a status, a stable code and data; the handlers here turn
them, Werkzeug's HTTP errors, a lost database and unexpected exceptions into a response.
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, flash, json, redirect, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.db import close_session
from app.errors import N_, PROBLEM_BASE, DomainError, Msg, translated

log = logging.getLogger(__name__)


def problem_response(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def same_origin_path(url: str | None) -> str | None:
    """The path (and query) of `url` if it points into this site, else None: an error
    redirect goes back to the page the form was on, never to a foreign `Referer`."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    here = urlsplit(request.host_url)
    if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc) != (here.scheme, here.netloc):
        return None
    path = parts.path
    # "//host" and "/\\host" are other sites to a browser.
    if not path.startswith("/") or path.startswith("//") or path.startswith("/\\") or any(c in path for c in "\r\n"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


# The HTTP errors a user can meet on a page, in words the catalog translates (werkzeug's are English).
_HTTP_TEXTS: dict[int, tuple[Msg, Msg]] = {
    400: (N_("Bad request"), N_("The request could not be understood; reload the page and try again.")),
    403: (N_("Forbidden"), N_("Your role does not allow this page or action.")),
    404: (N_("Not found"), N_("There is nothing at this address.")),
    405: (N_("Method not allowed"), N_("This address does not accept that kind of request.")),
    413: (N_("File too large"), N_("The upload is larger than the server accepts.")),
    429: (N_("Too many requests"), N_("Too many attempts; wait a moment and try again.")),
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> ResponseReturnValue:
        if _wants_problem():
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            return problem_response(exc.problem(), exc.status, headers)
        if request.method == "POST" and exc.status in (409, 422):
            flash(translated(exc.detail), "error")
            return redirect(same_origin_path(request.referrer) or request.path)
        return render_template("error.html", status=exc.status, title=translated(exc.title),
                               detail=translated(exc.detail)), exc.status

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
        title, detail = _HTTP_TEXTS.get(exc.code or 0, (exc.name, exc.description))
        return render_template("error.html", status=exc.code, title=translated(title),
                               detail=translated(detail)), exc.code

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError) -> ResponseReturnValue:
        # The connection was lost (killed backend, restart) or SQLite stayed locked: the unit
        # of work was rolled back; the pool replaces the connection for the next request.
        # The request's session is dropped first: rendering the page (the signed-in user in
        # the header) must not reuse a session whose connection is dead.
        close_session()
        log.error("database unavailable on %s %s: %s", request.method, request.path,
                  str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__)
        if _wants_problem():
            body = {"type": PROBLEM_BASE + "database-unavailable", "title": "Service unavailable", "status": 503,
                    "detail": "The database could not complete this request; nothing was changed. Retry shortly."}
            return problem_response(body, 503, {"Retry-After": "5"})
        return render_template("error.html", status=503, title=translated(N_("Service unavailable")),
                               detail=translated(N_("The database could not complete this request; nothing was "
                                                    "changed. Try again in a moment."))), 503, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_problem():
            body = {"type": PROBLEM_BASE + "internal", "title": "Internal error", "status": 500,
                    "detail": "The server failed to handle this request; it has been logged."}
            return problem_response(body, 500)
        return render_template("error.html", status=500, title=translated(N_("Internal error")),
                               detail=translated(N_("Something went wrong; it has been logged."))), 500
