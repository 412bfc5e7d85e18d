"""Domain errors and the one place that renders them (HTML page, flash, or problem+json).

Services raise `DomainError` subclasses carrying data and a stable `code`; they never
raise HTTP errors. Handlers here map them to a status and a body.

Messages users read are written with `N_("... %(name)s ...", name=value)`: a `Msg` is the
English text (logs, the CLI and problem+json bodies stay English) that also remembers its
catalog id and parameters, so `translated()` — called only by the renderers — shows it in the
reader's language. Services never call gettext themselves (they run outside requests too).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, flash, json, redirect, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://stockwise.dev/problems/"


class Msg(str):
    """English text that remembers its catalog id and parameters (build it with `N_`)."""

    msgid: str
    params: dict[str, Any]
    parts: list[Any] | None = None  # set by `joined`
    sep: str = ""

    def __new__(cls, msgid: str, params: dict[str, Any] | None = None) -> Msg:
        params = dict(params or {})
        obj = super().__new__(cls, msgid % params if params else msgid)
        obj.msgid, obj.params = msgid, params
        return obj


def N_(msgid: str, **params: Any) -> Msg:
    """Mark a user-facing message for translation; `msgid` uses %(name)s placeholders."""
    return Msg(msgid, params)


def word(value: str) -> Msg:
    """A status/kind word (e.g. "draft") as a message parameter: translated like the status badges."""
    return Msg(value.replace("_", " "))


def joined(messages: Sequence[Any], sep: str = " · ") -> Msg:
    """Several messages as one (e.g. every bad line of a form), each translated on its own."""
    out = Msg(sep.join(str(m) for m in messages))
    out.parts, out.sep = list(messages), sep
    return out


def translated(message: Any) -> str:
    """`message` in the current request's language: a `Msg` (and any `Msg` parameter) goes
    through gettext; anything else is shown as it is. Call it only while rendering."""
    if not isinstance(message, Msg):
        return "" if message is None else str(message)
    if message.parts:
        return message.sep.join(translated(m) for m in message.parts)
    from flask_babel import gettext

    params = {k: translated(v) if isinstance(v, Msg) else v for k, v in message.params.items()}
    return str(gettext(message.msgid, **params) if params else gettext(message.msgid))


class DomainError(Exception):
    """A business rule said no. `code` is stable; `status` is the HTTP status it maps to."""

    code = "domain-error"
    title: str = N_("Request not possible")
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
    title = N_("Not found")
    status = 404


class ValidationFailed(DomainError):
    """Input broke a rule; `errors` is a list of {"field", "message"}."""

    code = "validation-error"
    title = N_("Invalid request")
    status = 422

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, **data: Any) -> None:
        super().__init__(detail, errors=errors or [], **data)


class Conflict(DomainError):
    code = "conflict"
    title = N_("Conflict")
    status = 409


class InvalidState(Conflict):
    code = "invalid-state"
    title = N_("Not allowed in the current state")


class InsufficientStockError(Conflict):
    code = "insufficient-stock"
    title = N_("Insufficient stock")


class Unauthorized(DomainError):
    code = "unauthorized"
    title = N_("Unauthorized")
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    title = N_("Forbidden")
    status = 403


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
    def _domain(exc: DomainError) -> Any:
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
    def _database_unavailable(exc: OperationalError) -> Any:
        # The connection was lost (killed backend, restart) or SQLite stayed locked: the unit
        # of work was rolled back; the pool replaces the connection for the next request.
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
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_problem():
            body = {"type": PROBLEM_BASE + "internal", "title": "Internal error", "status": 500,
                    "detail": "The server failed to handle this request; it has been logged."}
            return problem_response(body, 500)
        return render_template("error.html", status=500, title=translated(N_("Internal error")),
                               detail=translated(N_("Something went wrong; it has been logged."))), 500
