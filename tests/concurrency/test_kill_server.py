"""Crash safety: SIGKILL the HTTP server (gunicorn or granian, master and workers) in the
middle of a reservation load on PostgreSQL, restart it, and check the invariants and
idempotency keys survived. Also: with several workers, /metrics adds up every worker's
samples under either server (prometheus_client multiprocess mode)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from app import migrate
from app.db import make_engine, make_sessionmaker, utcnow
from app.stock.buckets import set_buckets
from app.stock.models import Reservation
from tests.concurrency.conftest import assert_invariants
from tests.factories import TEST_ACTOR, make_api_client, make_product, make_warehouse, receive_stock

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(server: str, port: int) -> list[str]:
    if server == "gunicorn":
        return [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    return [str(Path(sys.executable).with_name("granian")), "--interface", "wsgi", "--workers", "2",
            "--blocking-threads", "4", "--host", "127.0.0.1", "--port", str(port), "--no-ws", "wsgi:app"]


class Server:
    def __init__(self, server: str, database_url: str, instance: Path, **env: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "kill-test",
                   "STOCKWISE_INSTANCE": str(instance), "LOG_LEVEL": "WARNING", **env}
        # Its own session (process group), so the kill reaches the master and every worker, and only them.
        self.proc = subprocess.Popen(_command(server, self.port), cwd=ROOT, env=environ, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.kill()
        raise AssertionError(f"{server} did not start: " + (self.proc.stderr.read().decode() if self.proc.stderr else ""))

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        if self.proc.stderr:
            self.proc.stderr.close()


@pytest.fixture
def scratch(fresh_database_url: str, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    migrate.upgrade(fresh_database_url)
    engine = make_engine(fresh_database_url)
    yield fresh_database_url, make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(params=["gunicorn", "granian"])
def server_name(request: pytest.FixtureRequest) -> str:
    """Both HTTP servers the app is deployed with (docs/deploy.md)."""
    return str(request.param)


@pytest.mark.parametrize("hot", [False, True], ids=["plain", "hot-buckets"])
def test_sigkill_mid_load_leaves_invariants_and_idempotency_intact(
    server_name: str, scratch: tuple[str, Any], tmp_path: Path, hot: bool
) -> None:
    url, maker = scratch
    with maker() as s:
        cloud, north = make_warehouse(s, kind="cloud"), make_warehouse(s, kind="forward", region="north")
        for i in range(4):
            p = make_product(s, sku=f"KILL-{i}")
            receive_stock(s, p, cloud, 60)
            receive_stock(s, p, north, 20)
            if hot and i < 3:  # three SKUs in hot-SKU mode, one plain
                set_buckets(s, TEST_ACTOR, sku=p.sku, buckets=4, now=utcnow())
        _c, token = make_api_client(s)
        s.commit()
    server = Server(server_name, url, tmp_path)
    sent: dict[str, dict[str, Any]] = {}  # idempotency key → body
    stop = threading.Event()

    def load(worker: int) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        n = 0
        while not stop.is_set():
            n += 1
            key = f"w{worker}-{n}"
            body = {"order_ref": key, "region": "north",
                    "lines": [{"sku": f"KILL-{(worker + n) % 4}", "quantity": 1}, {"sku": f"KILL-{n % 4}", "quantity": 2}]}
            sent[key] = body
            try:
                resp = http.post(f"{server.url}/api/v1/reservations", json=body, headers={"Idempotency-Key": key},
                                 timeout=5)
                if resp.status_code == 201 and n % 2:
                    http.post(f"{server.url}/api/v1/reservations/{resp.json()['id']}/commit", timeout=5)
            except requests.RequestException:
                return  # the server is gone

    threads = [threading.Thread(target=load, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    server.kill()  # SIGKILL master + workers mid-load
    stop.set()
    for t in threads:
        t.join(10)
    assert len(sent) > 8  # requests were really in flight

    with maker() as s:
        assert_invariants(s)
    server = Server(server_name, url, tmp_path)
    try:
        # Retry the last requests of every worker (those whose answer may have been lost, and
        # some that surely committed): same key → the stored answer, never a second reservation.
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        keys = list(sent)
        retry = [k for i in range(8) for k in [k for k in keys if k.startswith(f"w{i}-")][-3:]]
        for key in retry:
            body = sent[key]
            resp = http.post(f"{server.url}/api/v1/reservations", json=body, headers={"Idempotency-Key": key}, timeout=10)
            assert resp.status_code in (201, 409), resp.text
    finally:
        server.kill()
    with maker() as s:
        per_order = s.execute(select(Reservation.order_ref, func.count()).group_by(Reservation.order_ref)).all()
        assert per_order and max(count for _ref, count in per_order) == 1
        assert_invariants(s)


def test_metrics_add_up_every_worker_under_either_server(server_name: str, scratch: tuple[str, Any],
                                                        tmp_path: Path) -> None:
    url, maker = scratch
    with maker() as s:
        _c, token = make_api_client(s)
        _m, metrics_token = make_api_client(s, ("admin",), name="prometheus")
        s.commit()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    server = Server(server_name, url, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    try:
        sent = 0

        def workers_seen() -> int:
            return len({p.name.rsplit("_", 1)[-1] for p in metrics_dir.glob("counter_*.db")})

        while sent < 20 or (workers_seen() < 2 and sent < 400):  # new connections, until both workers served
            assert requests.get(f"{server.url}/api/v1/warehouses", timeout=10,
                                headers={"Authorization": f"Bearer {token}"}).status_code == 200
            sent += 1
        assert workers_seen() >= 2
        text = requests.get(f"{server.url}/metrics", timeout=10, headers={"Authorization": f"Bearer {metrics_token}"}).text
    finally:
        server.kill()
    line = next(line for line in text.splitlines()
                if line.startswith("stockwise_http_requests_total") and "/warehouses" in line and 'status="200"' in line)
    assert float(line.rsplit(" ", 1)[1]) == sent
