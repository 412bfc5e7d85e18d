"""Webhook delivery: the change log is the outbox; each API client with a webhook_url
has a cursor into it (`webhook_cursor`, the last `seq` it acknowledged).

A delivery claims the client with a lease (a conditional update of
`webhook_next_attempt_at`, so two deliverers never send one client's batches at
once), POSTs the next batch *outside* any transaction, then records the attempt and
— only on a 2xx — advances the cursor (conditionally on it not having moved). So
changes are delivered at least once, in order; a failure backs off exponentially.
Deliveries to different clients run in parallel with connect/read/total timeouts, go
only to addresses `app.api.webhook_address` allows, and never follow a redirect.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import requests
from flask import current_app
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.api.schemas import ChangeList, WebhookBatch
from app.api.webhook_address import allowed_networks, webhook_session
from app.auth.models import ApiClient, WebhookDelivery
from app.config import Network
from app.db import transaction, utcnow
from app.stock.levels import changes_after, changes_pending
from app.stock.models import StockChange

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Stockwise-Signature"
LEASE = dt.timedelta(seconds=60)
BACKOFF_BASE = dt.timedelta(seconds=5)
BACKOFF_MAX = dt.timedelta(hours=1)
MAX_PARALLEL = 8  # clients delivered to at once


def sign(body: bytes, secret: str) -> str:
    """`sha256=<hex HMAC-SHA256 of body keyed with the client's webhook secret>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(failures: int) -> dt.timedelta:
    """Delay after the n-th consecutive failure: 5 s, 10 s, 20 s, … capped at one hour."""
    return min(BACKOFF_BASE * (2 ** max(failures - 1, 0)), BACKOFF_MAX)


def webhook_backlog(session: Session) -> list[tuple[str, int]]:
    """(client name, changes not yet acknowledged) for every active webhook client."""
    rows = session.execute(select(ApiClient.name, ApiClient.webhook_cursor).where(
        ApiClient.is_active.is_(True), ApiClient.webhook_url.is_not(None))).all()
    return [(name, changes_pending(session, cursor)) for name, cursor in rows]


@dataclass(frozen=True)
class Claim:
    client_id: int
    url: str
    secret: str
    cursor: int
    failures: int


def claim_due_clients(session: Session, *, now: dt.datetime) -> list[Claim]:
    """Lease every active webhook client that is due and has changes after its cursor."""
    last = session.scalar(select(func.max(StockChange.seq)).where(StockChange.hidden.is_(False))) or 0
    due = or_(ApiClient.webhook_next_attempt_at.is_(None), ApiClient.webhook_next_attempt_at <= now)
    candidates = session.execute(select(ApiClient.id, ApiClient.webhook_url, ApiClient.webhook_secret,
                                        ApiClient.webhook_cursor, ApiClient.webhook_failures).where(
        ApiClient.is_active.is_(True), ApiClient.webhook_url.is_not(None), ApiClient.webhook_cursor < last, due,
    ).order_by(ApiClient.id)).all()
    claims = []
    for cid, url, secret, cursor, failures in candidates:
        won = session.execute(update(ApiClient).where(ApiClient.id == cid, due)
                              .values(webhook_next_attempt_at=now + LEASE)
                              .execution_options(synchronize_session=False))
        if getattr(won, "rowcount", 0) == 1:
            claims.append(Claim(cid, url or "", secret or "", cursor, failures))
    return claims


def record_attempt(session: Session, claim: Claim, *, first: int, last: int, ok: bool, status: int | None,
                   error: str | None, now: dt.datetime) -> None:
    """Store the attempt; on success advance the cursor, else schedule a retry with back-off."""
    session.execute(insert(WebhookDelivery).values(
        api_client_id=claim.client_id, first_seq=first, last_seq=last, attempt=claim.failures + 1, succeeded=ok,
        response_status=status, error=(error or "")[:500] or None, attempted_at=now))
    where = (ApiClient.id == claim.client_id, ApiClient.webhook_cursor == claim.cursor)
    if ok:
        values: dict[str, Any] = {"webhook_cursor": last, "webhook_failures": 0, "webhook_next_attempt_at": None}
    else:
        values = {"webhook_failures": claim.failures + 1,
                  "webhook_next_attempt_at": now + backoff(claim.failures + 1)}
    session.execute(update(ApiClient).where(*where).values(**values).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Timeouts:
    """Seconds: to connect, between bytes read, and for the whole attempt (a receiver that
    trickles its answer is cut at `total`)."""

    connect: float = 5.0
    read: float = 10.0
    total: float = 20.0


@dataclass(frozen=True)
class _Attempt:
    ok: bool
    status: int | None
    error: str | None


def _post(url: str, body: bytes, secret: str, allow: tuple[Network, ...], timeouts: Timeouts) -> _Attempt:
    """One signed POST: only to an allowed address, no redirects, bounded in time."""
    http, opened = webhook_session(allow)
    overran = threading.Event()

    def cut() -> None:  # the deadline passed: unblock the read; whatever was read does not count
        overran.set()
        for sock in list(opened):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeouts.total, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        resp = http.post(url, data=body, timeout=(timeouts.connect, timeouts.read), allow_redirects=False, stream=True,
                         headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)})
        resp.close()  # the status is the answer; the body is not read
    except requests.RequestException as exc:
        if overran.is_set():
            return _Attempt(False, None, f"no answer within {timeouts.total:g} s (deadline)")
        return _Attempt(False, None, f"{type(exc).__name__}: {exc}")
    finally:
        watchdog.cancel()
        http.close()
    if overran.is_set():
        return _Attempt(False, None, f"no complete answer within {timeouts.total:g} s (deadline)")
    if 200 <= resp.status_code < 300:
        return _Attempt(True, resp.status_code, None)
    if 300 <= resp.status_code < 400:
        return _Attempt(False, resp.status_code, f"HTTP {resp.status_code}: redirects are not followed")
    return _Attempt(False, resp.status_code, f"HTTP {resp.status_code}")


def deliver_once(*, batch_size: int = 100, clock: Callable[[], dt.datetime] = utcnow,
                 timeouts: Timeouts | None = None) -> tuple[int, int]:
    """One round: one batch to every due client. Returns (batches delivered, failures).

    Runs its own short transactions (claim, read, record); never holds one over HTTP. The
    POSTs run in parallel, one thread per client (at most `MAX_PARALLEL`), and each is
    recorded as soon as it ends: a receiver that hangs costs its own client a timeout and
    a back-off, never another client's delivery.
    """
    timeouts = timeouts or Timeouts(**current_app.config.get("WEBHOOK_TIMEOUTS", {}))
    allow = allowed_networks()
    with transaction() as s:
        claims = claim_due_clients(s, now=clock())
    delivered = failed = 0
    pending: dict[Future[_Attempt], tuple[Claim, int, int]] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL, len(claims)))) as pool:
        for claim in claims:
            with transaction() as s:
                page = changes_after(s, after=claim.cursor, limit=batch_size)
            if not page.changes:
                with transaction() as s:
                    record_attempt(s, claim, first=claim.cursor, last=claim.cursor, ok=True, status=None,
                                   error=None, now=clock())
                continue
            body = WebhookBatch(changes=ChangeList.of(page).changes).model_dump_json().encode()
            future = pool.submit(_post, claim.url, body, claim.secret, allow, timeouts)
            pending[future] = (claim, page.changes[0].cursor, page.next_cursor)
        for future in as_completed(pending):
            claim, first, last = pending[future]
            attempt = future.result()
            with transaction() as s:
                record_attempt(s, claim, first=first, last=last, ok=attempt.ok, status=attempt.status,
                               error=attempt.error, now=clock())
            if attempt.ok:
                delivered += 1
            else:
                failed += 1
                log.warning("webhook delivery to client %s failed: %s", claim.client_id, attempt.error)
    return delivered, failed


def deliver_pending(*, batch_size: int = 100, max_rounds: int = 1000, clock: Callable[[], dt.datetime] = utcnow,
                    timeouts: Timeouts | None = None) -> tuple[int, int]:
    """Rounds until nothing is due (every client caught up or backing off)."""
    total_ok = total_failed = 0
    for _ in range(max_rounds):
        ok, failed = deliver_once(batch_size=batch_size, clock=clock, timeouts=timeouts)
        total_ok, total_failed = total_ok + ok, total_failed + failed
        if ok == 0:
            break
    return total_ok, total_failed
