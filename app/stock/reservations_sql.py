"""Reserve, commit and release in one statement each on PostgreSQL.

The SQL functions `stock_reserve` and `stock_close` (migration 1201) do what
`reservations.reserve_stock` / `commit_reservation` / `release_reservation` do in Python —
the same allocation rule, locks in the same global order, the same rows (idempotency
record, reservation, lines, allocations, ledger movements, audit row, balances, change
log) — in one round trip, so a hot balance row is locked for that one statement and the
COMMIT. tests/integration/test_reservations_one_statement.py proves both paths give the
same results. SQLite keeps the Python path (it serialises writers anyway).

Errors come back as data and become the same domain errors the Python path raises; nothing
but the Idempotency-Key placeholder has been written then (an overdue reservation's
expiry excepted, as in Python), and the caller stores the problem as the key's answer.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.db import one_statement
from app.errors import DomainError
from app.stock.reservation_types import (
    ReservationNotActive,
    ReserveLine,
    looks_like_id,
    reservation_not_found,
    shortage_error,
    unknown_sku_error,
)


@dataclass(frozen=True)
class StatementResult:
    """What one function call answered: a response to send (`status`, `body`), a replayed
    first answer, a key used for another request, or a domain error to render."""

    status: int
    body: str | None = None
    replayed: bool = False
    key_reused: bool = False
    error: DomainError | None = None
    expired: tuple[str, ...] = ()


# psycopg parameters (`%(name)s`): the same text runs straight through psycopg
# (`app.db.one_statement`) or through a session's connection (a keyed request's transaction).
_RESERVE = ("SELECT out_status, out_body, out_error, out_detail FROM stock_reserve(%(client)s, %(actor)s, %(key)s, "
            "%(fingerprint)s, %(id)s, %(order_ref)s, %(region)s, %(expires)s, %(now)s, %(skus)s::text[], "
            "%(qtys)s::integer[])")

_CLOSE = ("SELECT out_status, out_body, out_error, out_detail FROM stock_close(%(client)s, %(admin)s, %(actor)s, "
          "%(key)s, %(fingerprint)s, %(id)s, %(ship)s, %(now)s)")


def _one_row(session: Session | None, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """The function's one row: in `session`'s transaction, or (None) as its own transaction."""
    if session is None:
        (row,) = one_statement(sql, params)
        return row
    return tuple(session.connection().exec_driver_sql(sql, params).one())


def _answer(row: Any) -> StatementResult | None:
    """The replay / key-reused answers common to both functions; None for the others."""
    status, body, error, _detail = row
    if error == "replay":
        return StatementResult(status, body, replayed=True)
    if error == "key-reused":
        return StatementResult(422, key_reused=True)
    return None


def reserve_in_one_statement(
    session: Session | None,
    actor: Actor,
    *,
    api_client_id: int,
    key: str | None,
    fingerprint: str | None,
    order_ref: str,
    lines: Sequence[ReserveLine],
    now: dt.datetime,
    ttl_seconds: int = 900,
    region: str | None = None,
) -> StatementResult:
    """`reservations.reserve_stock` in one statement — in `session`'s transaction, or (None)
    as its own; with `key`, the Idempotency-Key is claimed (or its first answer replayed) by
    the same statement."""
    row = _one_row(session, _RESERVE, {
        "client": api_client_id, "actor": actor.label, "key": key, "fingerprint": fingerprint,
        "id": str(uuid.uuid4()), "order_ref": order_ref, "region": region,
        "expires": now + dt.timedelta(seconds=ttl_seconds), "now": now,
        "skus": [line.sku for line in lines], "qtys": [line.quantity for line in lines],
    })
    answered = _answer(row)
    if answered is not None:
        return answered
    status, body, error, detail = row
    if error == "unknown-sku":
        return StatementResult(422, error=unknown_sku_error(lines, detail))
    if error == "insufficient":
        return StatementResult(409, error=shortage_error(detail))
    return StatementResult(status, body, expired=tuple((detail or {}).get("expired") or ()))


def close_in_one_statement(
    session: Session | None,
    actor: Actor,
    *,
    api_client_id: int,
    admin: bool,
    key: str | None,
    fingerprint: str | None,
    reservation_id: str,
    commit: bool,
    now: dt.datetime,
) -> StatementResult:
    """`commit_reservation` (commit=True) or `release_reservation` in one statement. Another
    client's reservation is `NotFound` unless `admin`; an overdue one is expired and the
    result carries `ReservationNotActive` (the expiry is kept: commit, then answer 409)."""
    if not looks_like_id(reservation_id):
        return StatementResult(404, error=reservation_not_found(reservation_id))
    row = _one_row(session, _CLOSE, {
        "client": api_client_id, "admin": admin, "actor": actor.label, "key": key, "fingerprint": fingerprint,
        "id": reservation_id, "ship": commit, "now": now,
    })
    answered = _answer(row)
    if answered is not None:
        return answered
    status, body, error, detail = row
    if error == "not-found":
        return StatementResult(404, error=reservation_not_found(reservation_id))
    if error == "not-active":
        status_now = detail["status_now"]
        return StatementResult(409, error=ReservationNotActive(f"reservation {reservation_id} is {status_now}",
                                                               status_now=status_now))
    if error == "expired":
        expires_at = dt.datetime.fromisoformat(detail["expires_at"])
        return StatementResult(409, error=ReservationNotActive(
            f"reservation {reservation_id} expired at {expires_at.isoformat()}", status_now="expired"),
            expired=(reservation_id,))
    return StatementResult(status, body)
