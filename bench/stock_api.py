"""Benchmark of the stock API under gunicorn on PostgreSQL (not a test): `make bench-api`.

It creates a scratch database, migrates it, seeds SKUs with stock, starts gunicorn, and
loads it from separate processes (threads with keep-alive http.client connections):

  (a) reservations on one hot SKU      reserve, then commit or release (one "reservation")
  (b) reservations spread over N SKUs  the same, a random SKU each time
  (c) availability reads               GET /availability of a random SKU
  ceiling                              the same conditional stock update straight through
                                       psycopg at the same concurrency (reserve, then release)

Prints reservations/s, p50/p99 latency per request, and API ÷ ceiling.

    python bench/stock_api.py [--duration 10] [--clients 16] [--workers 4] [--threads 4] [--skus 10000]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
HOT_SKU = "BENCH-HOT"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def create_database() -> tuple[str, str]:
    name = f"stockwise_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = ADMIN_URL.rpartition("/")
    return name, f"{base}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url: str, skus: int) -> str:
    """Migrate, create a cloud + 3 forward warehouses, `skus` products with plenty of stock; returns a token."""
    from app import create_app, migrate
    from app.audit.service import Actor
    from app.auth.service import create_api_client
    from app.catalog.models import Product
    from app.db import transaction, utcnow
    from app.stock.models import Warehouse
    from app.stock.service import MovementInput, record_movements

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
    with app.app_context(), transaction() as s:
        warehouses = [Warehouse(code="CLOUD", name="Cloud", kind="cloud", region="national", city="Wuhan")] + [
            Warehouse(code=f"FWD-{r}", name=f"Forward {r}", kind="forward", region=r, city=r)
            for r in ("north", "east", "south")]
        s.add_all(warehouses)
        products = [Product(sku=HOT_SKU, name="Hot", unit="pcs", pack_size=1)] + [
            Product(sku=f"BENCH-{i:05d}", name=f"SKU {i}", unit="pcs", pack_size=1) for i in range(skus)]
        s.add_all(products)
        s.flush()
        now = utcnow()
        moves = [MovementInput(p.id, w.id, "receipt", 10_000_000 if p.sku == HOT_SKU else 100_000, now)
                 for p in products for w in warehouses[:2]]
        for i in range(0, len(moves), 5000):
            record_movements(s, moves[i:i + 5000], source="bench", now=now)
        _client, token, _secret = create_api_client(s, Actor.system("bench"), name="bench",
                                                    scopes=["stock:read", "stock:write"])
    app.extensions["stockwise_db"].engine.dispose()
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(url: str, workers: int, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING",
           "STOCKWISE_INSTANCE": str(ROOT / "instance" / "bench")}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads",
                             str(threads), "-b", f"127.0.0.1:{port}", "--backlog", "2048", "wsgi:app"],
                            cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def statements_per_reservation(url: str, token: str) -> dict[str, int]:
    """SQL statements (not counting BEGIN/COMMIT) one reserve, commit and release send, counted
    in-process through the Flask test client on the seeded database (after a warm-up pair)."""
    from sqlalchemy import event

    from app import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
    engine = app.extensions["stockwise_db"].engine
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    counts: dict[str, int] = {}
    for i, step in enumerate(("warm-up", "warm-up", "commit", "release")):
        seen.clear()
        resp = client.post("/api/v1/reservations", headers=headers, json={
            "order_ref": f"count-{i}", "region": "north", "lines": [{"sku": "BENCH-00000", "quantity": 1}]})
        counts["reserve"] = len(seen)
        seen.clear()
        close = "release" if step == "release" else "commit"
        client.post(f"/api/v1/reservations/{resp.get_json()['id']}/{close}", headers=headers)
        if step != "warm-up":
            counts[step] = len(seen)
    engine.dispose()
    return counts


# --- load generation (runs in child processes) -------------------------------------------
def _http_client(port: int, token: str, mode: str, skus: int, stop_at: float, out: list[Any]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    rng = random.Random()
    latencies: list[float] = []
    done = errors = 0
    n = 0

    def call(method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        latencies.append(time.perf_counter() - start)
        return resp.status, data

    while time.monotonic() < stop_at:
        n += 1
        sku = HOT_SKU if mode == "hot" else f"BENCH-{rng.randrange(skus):05d}"
        if mode == "read":
            status, _ = call("GET", f"/api/v1/availability?sku={sku}&region=north")
            done += status == 200
            errors += status != 200
            continue
        body = json.dumps({"order_ref": f"b{n}", "region": "north", "lines": [{"sku": sku, "quantity": 1}]}).encode()
        status, data = call("POST", "/api/v1/reservations", body)
        if status != 201:
            errors += 1
            continue
        rid = json.loads(data)["id"]
        status, _ = call("POST", f"/api/v1/reservations/{rid}/{'commit' if n % 2 else 'release'}", b"")
        done += status == 200
        errors += status != 200
    out.append((done, errors, latencies))


def _ceiling_client(dsn: str, mode: str, ids: list[int], hot_id: int, warehouse_id: int, stop_at: float,
                    out: list[Any]) -> None:
    """The bare conditional update a reservation needs, then its release: two autocommit statements."""
    rng = random.Random()
    latencies: list[float] = []
    done = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < stop_at:
            pid = hot_id if mode == "hot" else rng.choice(ids)
            start = time.perf_counter()
            cur = conn.execute("UPDATE stock_balance SET reserved = reserved + 1, version = version + 1 "
                               "WHERE product_id = %s AND warehouse_id = %s AND on_hand - reserved >= 1",
                               (pid, warehouse_id))
            latencies.append(time.perf_counter() - start)
            if cur.rowcount == 1:
                start = time.perf_counter()
                conn.execute("UPDATE stock_balance SET reserved = reserved - 1, version = version + 1 "
                             "WHERE product_id = %s AND warehouse_id = %s", (pid, warehouse_id))
                latencies.append(time.perf_counter() - start)
                done += 1
    out.append((done, 0, latencies))


def _process(kind: str, args: tuple[Any, ...], threads: int, queue: Any) -> None:
    out: list[Any] = []
    target = _http_client if kind == "http" else _ceiling_client
    workers = [threading.Thread(target=target, args=(*args, out)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put(out)


class LockWaitSampler:
    """Samples pg_stat_activity of the bench database every 20 ms during a phase: which
    statements backends are waiting on a lock in (feed counter, balance rows, other)."""

    def __init__(self, dsn: str, database: str) -> None:
        self.dsn, self.database = dsn, database
        self.samples = 0
        self.waits: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockWaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.wait(0.02):
                self.samples += 1
                for (query,) in conn.execute(
                        "SELECT query FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                        (self.database,)):
                    q = " ".join(query.split()).lower()
                    what = ("feed counter" if "feed_counter" in q else
                            "balance rows" if "stock_balance" in q else "other")
                    self.waits[what] = self.waits.get(what, 0) + 1

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        return ", ".join(f"{k} {v / self.samples:.1f}" for k, v in sorted(self.waits.items())) or "none"


def run_phase(kind: str, args: tuple[Any, ...], clients: int, processes: int, duration: float) -> dict[str, float]:
    """Spread `clients` threads over `processes` load processes; returns ops/s and latency percentiles."""
    stop_at = time.monotonic() + duration
    queue: Any = mp.Queue()
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    procs = [mp.Process(target=_process, args=(kind, (*args, stop_at), n, queue)) for n in per if n]
    started = time.monotonic()
    for p in procs:
        p.start()
    results = [r for _ in procs for r in queue.get()]
    for p in procs:
        p.join()
    elapsed = max(time.monotonic() - started, duration)
    latencies = sorted(lat for _, _, lats in results for lat in lats)
    done = sum(d for d, _, _ in results)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [float("nan")] * 99
    return {"ops": done / elapsed, "errors": sum(e for _, e, _ in results), "p50": q[49] * 1000, "p99": q[98] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (threads)")
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--skus", type=int, default=10_000)
    opts = parser.parse_args()

    name, url = create_database()
    proc = None
    try:
        print(f"seeding {opts.skus} SKUs into scratch database {name} …", flush=True)
        token = seed(url, opts.skus)
        statements = statements_per_reservation(url, token)
        proc, port = start_gunicorn(url, opts.workers, opts.threads)
        dsn = _libpq(url)
        with psycopg.connect(dsn) as conn:
            hot_id = conn.execute("SELECT id FROM product WHERE sku = %s", (HOT_SKU,)).fetchone()[0]  # type: ignore[index]
            ids = [r[0] for r in conn.execute("SELECT id FROM product WHERE sku <> %s", (HOT_SKU,))]
            wid = conn.execute("SELECT id FROM warehouse WHERE code = 'CLOUD'").fetchone()[0]  # type: ignore[index]
        d, c, pr = opts.duration, opts.clients, opts.processes
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        print(f"gunicorn: {opts.workers} workers × {opts.threads} threads (gthread); load: {c} clients in {pr} "
              f"processes; {d:.0f} s per phase; {os.cpu_count()} CPU(s) shared by server, database and load",
              flush=True)
        waits: dict[str, str] = {}
        results = {}
        for mode in ("hot", "spread"):
            with LockWaitSampler(dsn, name) as sampler:
                results[f"api {mode}"] = run_phase("http", (port, token, mode, opts.skus), c, pr, d)
            waits[mode] = sampler.summary()
        results |= {
            "api availability": run_phase("http", (port, token, "read", opts.skus), c, pr, d),
            "ceiling hot": run_phase("sql", (dsn, "hot", ids, hot_id, wid), c, pr, d),
            "ceiling spread": run_phase("sql", (dsn, "spread", ids, hot_id, wid), c, pr, d),
        }
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        drop_database(name)

    print()
    print(f"{'phase':<18}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'p99/p50':>9}{'errors':>8}")
    for label, r in results.items():
        unit = "reads" if "availability" in label else "reservations"
        print(f"{label:<18}{r['ops']:>10.1f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['p99'] / r['p50']:>9.1f}"
              f"{int(r['errors']):>8}   {unit}/s")
    print()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for mode in ("hot", "spread"):
        print(f"backends waiting on a lock, mean per sample (api {mode}): {waits[mode]}")
    print(f"statements per reservation: reserve {statements['reserve']} + commit {statements['commit']} "
          f"(or release {statements['release']}), plus BEGIN/COMMIT per request")
    for mode, aim in (("hot", 0.5), ("spread", 0.3)):
        ratio = results[f"api {mode}"]["ops"] / results[f"ceiling {mode}"]["ops"]
        verdict = "meets" if ratio >= aim else "misses"
        print(f"API ÷ ceiling ({mode}): {ratio:.0%}  ({verdict} the {aim:.0%} aim)")
    for mode in ("hot", "spread"):
        r = results[f"api {mode}"]
        print(f"p99 ≤ 10 × p50 ({mode}): {'yes' if r['p99'] <= 10 * r['p50'] else 'no'}")


if __name__ == "__main__":
    main()
