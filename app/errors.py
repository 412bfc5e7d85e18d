"""Domain errors: plain Python, importable from any layer (services, CLI, jobs, the web).

Services raise `DomainError` subclasses carrying data and a stable `code`; they never
raise HTTP errors. The web layer (`app.web.errors`) renders them as a flash message, an
error page or a problem+json body; nothing here imports Flask or Werkzeug.

Messages users read are written with `N_("... %(name)s ...", name=value)`: a `Msg` is the
English text (logs, the CLI and problem+json bodies stay English) that also remembers its
catalog id and parameters, so `translated()` — called only by the renderers — shows it in the
reader's language (it imports Flask-Babel when called, never at import). Services never
call gettext themselves (they run outside requests too).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
