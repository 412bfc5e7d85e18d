"""State-changing POSTs: one transaction, and `Idempotency-Key` replay stored inside it.

With a key, the transaction first inserts a placeholder `idempotency_record` for
(client, key) — the unique constraint makes a concurrent twin wait there and then fail
— runs the action in a savepoint, and stores the response (success or domain-error
problem) in the same transaction as the effect. The twin catches the IntegrityError,
rolls back and replays the stored response. Same key with another request → 422.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, request
from pydantic import BaseModel
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.api.routing import ApiPrincipal
from app.api.schemas import Problem
from app.db import transaction, utcnow
from app.errors import N_, Conflict, DomainError, ValidationFailed
from app.stock.models import IdempotencyRecord
from app.stock.reservations_sql import StatementResult

KEY_HEADER = "Idempotency-Key"
KEY_RE = re.compile(r"^[\x20-\x7e]{1,255}$")
# Keys are remembered at least this long (docs/api.md says ≥ 24 hours).
RETENTION = dt.timedelta(hours=24)
IN_FLIGHT = 0  # response_status of a placeholder (only ever visible inside its own transaction)


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency-key-reused"
    title = N_("Idempotency key reused with a different request")


class IdempotencyInFlight(Conflict):
    code = "idempotency-in-flight"
    title = N_("A request with this idempotency key is still being processed")


class ConcurrentConflict(Conflict):
    code = "concurrent-conflict"
    title = N_("A concurrent request conflicted; retry")


@dataclass(frozen=True)
class Outcome:
    """A response to send and, with a key, to store: status and exact body text."""

    status: int
    body: str

    @classmethod
    def of(cls, status: int, model: BaseModel) -> Outcome:
        return cls(status, model.model_dump_json())

    @classmethod
    def problem(cls, exc: DomainError) -> Outcome:
        return cls(exc.status, Problem.model_validate(exc.problem()).model_dump_json(exclude_none=True))

    def response(self, replayed: bool = False) -> Response:
        mimetype = "application/problem+json" if self.status >= 400 else "application/json"
        resp = Response(self.body, status=self.status, mimetype=mimetype)
        if replayed:
            resp.headers["Idempotent-Replayed"] = "true"
        return resp


class _KeyTaken(Exception):
    """The placeholder insert hit the unique (client, key) constraint: a twin committed first."""


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _stored(session: Session, client_id: int, key: str) -> IdempotencyRecord | None:
    return session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.api_client_id == client_id, IdempotencyRecord.key == key))


def _key_reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        "this Idempotency-Key was used with a different request (method, path or body)",
        [{"field": KEY_HEADER, "message": "already used with a different request"}])


def _store(session: Session, client_id: int, key: str, outcome: Outcome) -> None:
    session.execute(update(IdempotencyRecord)
                    .where(IdempotencyRecord.api_client_id == client_id, IdempotencyRecord.key == key)
                    .values(response_status=outcome.status, response_body=outcome.body))


def _key_of_request() -> str | None:
    key = request.headers.get(KEY_HEADER)
    if key is not None and not KEY_RE.match(key):
        raise ValidationFailed(f"{KEY_HEADER} must be 1–255 printable ASCII characters",
                               [{"field": KEY_HEADER, "message": "1–255 printable ASCII characters"}])
    return key


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise _key_reused()
    if record.response_status == IN_FLIGHT:
        raise IdempotencyInFlight("the first request with this Idempotency-Key has not finished; retry later")
    return Outcome(record.response_status, record.response_body).response(replayed=True)


def run_write(principal: ApiPrincipal, action: Callable[[Session], Outcome]) -> Response:
    """Run `action` in the entry point's one transaction, honouring `Idempotency-Key`."""
    key = _key_of_request()
    if key is None:
        try:
            with transaction() as s:
                outcome = action(s)
        except IntegrityError as exc:
            raise ConcurrentConflict("a concurrent request changed the same data; retry") from exc
        return outcome.response()
    fingerprint = _fingerprint()
    try:
        with transaction() as s:
            record = _stored(s, principal.id, key)
            if record is not None:
                return _replay(record, fingerprint)
            try:
                s.execute(insert(IdempotencyRecord).values(
                    api_client_id=principal.id, key=key, fingerprint=fingerprint, response_status=IN_FLIGHT,
                    response_body="", created_at=utcnow()))
            except IntegrityError as exc:
                raise _KeyTaken() from exc
            try:
                with s.begin_nested():
                    outcome = action(s)
            except DomainError as exc:
                outcome = Outcome.problem(exc)  # the first answer is the answer, errors included
            _store(s, principal.id, key, outcome)
    except _KeyTaken:
        with transaction() as s:
            record = _stored(s, principal.id, key)
            if record is None:
                raise IdempotencyInFlight("a request with this Idempotency-Key was just abandoned; retry") from None
            return _replay(record, fingerprint)
    except IntegrityError as exc:
        raise ConcurrentConflict("a concurrent request changed the same data; retry") from exc
    return outcome.response()


OneStatement = Callable[[Session | None, str | None, str | None], StatementResult]


def run_in_one_statement(principal: ApiPrincipal, call: OneStatement) -> tuple[Response, StatementResult]:
    """Run a one-statement write (`app.stock.reservations_sql`) as the entry point's one
    transaction: `call(session, key, fingerprint)` claims the Idempotency-Key itself (a
    twin waits on it, then replays). A domain error is rendered here and, with a key,
    stored as the key's answer (the one extra statement, on error paths only). Without a
    key there is nothing to store: `call` gets no session and runs the statement as its own
    transaction (`app.db.one_statement`: one round trip)."""
    key = _key_of_request()
    try:
        if key is None:
            result = call(None, None, None)
            outcome = Outcome.problem(result.error) if result.error is not None else Outcome(result.status,
                                                                                             result.body or "")
            return outcome.response(), result
        with transaction() as s:
            result = call(s, key, _fingerprint())
            if result.key_reused:
                raise _key_reused()
            if result.replayed:
                return Outcome(result.status, result.body or "").response(replayed=True), result
            if result.error is not None:
                outcome = Outcome.problem(result.error)
                _store(s, principal.id, key, outcome)
            else:
                outcome = Outcome(result.status, result.body or "")
    except IntegrityError as exc:
        raise ConcurrentConflict("a concurrent request changed the same data; retry") from exc
    return outcome.response(), result


def prune_idempotency_records(session: Session, *, now: dt.datetime, keep: dt.timedelta = RETENTION) -> int:
    """Forget keys older than `keep` (never less than 24 hours); returns how many."""
    keep = max(keep, RETENTION)
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - keep))
    return int(getattr(result, "rowcount", 0) or 0)

