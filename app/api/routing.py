"""How an API operation is declared once and used twice: as a Flask route (auth, input
parsing) and as an OpenAPI operation (`app.api.openapi` reads `OPERATIONS`).

Input errors become problems here: wrong content type 415, malformed JSON 400, any
schema violation 422 with `errors` naming each field like ``lines[0].quantity``.
"""
from __future__ import annotations

import json
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, request
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.audit.service import Actor
from app.auth.access import PUBLIC, TOKEN, AccessRule, declare
from app.auth.service import client_for_token
from app.db import session as db_session
from app.errors import DomainError, Forbidden, Unauthorized, ValidationFailed

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class MalformedJson(DomainError):
    code = "malformed-json"
    title = "Malformed JSON"
    status = 400


class UnsupportedMediaType(DomainError):
    code = "unsupported-media-type"
    title = "Unsupported media type"
    status = 415


@dataclass(frozen=True)
class ApiPrincipal:
    """The authenticated API client (plain data: survives a rollback of the session)."""

    id: int
    name: str
    scopes: frozenset[str]

    @property
    def actor(self) -> Actor:
        return Actor("api", self.id, self.name)

    @property
    def admin(self) -> bool:
        return "admin" in self.scopes

    @property
    def owner(self) -> int | None:
        """Whose reservations this client may see and close: its own, or any (None) if admin."""
        return None if self.admin else self.id

    @property
    def source(self) -> str:
        """The ledger `source` of movements this client sends: event ids are unique per source."""
        return f"api:{self.id}"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI style: /reservations/{id}
    name: str
    summary: str
    scope: str | None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    responses: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    idempotent: bool = False
    path_params: dict[str, Any] = field(default_factory=dict)
    description: str | None = None  # prose for the OpenAPI operation, after the scope line


OPERATIONS: list[Operation] = []


def field_path(loc: tuple[int | str, ...]) -> str:
    """('lines', 0, 'quantity') → 'lines[0].quantity'; the empty location is the body."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def validation_problem(exc: ValidationError, prefix: str = "") -> ValidationFailed:
    """A 422 naming every bad field; `prefix` names a path parameter validated on its own."""
    errors = []
    for e in exc.errors(include_url=False):
        where = field_path(e["loc"]) if e["loc"] else ""
        name = ".".join(p for p in (prefix, where) if p) or "body"
        errors.append({"field": name, "message": e["msg"]})
    return ValidationFailed(f"{len(errors)} invalid field(s): " + ", ".join(e["field"] for e in errors), errors)


def authenticate(scope: str | None) -> ApiPrincipal:
    """The client behind the bearer token; 401 if missing/unknown, 403 without `scope`."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required (Authorization: Bearer <token>)")
    client = client_for_token(db_session, token)  # a factory: a cached token opens no session
    if client is None:
        raise Unauthorized("the bearer token is unknown or revoked")
    principal = ApiPrincipal(client.id, client.name, client.scopes)
    if scope is not None and scope not in principal.scopes and "admin" not in principal.scopes:
        raise Forbidden(f"this token lacks the {scope} scope", required_scope=scope)
    return principal


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The body as `model`: `application/json` in UTF-8 only (415 otherwise — no `+json`
    variants, no other charset), valid JSON (400) with no key twice in one object (422: which
    one wins differs between parsers), then the schema (422 naming each field)."""
    charset = request.mimetype_params.get("charset", "utf-8").strip().lower()
    if request.mimetype != "application/json" or charset not in ("utf-8", "utf8"):
        sent = request.content_type or "nothing"
        raise UnsupportedMediaType(f"send the body as application/json in UTF-8, not {sent}")
    data = request.get_data(cache=True)
    try:
        json.loads(data.decode("utf-8"), object_pairs_hook=_refuse_duplicate_keys)
    except UnicodeDecodeError as exc:
        raise MalformedJson("the body is not UTF-8", errors=[
            {"field": "body", "message": f"invalid UTF-8 at byte {exc.start}"}]) from None
    except DuplicateKey as exc:
        raise ValidationFailed(f"the key {exc.key!r} appears twice in one JSON object", [
            {"field": exc.key, "message": "appears twice in one JSON object"}]) from None
    except (ValueError, RecursionError):
        pass  # not JSON (or nested too deep for the stdlib parser): pydantic's parser below says where
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise MalformedJson("the body is not valid JSON", errors=[
                {"field": "body", "message": e["msg"]} for e in exc.errors(include_url=False)]) from None
        raise validation_problem(exc) from None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


def parse_query(model: type[BaseModel]) -> BaseModel:
    """Validate the query string against `model`; an unknown parameter is a 422 naming it
    (a misspelt filter such as `?warehose=` must not silently widen the answer)."""
    unknown = sorted(set(request.args) - set(model.model_fields))
    if unknown:
        raise ValidationFailed(
            f"unknown query parameter(s): {', '.join(unknown)}",
            [{"field": name, "message": "unknown query parameter"} for name in unknown],
        )
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        values = request.args.getlist(name)
        if values:
            data[name] = values if _is_list(info.annotation) else values[-1]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def endpoint(
    method: str,
    path: str,
    *,
    summary: str,
    scope: str | None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    responses: dict[int, type[BaseModel] | None],
    errors: tuple[int, ...] = (),
    idempotent: bool = False,
    path_params: dict[str, Any] | None = None,
    description: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a handler as route + OpenAPI operation. The handler receives the principal
    (if `scope`), validated path parameters, and `query=`/`body=` models."""
    adapters = {name: TypeAdapter(t) for name, t in (path_params or {}).items()}

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(Operation(method, path, fn.__name__, summary, scope, body, query, responses, errors,
                                    idempotent, dict(path_params or {}), description))

        @wraps(fn)
        def view(**path_args: Any) -> Any:
            args: list[Any] = []
            if scope is not None:
                args.append(authenticate(scope))
            for name, adapter in adapters.items():
                try:
                    path_args[name] = adapter.validate_python(path_args[name])
                except ValidationError as exc:
                    raise validation_problem(exc, prefix=name) from None
            kwargs: dict[str, Any] = dict(path_args)
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = parse_body(body)
            return fn(*args, **kwargs)

        flask_path = path.replace("{", "<").replace("}", ">")
        declare(view, AccessRule(TOKEN, (scope,)) if scope else AccessRule(PUBLIC, note="no token needed"))
        bp.add_url_rule(flask_path, endpoint=fn.__name__, view_func=view, methods=[method])
        return fn

    return decorator
