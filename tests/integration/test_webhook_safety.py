"""Webhooks cannot be aimed at the service's neighbourhood, never follow redirects, and a
receiver that hangs costs only its own client a timeout (issue 9 items 10 and 11c).

Receivers listen on 127.0.0.1: refused by default, allowed where a test turns on the
operator setting (app.config["WEBHOOK_ALLOW_NETS"], from STOCKWISE_WEBHOOK_ALLOW_NETS)."""
from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.webhooks import Timeouts, deliver_once, deliver_pending
from app.auth import service
from app.auth.models import ApiClient, WebhookDelivery
from app.db import utcnow
from app.errors import ValidationFailed
from tests.factories import TEST_ACTOR, make_product, make_warehouse, receive_stock
from tests.web.clients import login_as, post_form

pytestmark = pytest.mark.serial  # deadlines of a second or two: not beside another busy worker
LOCAL = "127.0.0.0/8"
FAST = Timeouts(connect=1, read=1.5, total=3)


class Receiver:
    """A local receiver: `mode` is "ok" (204), "hang" (reads the request, answers only once
    released), "redirect" (307 to `location`) or "trickle" (a header byte every 0.3 s)."""

    def __init__(self, mode: str = "ok", location: str = "") -> None:
        self.mode, self.location = mode, location
        self.received: list[float] = []  # monotonic times of the requests read
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(time.monotonic())
                if receiver.mode == "hang" and not receiver.release.wait(30):
                    return
                if receiver.mode == "trickle":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    for _ in range(100):
                        if receiver.release.wait(0.3):
                            return
                        self.wfile.write(b"X")
                        self.wfile.flush()
                    return
                if receiver.mode == "redirect":
                    self.send_response(307)
                    self.send_header("Location", receiver.location)
                else:
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for r in made:
        r.close()


def _receiver(receivers: list[Receiver], mode: str = "ok", location: str = "") -> Receiver:
    r = Receiver(mode, location)
    receivers.append(r)
    return r


def _hook(session: Session, url: str, name: str) -> ApiClient:
    client, _token, _secret = service.create_api_client(session, TEST_ACTOR, name=name, scopes=["stock:read"],
                                                        webhook_url=url)
    return client


def _change(session: Session) -> None:
    receive_stock(session, make_product(session), make_warehouse(session, kind="cloud"), 3)


def _attempts(session: Session, client: ApiClient) -> list[tuple[bool, str | None]]:
    session.expire_all()
    return [(ok, err) for ok, err in session.execute(
        select(WebhookDelivery.succeeded, WebhookDelivery.error).where(WebhookDelivery.api_client_id == client.id)
        .order_by(WebhookDelivery.id))]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:6379/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/hook",
    "http://2130706433/", "http://0x7f.1/", "http://localhost:9200/", "http://[::ffff:127.0.0.1]/",
    "http://10.1.2.3/", "http://192.168.0.10/", "http://172.16.0.1/", "http://100.64.0.1/", "http://0.0.0.0/",
    "http://[fe80::1]/", "http://[fc00::1]/", "http://224.0.0.1/", "http://240.0.0.1/", "gopher://example.org/",
])
def test_a_webhook_url_to_a_private_or_reserved_address_is_refused(app: Any, session: Session, url: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        _hook(session, url, "ssrf")
    assert err.value.data["errors"][0]["field"] == "webhook_url"
    assert session.scalar(select(ApiClient.id).where(ApiClient.name == "ssrf")) is None


def test_the_operator_setting_allows_only_the_listed_range(app: Any, session: Session) -> None:
    app.config["WEBHOOK_ALLOW_NETS"] = LOCAL
    assert _hook(session, "http://127.0.0.1:6379/", "local").webhook_url == "http://127.0.0.1:6379/"
    with pytest.raises(ValidationFailed):
        _hook(session, "http://169.254.169.254/", "metadata")
    with pytest.raises(ValidationFailed):
        _hook(session, "http://[::1]:8080/", "v6-loopback")  # ::1 is not in 127.0.0.0/8


def test_the_admin_page_names_the_refused_webhook_url(client: Any, session: Session) -> None:
    login_as(client, session, "admin")
    resp = post_form(client, "/admin/api-clients", "/admin/api-clients",
                     {"name": "ssrf", "scopes": ["stock:read"], "webhook_url": "http://127.0.0.1:6379/"})
    assert resp.status_code == 422 and 'data-field="webhook_url"' in resp.text
    assert session.scalar(select(ApiClient.id).where(ApiClient.name == "ssrf")) is None


def test_delivery_checks_the_address_it_connects_to(app: Any, session: Session, receivers: list[Receiver]) -> None:
    receiver = _receiver(receivers)
    app.config["WEBHOOK_ALLOW_NETS"] = LOCAL
    hook = _hook(session, receiver.url.replace("127.0.0.1", "localhost"), "rebound")
    _change(session)
    session.commit()
    app.config["WEBHOOK_ALLOW_NETS"] = ""  # as if the name now resolved somewhere it may not go
    assert deliver_once(timeouts=FAST) == (0, 1)
    assert receiver.received == []
    [(ok, error)] = _attempts(session, hook)
    assert not ok and error is not None and "127.0.0.1 is a loopback address" in error
    app.config["WEBHOOK_ALLOW_NETS"] = LOCAL
    row = session.get(ApiClient, hook.id)
    assert row is not None
    assert deliver_once(clock=lambda: utcnow() + dt.timedelta(seconds=6), timeouts=FAST) == (1, 0)
    assert len(receiver.received) == 1


def test_a_redirect_is_never_followed(app: Any, session: Session, receivers: list[Receiver]) -> None:
    app.config["WEBHOOK_ALLOW_NETS"] = LOCAL
    elsewhere = _receiver(receivers)
    redirecting = _receiver(receivers, "redirect", location=elsewhere.url)
    hook = _hook(session, redirecting.url, "redirecting")
    _change(session)
    session.commit()
    assert deliver_pending(timeouts=FAST) == (0, 1)
    assert len(redirecting.received) == 1 and elsewhere.received == []
    [(ok, error)] = _attempts(session, hook)
    assert not ok and error is not None and "redirects are not followed" in error


def test_a_hanging_receiver_times_out_is_retried_later_and_nobody_else_waits(
        app: Any, session: Session, receivers: list[Receiver]) -> None:
    app.config["WEBHOOK_ALLOW_NETS"] = LOCAL
    hanging, healthy = _receiver(receivers, "hang"), _receiver(receivers)
    stuck = _hook(session, hanging.url, "a-hanging")  # claimed first (lower id)
    fine = _hook(session, healthy.url, "b-healthy")
    _change(session)
    session.commit()
    now = utcnow()
    started = time.monotonic()
    assert deliver_once(clock=lambda: now, timeouts=FAST) == (1, 1)
    took = time.monotonic() - started
    assert healthy.received and healthy.received[0] - started < 1.0  # not queued behind the hanging one
    assert len(hanging.received) == 1 and took < FAST.total + 1
    [(ok, error)] = _attempts(session, stuck)
    assert not ok and error is not None and "timed out" in error
    session.expire_all()
    stuck_row, fine_row = session.get(ApiClient, stuck.id), session.get(ApiClient, fine.id)
    assert stuck_row is not None and fine_row is not None
    assert fine_row.webhook_cursor > 0 and stuck_row.webhook_cursor == 0
    assert stuck_row.webhook_failures == 1 and stuck_row.webhook_next_attempt_at is not None
    assert stuck_row.webhook_next_attempt_at > now  # backing off
    assert deliver_once(clock=lambda: now, timeouts=FAST) == (0, 0)  # not due yet
    hanging.mode = "ok"
    assert deliver_once(clock=lambda: now + dt.timedelta(seconds=6), timeouts=FAST) == (1, 0)  # retried later
    assert _attempts(session, stuck)[-1] == (True, None)


def test_a_receiver_that_trickles_its_answer_is_cut_at_the_deadline(
        app: Any, session: Session, receivers: list[Receiver]) -> None:
    app.config["WEBHOOK_ALLOW_NETS"] = LOCAL
    trickling = _receiver(receivers, "trickle")
    hook = _hook(session, trickling.url, "trickling")
    _change(session)
    session.commit()
    started = time.monotonic()
    assert deliver_once(timeouts=Timeouts(connect=1, read=1, total=2)) == (0, 1)
    assert time.monotonic() - started < 4
    [(ok, error)] = _attempts(session, hook)
    assert not ok and error is not None and "deadline" in error


def test_nothing_listens_is_a_quick_failure_not_a_hang(app: Any, session: Session) -> None:
    app.config["WEBHOOK_ALLOW_NETS"] = LOCAL
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hook = _hook(session, f"http://127.0.0.1:{port}/hook", "nobody")
    _change(session)
    session.commit()
    assert deliver_once(timeouts=FAST) == (0, 1)
    [(ok, error)] = _attempts(session, hook)
    assert not ok and error is not None and "ConnectionError" in error
