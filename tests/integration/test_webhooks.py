"""Webhook delivery to a real local HTTP receiver: signed batches, in order, retried with back-off."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.webhooks import SIGNATURE_HEADER, deliver_pending
from app.auth.models import ApiClient, WebhookDelivery
from app.db import utcnow
from tests.factories import make_api_client, make_product, make_warehouse, receive_stock


class Receiver:
    """Records every POST; answers `fail_first` requests with 500, then 204."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests: list[tuple[bytes, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((body, self.headers.get(SIGNATURE_HEADER, "")))
                status = 500 if len(receiver.requests) <= receiver.fail_first else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _local_receivers_allowed(app: Any) -> None:
    """The receivers here listen on 127.0.0.1, which the address policy refuses by default
    (tests/integration/test_webhook_safety.py proves that); the operator setting allows it."""
    app.config["WEBHOOK_ALLOW_NETS"] = "127.0.0.0/8"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _client_with_hook(session: Session, url: str) -> tuple[ApiClient, str]:
    from app.auth import service
    from tests.factories import TEST_ACTOR

    client, _token, secret = service.create_api_client(session, TEST_ACTOR, name=f"hook-{url[-12:]}",
                                                       scopes=["stock:read"], webhook_url=url)
    assert secret
    return client, secret


def _changes(session: Session, n: int) -> None:
    w = make_warehouse(session, kind="cloud", code=f"WH-HOOK-{n}")
    for i in range(n):
        receive_stock(session, make_product(session, sku=f"HOOK-{n}-{i}"), w, i + 1)


def test_batches_are_signed_and_delivered_in_order_and_the_cursor_advances(
        app: Any, session: Session, receiver: Receiver) -> None:
    client, secret = _client_with_hook(session, receiver.url)
    _changes(session, 5)
    session.commit()
    delivered, failed = deliver_pending(batch_size=2)
    assert (delivered, failed) == (3, 0)
    cursors = []
    for body, signature in receiver.requests:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(signature, expected)
        changes = json.loads(body)["changes"]
        assert set(changes[0]) == {"cursor", "sku", "warehouse", "on_hand", "reserved", "available", "at"}
        cursors += [c["cursor"] for c in changes]
    assert cursors == sorted(cursors) and len(cursors) == len(set(cursors)) == 5
    assert [json.loads(b)["changes"][0]["sku"] for b, _ in receiver.requests] == ["HOOK-5-0", "HOOK-5-2", "HOOK-5-4"]
    session.expire_all()
    assert session.get(ApiClient, client.id).webhook_cursor == cursors[-1]  # type: ignore[union-attr]
    assert deliver_pending() == (0, 0)  # nothing more to send


def test_a_failing_receiver_is_retried_with_backoff_and_nothing_is_lost(app: Any, session: Session) -> None:
    receiver = Receiver(fail_first=2)
    try:
        client, _secret = _client_with_hook(session, receiver.url)
        _changes(session, 3)
        session.commit()
        clock = [utcnow()]
        assert deliver_pending(clock=lambda: clock[0]) == (0, 1)
        session.expire_all()
        row = session.get(ApiClient, client.id)
        assert row is not None and row.webhook_failures == 1 and row.webhook_cursor == 0
        assert row.webhook_next_attempt_at is not None and row.webhook_next_attempt_at > clock[0]
        assert deliver_pending(clock=lambda: clock[0]) == (0, 0)  # backing off: not due yet
        clock[0] += dt.timedelta(seconds=6)
        assert deliver_pending(clock=lambda: clock[0]) == (0, 1)  # second failure: 10 s back-off
        session.expire_all()
        assert session.get(ApiClient, client.id).webhook_failures == 2  # type: ignore[union-attr]
        clock[0] += dt.timedelta(seconds=11)
        assert deliver_pending(clock=lambda: clock[0]) == (1, 0)
        bodies = [json.loads(b)["changes"] for b, _ in receiver.requests]
        assert bodies[0] == bodies[1] == bodies[2]  # the same batch again: at least once, in order
        attempts = session.execute(select(WebhookDelivery.attempt, WebhookDelivery.succeeded,
                                          WebhookDelivery.response_status)
                                   .where(WebhookDelivery.api_client_id == client.id)
                                   .order_by(WebhookDelivery.id)).all()
        assert [tuple(a) for a in attempts] == [(1, False, 500), (2, False, 500), (3, True, 204)]
        session.expire_all()
        row = session.get(ApiClient, client.id)
        assert row is not None and row.webhook_failures == 0 and row.webhook_cursor == bodies[0][-1]["cursor"]
    finally:
        receiver.close()


def test_an_unreachable_receiver_is_a_recorded_failure(app: Any, session: Session) -> None:
    receiver = Receiver()
    url = receiver.url
    receiver.close()  # nothing listens there any more
    client, _ = _client_with_hook(session, url)
    _changes(session, 1)
    session.commit()
    assert deliver_pending() == (0, 1)
    error = session.scalar(select(WebhookDelivery.error).where(WebhookDelivery.api_client_id == client.id))
    assert error and "ConnectionError" in error


def test_backlog_metric_counts_undelivered_changes(app: Any, client: Any, session: Session, receiver: Receiver) -> None:
    hook, _ = _client_with_hook(session, receiver.url)
    _changes(session, 4)
    _admin, admin_token = make_api_client(session, ("admin",))
    session.commit()
    text = client.get("/metrics", headers={"Authorization": f"Bearer {admin_token}"}).text
    assert f'stockwise_webhook_backlog{{client="{hook.name}"}} 4.0' in text
    make_api_client(session)  # a client without webhook is not listed
