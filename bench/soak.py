"""Soak bench (not a test): minutes of mixed load on PostgreSQL against a live gunicorn.

It creates a scratch database, migrates and seeds it (warehouses, SKUs with stock, a staff
user, an API client), starts gunicorn, and runs `--clients` threads for `--minutes`, each
picking at random (weights in MIX):

  reservation   POST /api/v1/reservations, then /commit or /release
  sync batch    POST /api/v1/movements with a batch of warehouse movements
  availability  GET /api/v1/availability
  UI page       a staff page (dashboard, products, a product, purchase orders, receiving)
  CSV export    /products.csv or /purchase-orders.csv, read to the end
  drop export   /products.csv, dropped after the first chunk (a client that goes away)

and, half-way, one forecast run (`flask --app wsgi forecast run`). At the end it prints
errors by kind, p50/p99 latency per endpoint, the server's logged errors, the connections
left "idle in transaction", and `flask --app wsgi stock verify` (must be clean).

    python bench/soak.py [--minutes 5] [--clients 8] [--skus 300] [--workers 2] [--threads 4]
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stock_api import _libpq, create_database, drop_database, free_port  # noqa: E402

MIX = {"reservation": 30, "sync batch": 15, "availability": 10, "UI page": 30, "CSV export": 10, "drop export": 5}
PAGES = ("/dashboard", "/products", "/products/SOAK-00001", "/purchase-orders", "/receiving")
EXPORTS = ("/products.csv", "/purchase-orders.csv")
PASSWORD = "soak-password-123"
EMAIL = "soak@stockwise.test"
REGIONS = ("north", "east")


def seed(url: str, skus: int) -> str:
    """Migrate; a cloud and two forward warehouses, `skus` SKUs with stock, a staff user; returns an API token."""
    from app import create_app, migrate
    from app.audit.service import Actor
    from app.auth.service import create_api_client, create_staff_user
    from app.catalog.models import Product
    from app.db import transaction, utcnow
    from app.stock.models import Warehouse
    from app.stock.service import MovementInput, StockEffect, post_stock_effects, record_movements

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "soak", "LOG_LEVEL": "WARNING"})
    actor = Actor.system("soak")
    with app.app_context(), transaction() as s:
        warehouses = [Warehouse(code="CLOUD", name="Cloud", kind="cloud", region="national", city="Wuhan")] + [
            Warehouse(code=f"FWD-{r}", name=f"Forward {r}", kind="forward", region=r, city=r) for r in REGIONS]
        products = [Product(sku=f"SOAK-{i:05d}", name=f"Soak SKU {i}", unit="pcs", pack_size=1) for i in range(skus)]
        s.add_all([*warehouses, *products])
        s.flush()
        now = utcnow()
        record_movements(s, [MovementInput(p.id, w.id, "receipt", 1_000_000, now) for p in products for w in warehouses],
                         source="soak", now=now)
        # 90 days of shipments from the forward warehouses (the demand the forecast run learns from)
        rng = random.Random(7)
        post_stock_effects(s, [StockEffect(p.id, w.id, "shipment", -rng.randint(1, 9),
                                           occurred_at=now - dt.timedelta(days=day))
                               for day in range(1, 91) for p in products[:50] for w in warehouses[1:]],
                           source="soak", now=now)
        create_staff_user(s, actor, email=EMAIL, role="admin", password=PASSWORD)
        _client, token, _secret = create_api_client(s, actor, name="soak",
                                                    scopes=["stock:read", "stock:write", "stock:sync"])
    app.extensions["stockwise_db"].engine.dispose()
    return token


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    done: collections.Counter[str] = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, endpoint: str, took: float, error: str | None) -> None:
        with self.lock:
            self.latencies[endpoint].append(took)
            self.done[endpoint] += 1
            if error:
                self.errors[f"{endpoint}: {error}"] += 1


class Client:
    """One simulated user of every kind at once: an API token and a logged-in staff session."""

    def __init__(self, base: str, token: str, skus: int, tally: Tally, n: int) -> None:
        self.base, self.skus, self.tally, self.n = base, skus, tally, n
        self.rng = random.Random(n)
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {token}"
        self.ui = requests.Session()
        self.seq = 0

    def login(self) -> None:
        page = self.ui.get(self.base + "/login", timeout=30)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
        resp = self.ui.post(self.base + "/login", allow_redirects=False, timeout=30,
                            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1) if token else ""})
        if resp.status_code != 302:
            raise SystemExit(f"soak: login failed with {resp.status_code}")

    def _call(self, endpoint: str, expected: tuple[int, ...], send: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            resp: requests.Response = send()
        except requests.RequestException as exc:
            self.tally.record(endpoint, time.perf_counter() - started, type(exc).__name__)
            return None
        error = None if resp.status_code in expected else f"HTTP {resp.status_code}"
        self.tally.record(endpoint, time.perf_counter() - started, error)
        return resp

    def sku(self) -> str:
        return f"SOAK-{self.rng.randrange(self.skus):05d}"

    def reservation(self) -> None:
        self.seq += 1
        body: dict[str, Any] = {"order_ref": f"soak-{self.n}-{self.seq}", "region": self.rng.choice(REGIONS),
                "lines": [{"sku": self.sku(), "quantity": self.rng.randint(1, 3)} for _ in range(self.rng.randint(1, 3))]}
        resp = self._call("POST /api/v1/reservations", (201,),
                          lambda: self.api.post(self.base + "/api/v1/reservations", json=body, timeout=30))
        if resp is None or resp.status_code != 201:
            return
        action = "commit" if self.rng.random() < 0.6 else "release"
        rid = resp.json()["id"]
        self._call(f"POST /api/v1/reservations/{{id}}/{action}", (200,),
                   lambda: self.api.post(f"{self.base}/api/v1/reservations/{rid}/{action}", timeout=30))

    def sync_batch(self) -> None:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        moves = [{"event_id": f"soak-{uuid.uuid4().hex}", "warehouse": "CLOUD", "sku": self.sku(),
                  "kind": self.rng.choice(("receipt", "adjustment")), "quantity": self.rng.randint(1, 5),
                  "occurred_at": now} for _ in range(self.rng.randint(5, 25))]
        self._call("POST /api/v1/movements", (200, 201),
                   lambda: self.api.post(self.base + "/api/v1/movements", json={"movements": moves}, timeout=30))

    def availability(self) -> None:
        sku = self.sku()
        self._call("GET /api/v1/availability", (200,),
                   lambda: self.api.get(f"{self.base}/api/v1/availability?sku={sku}&region=north", timeout=30))

    def ui_page(self) -> None:
        path = self.rng.choice(PAGES)
        self._call(f"GET {path}", (200,), lambda: self.ui.get(self.base + path, timeout=30))

    def csv_export(self) -> None:
        path = self.rng.choice(EXPORTS)
        self._call(f"GET {path}", (200,), lambda: self.ui.get(self.base + path, timeout=60))

    def drop_export(self) -> None:
        def send() -> requests.Response:
            resp = self.ui.get(self.base + "/products.csv", stream=True, timeout=30)
            next(resp.iter_content(1024), None)
            resp.close()  # gone halfway: the server must end the export's transaction
            return resp
        self._call("GET /products.csv (dropped)", (200,), send)

    def run(self, stop_at: float) -> None:
        actions = {"reservation": self.reservation, "sync batch": self.sync_batch, "availability": self.availability,
                   "UI page": self.ui_page, "CSV export": self.csv_export, "drop export": self.drop_export}
        kinds, weights = list(MIX), list(MIX.values())
        while time.monotonic() < stop_at:
            actions[self.rng.choices(kinds, weights)[0]]()


def flask_cli(url: str, *args: str) -> tuple[int, str, float]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "soak", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    return proc.returncode, (proc.stdout + proc.stderr).strip(), time.perf_counter() - started


def start_gunicorn(url: str, workers: int, threads: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "soak", "LOG_LEVEL": "WARNING",
           "STOCKWISE_INSTANCE": str(log.parent)}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads",
                                 str(threads), "-b", f"127.0.0.1:{port}", "wsgi:app"],
                                cwd=ROOT, env=env, start_new_session=True, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("soak: gunicorn did not start:\n" + log.read_text()[-2000:])


def idle_in_transaction(url: str) -> int:
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND state LIKE 'idle in transaction%'").fetchone()
    return int(row[0]) if row else -1


def report(tally: Tally, seconds: float) -> None:
    print(f"\n{'endpoint':<42} {'calls':>7} {'per s':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for endpoint in sorted(tally.latencies):
        lat = sorted(tally.latencies[endpoint])
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(f"{endpoint:<42} {len(lat):>7} {len(lat) / seconds:>7.1f} {statistics.median(lat) * 1000:>8.1f} "
              f"{p99 * 1000:>8.1f}")
    total = sum(tally.done.values())
    print(f"\nerrors by kind ({sum(tally.errors.values())} of {total} calls):")
    for kind, count in tally.errors.most_common() or [("none", 0)]:
        print(f"  {count:>6}  {kind}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    name, url = create_database()
    tmp = Path(tempfile.mkdtemp(prefix="stockwise-soak-"))
    server = None
    try:
        token = seed(url, args.skus)
        server, base = start_gunicorn(url, args.workers, args.threads, tmp / "gunicorn.log")
        tally = Tally()
        clients = [Client(base, token, args.skus, tally, n) for n in range(args.clients)]
        for c in clients:
            c.login()
        seconds = args.minutes * 60
        print(f"soak: {args.clients} clients for {args.minutes:g} min against gunicorn -w {args.workers} "
              f"--threads {args.threads} on {name} ({args.skus} SKUs)", flush=True)
        started = time.monotonic()
        threads = [threading.Thread(target=c.run, args=(started + seconds,)) for c in clients]
        for t in threads:
            t.start()
        time.sleep(seconds / 2)
        code, out, took = flask_cli(url, "forecast", "run", "--horizon", "14", "--history-days", "60")
        said = [ln for ln in re.split(r"[\r\n]+", out) if "forecast run" in ln or "error" in ln]
        forecast = f"exit {code} in {took:.1f} s: {said[-1] if said else out[-300:]}"
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        report(tally, elapsed)
        print(f"\nforecast run (half-way): {forecast}")
        logged = [ln for ln in (tmp / "gunicorn.log").read_text(errors="replace").splitlines()
                  if " ERROR " in ln or "[ERROR]" in ln]
        print(f"server errors logged: {len(logged)}")
        for line in collections.Counter(re.sub(r"^\S+ \S+ ", "", ln)[:150] for ln in logged).most_common(10):
            print(f"  {line[1]:>6}  {line[0]}")
        print(f"connections idle in transaction: {idle_in_transaction(url)}")
        code, out, _took = flask_cli(url, "stock", "verify")
        print(f"flask --app wsgi stock verify: exit {code}\n{out}")
        return 0 if code == 0 and not tally.errors and not logged else 1
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        drop_database(name)


if __name__ == "__main__":
    sys.exit(main())
