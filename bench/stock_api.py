"""Benchmark of the stock API on PostgreSQL (not a test): `make bench-api`.

It creates a scratch database, migrates it, seeds SKUs with stock, starts the HTTP server
(gunicorn gthread or granian, `--server`), and loads it from separate processes (threads
with keep-alive http.client connections):

  (a) api hot          reservations on one hot SKU: reserve, then commit or release
  (b) api spread       the same, a random SKU each time
  (a') api hot ×N buckets  phase (a) again with the hot SKU in hot-SKU mode (`--hot-buckets`, default 8;
                       0 skips it); it is taken out of the mode afterwards
  (c) api availability GET /availability of a random SKU
  floor hot / spread   the HTTP floor: bench/floor_app.py — the smallest Flask endpoint issuing
                       the same one conditional UPDATE, reserve then release — on the same
                       server and settings
  ceiling hot / spread that conditional UPDATE straight through psycopg, same concurrency

Prints reservations/s, p50/p99 per request, API ÷ HTTP floor, API ÷ ceiling, the server's
CPU per request (from its processes' CPU time), SQL statements and round trips per request,
backends waiting on a lock by kind, and runs `stock verify` on the database at the end.

    python bench/stock_api.py [--duration 10] [--clients 16] [--server granian] [--workers 2] [--threads 8]
    python bench/stock_api.py --sweep gunicorn:4x4,gunicorn:2x8,granian:2x8,granian:4x4 --duration 5

`--sweep` runs floor and API (hot, spread) for each server × workers × threads back to back
and prints one row each, then the full run with `--server/--workers/--threads`.
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
from dataclasses import dataclass
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
        _client, token, _secret = create_api_client(s, Actor.system("bench"), name="bench",
                                                    scopes=["stock:read", "stock:write"])
    # One transaction per 5,000 balances: each balance written takes an advisory lock held to
    # COMMIT, and PostgreSQL's lock table (max_locks_per_transaction 64 × connections) holds
    # ~6,400 — 20,000 balances in one transaction ran out of shared memory.
    for i in range(0, len(moves), 5000):
        with app.app_context(), transaction() as s:
            record_movements(s, moves[i:i + 5000], source="bench", now=now)
    app.extensions["stockwise_db"].engine.dispose()
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVERS = ("gunicorn", "granian")


def server_command(server: str, app_spec: str, port: int, workers: int, threads: int) -> list[str]:
    """The command line of `server` for a WSGI `app_spec`: gunicorn gthread or granian WSGI."""
    if server == "gunicorn":
        return [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads", str(threads),
                "-b", f"127.0.0.1:{port}", "--backlog", "2048", app_spec]
    return [str(Path(sys.executable).with_name("granian")), "--interface", "wsgi", "--workers", str(workers),
            "--blocking-threads", str(threads), "--host", "127.0.0.1", "--port", str(port), "--backlog", "2048",
            "--no-ws", "--log-level", "warning", app_spec]


def start_server(server: str, app_spec: str, cwd: Path, env: dict[str, str], workers: int,
                 threads: int) -> tuple[subprocess.Popen[bytes], int]:
    """Start the server in its own process group (so its CPU time can be summed) and wait for /healthz."""
    port = free_port()
    proc = subprocess.Popen(server_command(server, app_spec, port, workers, threads), cwd=cwd,
                            env={**os.environ, **env}, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit(f"{server} did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def proc_stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (None when the process is gone):
    [2] is the process group, [11] and [12] user and system CPU time in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()


def process_group_cpu(pgid: int) -> float:
    """User + system CPU seconds of the live processes of a process group (the server)."""
    total = 0
    for entry in os.listdir("/proc"):
        fields = proc_stat(entry) if entry.isdigit() else None
        if fields and int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def statements_per_request(url: str, token: str) -> dict[str, tuple[int, int]]:
    """(SQL statements, database round trips) of one reserve, commit, release and availability
    read, counted on the wire (libpq trace, `app.ops.wire`: every Sync or simple Query is a
    round trip, BEGIN/COMMIT included) through the Flask test client on the seeded database,
    after a warm-up pair (the token is cached then, as in a running server)."""
    from app import create_app
    from app.ops.wire import wire_trace

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
    engine = app.extensions["stockwise_db"].engine
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    out: dict[str, tuple[int, int]] = {}

    def measured(method: str, path: str, body: Any = None) -> tuple[Any, tuple[int, int]]:
        with wire_trace(engine) as wire:
            resp = client.open(path, method=method, headers=headers, json=body)
        return resp, (len(wire.statements), wire.round_trips)

    for i, step in enumerate(("warm-up", "warm-up", "commit", "release")):
        resp, out["reserve"] = measured("POST", "/api/v1/reservations", {
            "order_ref": f"count-{i}", "region": "north", "lines": [{"sku": "BENCH-00000", "quantity": 1}]})
        close = "release" if step == "release" else "commit"
        _resp, counted = measured("POST", f"/api/v1/reservations/{resp.get_json()['id']}/{close}")
        if step != "warm-up":
            out[step] = counted
    _resp, out["availability"] = measured("GET", "/api/v1/availability?sku=BENCH-00000&region=north")
    engine.dispose()
    return out


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


def _floor_client(port: int, mode: str, ids: list[int], hot_id: int, stop_at: float, out: list[Any]) -> None:
    """The HTTP floor: reserve then release through bench/floor_app.py (two requests)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    rng = random.Random()
    latencies: list[float] = []
    done = errors = 0

    def call(path: str) -> int:
        start = time.perf_counter()
        conn.request("POST", path, body=b"", headers={"Content-Length": "0"})
        resp = conn.getresponse()
        resp.read()
        latencies.append(time.perf_counter() - start)
        return resp.status

    while time.monotonic() < stop_at:
        pid = hot_id if mode == "hot" else rng.choice(ids)
        if call(f"/floor/reserve/{pid}") != 201:
            errors += 1
            continue
        ok = call(f"/floor/release/{pid}") == 200
        done += ok
        errors += not ok
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
                               "WHERE product_id = %s AND warehouse_id = %s AND bucket = 0 AND on_hand - reserved >= 1",
                               (pid, warehouse_id))
            latencies.append(time.perf_counter() - start)
            if cur.rowcount == 1:
                start = time.perf_counter()
                conn.execute("UPDATE stock_balance SET reserved = reserved - 1, version = version + 1 "
                             "WHERE product_id = %s AND warehouse_id = %s AND bucket = 0", (pid, warehouse_id))
                latencies.append(time.perf_counter() - start)
                done += 1
    out.append((done, 0, latencies))


def _process(kind: str, args: tuple[Any, ...], threads: int, queue: Any) -> None:
    out: list[Any] = []
    target = {"http": _http_client, "floor": _floor_client, "sql": _ceiling_client}[kind]
    workers = [threading.Thread(target=target, args=(*args, out)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put(out)


class LockWaitSampler:
    """Samples pg_stat_activity of the bench database every 20 ms during a phase: how many
    backends wait on a lock, by kind — what they wait for (a row held by another
    transaction, a tuple lock queue, a relation, …) and in which statement (reserve,
    commit/release, balance rows, idempotency keys, other)."""

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

    @staticmethod
    def kind(wait_event: str, query: str) -> str:
        q = " ".join(query.split()).lower()
        where = ("stock_reserve" if "stock_reserve" in q else "stock_close" if "stock_close" in q else
                 "feed counter" if "feed_counter" in q else "balance rows" if "stock_balance" in q else
                 "idempotency" if "idempotency_record" in q else "other")
        return f"{wait_event} in {where}"

    def _run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.wait(0.02):
                self.samples += 1
                for wait_event, query in conn.execute(
                        "SELECT wait_event, query FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                        (self.database,)):
                    what = self.kind(wait_event, query)
                    self.waits[what] = self.waits.get(what, 0) + 1

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        return ", ".join(f"{k} {v / self.samples:.2f}" for k, v in sorted(self.waits.items())) or "none"


def run_phase(kind: str, args: tuple[Any, ...], clients: int, processes: int, duration: float,
              server_pgid: int | None = None) -> dict[str, float]:
    """Spread `clients` threads over `processes` load processes; returns ops/s, latency
    percentiles, requests, and the server's CPU ms per request (when `server_pgid`)."""
    stop_at = time.monotonic() + duration
    queue: Any = mp.Queue()
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    procs = [mp.Process(target=_process, args=(kind, (*args, stop_at), n, queue)) for n in per if n]
    cpu_before = process_group_cpu(server_pgid) if server_pgid else 0.0
    started = time.monotonic()
    for p in procs:
        p.start()
    results = [r for _ in procs for r in queue.get()]
    for p in procs:
        p.join()
    elapsed = max(time.monotonic() - started, duration)
    cpu = process_group_cpu(server_pgid) - cpu_before if server_pgid else float("nan")
    latencies = sorted(lat for _, _, lats in results for lat in lats)
    done = sum(d for d, _, _ in results)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [float("nan")] * 99
    return {"ops": done / elapsed, "errors": sum(e for _, e, _ in results), "p50": q[49] * 1000, "p99": q[98] * 1000,
            "requests": len(latencies), "cpu_ms": cpu * 1000 / max(len(latencies), 1)}


@dataclass(frozen=True)
class Setup:
    url: str
    dsn: str
    name: str
    token: str
    skus: int
    hot_id: int
    ids: list[int]
    warehouse_id: int


def _api_env(setup: Setup) -> dict[str, str]:
    return {"DATABASE_URL": setup.url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING",
            "STOCKWISE_INSTANCE": str(ROOT / "instance" / "bench")}


def _floor_env(setup: Setup) -> dict[str, str]:
    return {"FLOOR_DSN": setup.dsn, "FLOOR_WAREHOUSE_ID": str(setup.warehouse_id)}


def set_hot_buckets(url: str, buckets: int) -> None:
    """Put the hot SKU in hot-SKU mode with `buckets` per balance (1: take it out), as an admin would."""
    from app import create_app
    from app.audit.service import Actor
    from app.db import transaction, utcnow
    from app.stock.buckets import set_buckets

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
    with app.app_context(), transaction() as s:
        set_buckets(s, Actor.system("bench"), sku=HOT_SKU, buckets=buckets, now=utcnow())
    app.extensions["stockwise_db"].engine.dispose()


def measure_server(setup: Setup, server: str, workers: int, threads: int, opts: argparse.Namespace, *,
                   reads: bool, waits: dict[str, str] | None = None) -> dict[str, dict[str, float]]:
    """Floor hot/spread then API hot/spread (with `reads`: the hot phase in hot-SKU mode and the
    availability reads too) on one server setting."""
    d, c, pr = opts.duration, opts.clients, opts.processes
    results: dict[str, dict[str, float]] = {}
    proc, port = start_server(server, "floor_app:app", ROOT / "bench", _floor_env(setup), workers, threads)
    try:
        for mode in ("hot", "spread"):
            results[f"floor {mode}"] = run_phase("floor", (port, mode, setup.ids, setup.hot_id), c, pr, d, proc.pid)
    finally:
        stop_server(proc)
    proc, port = start_server(server, "wsgi:app", ROOT, _api_env(setup), workers, threads)
    try:
        for mode in ("hot", "spread"):
            with LockWaitSampler(setup.dsn, setup.name) as sampler:
                results[f"api {mode}"] = run_phase("http", (port, setup.token, mode, setup.skus), c, pr, d, proc.pid)
            if waits is not None:
                waits[f"api {mode}"] = sampler.summary()
        if reads and opts.hot_buckets > 1:
            set_hot_buckets(setup.url, opts.hot_buckets)
            label = f"api hot ×{opts.hot_buckets} buckets"
            try:
                with LockWaitSampler(setup.dsn, setup.name) as sampler:
                    results[label] = run_phase("http", (port, setup.token, "hot", setup.skus), c, pr, d, proc.pid)
                if waits is not None:
                    waits[label] = sampler.summary()
            finally:
                set_hot_buckets(setup.url, 1)
        if reads:
            results["api availability"] = run_phase("http", (port, setup.token, "read", setup.skus), c, pr, d,
                                                    proc.pid)
    finally:
        stop_server(proc)
    return results


def parse_sweep(text: str) -> list[tuple[str, int, int]]:
    """"gunicorn:4x4,granian:2x8" → [("gunicorn", 4, 4), ("granian", 2, 8)]."""
    out = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        server, _, shape = item.partition(":")
        workers, _, threads = shape.partition("x")
        if server not in SERVERS or not workers.isdigit() or not threads.isdigit():
            raise SystemExit(f"--sweep: {item!r} is not SERVER:WORKERSxTHREADS with SERVER in {SERVERS}")
        out.append((server, int(workers), int(threads)))
    return out


def verify(url: str) -> list[str]:
    """`flask --app wsgi stock verify` in-process: the drifts found (empty = clean)."""
    from app import create_app
    from app.db import session
    from app.stock.verify import verify_stock

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        drifts = [str(d) for d in verify_stock(session())]
    app.extensions["stockwise_db"].engine.dispose()
    return drifts


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.0%}" if b else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (threads)")
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--server", choices=SERVERS, default="granian", help="HTTP server for the API and the floor")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (gunicorn gthread threads, "
                                                                "granian blocking threads)")
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--hot-buckets", type=int, default=8, help="stock buckets of the hot SKU in the "
                                                                  "'api hot ×N buckets' phase (0: no such phase)")
    parser.add_argument("--sweep", default="", help="SERVER:WxT,… settings to compare first (floor and API, hot "
                                                    "and spread), e.g. gunicorn:4x4,granian:2x8")
    opts = parser.parse_args()
    sweep = parse_sweep(opts.sweep)

    name, url = create_database()
    try:
        print(f"seeding {opts.skus} SKUs into scratch database {name} …", flush=True)
        token = seed(url, opts.skus)
        counted = statements_per_request(url, token)
        dsn = _libpq(url)
        with psycopg.connect(dsn) as conn:
            hot_id = conn.execute("SELECT id FROM product WHERE sku = %s", (HOT_SKU,)).fetchone()[0]  # type: ignore[index]
            ids = [r[0] for r in conn.execute("SELECT id FROM product WHERE sku <> %s", (HOT_SKU,))]
            wid = conn.execute("SELECT id FROM warehouse WHERE code = 'CLOUD'").fetchone()[0]  # type: ignore[index]
        setup = Setup(url, dsn, name, token, opts.skus, hot_id, ids, wid)
        d, c, pr = opts.duration, opts.clients, opts.processes
        print("WARNING: timings on a shared machine are noisy; compare only ratios from the same run.")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPU(s) "
              f"shared by server, database and load; {c} clients in {pr} processes; {d:.0f} s per phase", flush=True)
        swept = [(server, w, t, measure_server(setup, server, w, t, opts, reads=False)) for server, w, t in sweep]
        waits: dict[str, str] = {}
        results = measure_server(setup, opts.server, opts.workers, opts.threads, opts, reads=True, waits=waits)
        results |= {
            "ceiling hot": run_phase("sql", (dsn, "hot", ids, hot_id, wid), c, pr, d),
            "ceiling spread": run_phase("sql", (dsn, "spread", ids, hot_id, wid), c, pr, d),
        }
        drifts = verify(url)
    finally:
        drop_database(name)

    if swept:
        print()
        print(f"{'sweep':<16}{'floor hot':>10}{'api hot':>9}{'÷':>6}{'floor spr':>10}{'api spr':>9}{'÷':>6}"
              f"{'api ms CPU/req':>15}{'p99/p50 max':>12}")
        for server, w, t, r in swept:
            worst = max(r[k]["p99"] / r[k]["p50"] for k in r)
            print(f"{f'{server} {w}×{t}':<16}{r['floor hot']['ops']:>10.0f}{r['api hot']['ops']:>9.0f}"
                  f"{_ratio(r['api hot']['ops'], r['floor hot']['ops']):>6}{r['floor spread']['ops']:>10.0f}"
                  f"{r['api spread']['ops']:>9.0f}{_ratio(r['api spread']['ops'], r['floor spread']['ops']):>6}"
                  f"{(r['api hot']['cpu_ms'] + r['api spread']['cpu_ms']) / 2:>15.2f}{worst:>12.1f}")
    print()
    print(f"{opts.server}: {opts.workers} workers × {opts.threads} threads")
    print(f"{'phase':<18}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'p99/p50':>9}{'errors':>8}{'CPU ms/req':>12}")
    for label, r in results.items():
        unit = "reads" if "availability" in label else "reservations"
        cpu = "" if r["cpu_ms"] != r["cpu_ms"] else f"{r['cpu_ms']:.2f}"
        print(f"{label:<18}{r['ops']:>10.1f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['p99'] / r['p50']:>9.1f}"
              f"{int(r['errors']):>8}{cpu:>12}   {unit}/s")
    print()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for label, summary in waits.items():
        print(f"backends waiting on a lock, mean per sample ({label}): {summary}")
    print("statements / round trips per request: " + ", ".join(
        f"{step} {n} / {rt}" for step, (n, rt) in counted.items()))
    print("(CPU ms/req: the server's processes' user+system CPU time ÷ HTTP requests; "
          "a reservation is 2 requests)")
    for mode in ("hot", "spread"):
        print(f"API ÷ HTTP floor ({mode}): {_ratio(results[f'api {mode}']['ops'], results[f'floor {mode}']['ops'])}"
              "  (aim ≥ 70%)")
    for mode, aim in (("hot", 0.5), ("spread", 0.25)):
        ratio = results[f"api {mode}"]["ops"] / results[f"ceiling {mode}"]["ops"]
        print(f"API ÷ SQL ceiling ({mode}): {ratio:.0%}  ({'meets' if ratio >= aim else 'misses'} the {aim:.0%} aim)")
    bucketed = f"api hot ×{opts.hot_buckets} buckets"
    if bucketed in results:
        print(f"hot-SKU mode: {bucketed} ÷ api hot: {results[bucketed]['ops'] / results['api hot']['ops']:.2f}×  "
              f"(aim ≥ 3× today's 107 res/s: {results[bucketed]['ops'] / 107:.2f}×)")
    for label, r in results.items():
        if r["p99"] > 10 * r["p50"]:
            print(f"p99 > 10 × p50 in {label}")
    errors = sum(int(r["errors"]) for r in results.values())
    print(f"errors: {errors}")
    print("stock verify after the bench: " + ("clean" if not drifts else f"{len(drifts)} drift(s): {drifts[:5]}"))


if __name__ == "__main__":
    main()
