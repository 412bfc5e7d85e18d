"""CPU time of one API request inside the app, measured without an HTTP server (not a test).

A deterministic companion to bench/stock_api.py: the server's wall-clock throughput depends
on what else runs on the machine, but the CPU one request costs the app's process does not
(a wait on PostgreSQL costs no CPU). So this drives the WSGI app in-process — a raw WSGI
environ per request, as a server would pass it, no test client — against a scratch
PostgreSQL database, and reads `time.thread_time()` around each call:

  reserve      POST /api/v1/reservations (one line, a random SKU), no Idempotency-Key
  commit       POST /api/v1/reservations/{id}/commit
  release      POST /api/v1/reservations/{id}/release
  reserve+key  the reserve with an Idempotency-Key
  availability GET /api/v1/availability?sku=…&region=north
  floor        bench/floor_app.py (the HTTP floor: one conditional UPDATE), reserve and release

Prints the median and mean CPU ms per request of each kind (after a warm-up: the token is
cached, statements prepared, the pool filled, as in a running server). With `--parts`,
one more pass broken down by part of the request
(token lookup, parsing/validation, idempotency wrapper, connection checkout, the SQL call,
response building, Flask/werkzeug, hooks).

With `--db`, PostgreSQL's own CPU per request of each kind (its backends' CPU time from
/proc, the database on this machine): on a host where app and database share the cores,
that is the other half of what a request costs.

    python bench/request_cpu.py [--requests 2000] [--parts] [--db] [--profile] [--skus 200]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from stock_api import _libpq, create_database, drop_database, proc_stat, seed  # noqa: E402

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(method: str, path: str, *, query: str = "", body: bytes = b"",
            headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The WSGI environ a server builds for one HTTP/1.1 request on 127.0.0.1:8000."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000", "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    if body:
        env["CONTENT_TYPE"] = "application/json"
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def call(app: WsgiApp, env: dict[str, Any]) -> tuple[int, bytes]:
    """One request through the WSGI interface: status and body (the iterable closed, as servers do)."""
    status: list[str] = []

    def start_response(s: str, _headers: list[tuple[str, str]], _exc: Any = None) -> Callable[[bytes], None]:
        status.append(s)
        return lambda _data: None

    result = app(env, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return int(status[0].split()[0]), body


class Api:
    """The request mix: reserve (random SKU), then commit or release it, availability reads."""

    def __init__(self, app: WsgiApp, token: str, skus: int) -> None:
        self.app, self.skus = app, skus
        self.auth = {"Authorization": f"Bearer {token}"}
        self.rng = random.Random(12)
        self.n = 0

    def _sku(self) -> str:
        return f"BENCH-{self.rng.randrange(self.skus):05d}"

    def reserve_env(self, key: bool = False) -> dict[str, Any]:
        self.n += 1
        body = json.dumps({"order_ref": f"cpu{self.n}", "region": "north",
                           "lines": [{"sku": self._sku(), "quantity": 1}]}).encode()
        headers = dict(self.auth, **({"Idempotency-Key": f"cpu-{os.getpid()}-{self.n}"} if key else {}))
        return environ("POST", "/api/v1/reservations", body=body, headers=headers)

    def close_env(self, rid: str, how: str) -> dict[str, Any]:
        return environ("POST", f"/api/v1/reservations/{rid}/{how}", headers=self.auth)

    def availability_env(self) -> dict[str, Any]:
        return environ("GET", "/api/v1/availability", query=f"sku={self._sku()}&region=north", headers=self.auth)


def _timed(app: WsgiApp, env: dict[str, Any], expect: int, out: list[float] | None) -> bytes:
    start = time.thread_time()
    status, body = call(app, env)
    spent = time.thread_time() - start
    if status != expect:
        raise SystemExit(f"{env['REQUEST_METHOD']} {env['PATH_INFO']}: {status} {body[:300]!r}")
    if out is not None:
        out.append(spent)
    return body


def run_api(api: Api, rounds: int, times: dict[str, list[float]] | None) -> None:
    """`rounds` × (reserve, commit | release, availability, and every 4th round a keyed reserve + release)."""
    def slot(kind: str) -> list[float] | None:
        return None if times is None else times.setdefault(kind, [])

    for i in range(rounds):
        body = _timed(api.app, api.reserve_env(), 201, slot("reserve"))
        how = "commit" if i % 2 else "release"
        _timed(api.app, api.close_env(json.loads(body)["id"], how), 200, slot(how))
        _timed(api.app, api.availability_env(), 200, slot("availability"))
        if i % 4 == 0:
            body = _timed(api.app, api.reserve_env(key=True), 201, slot("reserve+key"))
            _timed(api.app, api.close_env(json.loads(body)["id"], "release"), 200, None)


def run_floor(app: WsgiApp, ids: list[int], rounds: int, times: dict[str, list[float]] | None) -> None:
    rng = random.Random(7)
    out = None if times is None else times.setdefault("floor", [])
    for _ in range(rounds):
        pid = rng.choice(ids)
        _timed(app, environ("POST", f"/floor/reserve/{pid}"), 201, out)
        _timed(app, environ("POST", f"/floor/release/{pid}"), 200, out)


# --- where the CPU goes, by part of the request -----------------------------------------
class Parts:
    """Thread CPU time by part of the request: chosen functions are wrapped (in this process
    only) by a timer that charges the time spent in them, minus that of wrapped functions
    they call, to their part; what no part claims is the Flask/werkzeug rest. A handful of
    wrapped calls per request: the overhead is a few microseconds, unlike a profiler's."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._stack: list[list[float]] = []  # [start, time of nested parts]
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, attr: str, part: str) -> None:
        if not (attr in owner if isinstance(owner, dict) else hasattr(owner, attr)):
            return  # not in this version of the code
        get, put = ((owner.__getitem__, owner.__setitem__) if isinstance(owner, dict) else
                    (lambda a: getattr(owner, a), lambda a, v: setattr(owner, a, v)))
        original = get(attr)
        parts = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            return parts.call(part, original, *args, **kwargs)

        put(attr, timed)
        self._undo.append(lambda: put(attr, original))

    def wrap_context(self, owner: Any, attr: str, part: str) -> None:
        """A @contextmanager function: its own code before and after the `yield` is the part."""
        if not hasattr(owner, attr):
            return
        original = getattr(owner, attr)
        parts = self

        class Timed:
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                self.cm = original(*args, **kwargs)

            def __enter__(self) -> Any:
                return parts.call(part, self.cm.__enter__)

            def __exit__(self, *exc: Any) -> Any:
                return parts.call(part, self.cm.__exit__, *exc)

        setattr(owner, attr, Timed)
        self._undo.append(lambda: setattr(owner, attr, original))

    def call(self, part: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`fn(*args, **kwargs)`, its own CPU time (less that of timed calls inside it) added to `part`."""
        frame = [time.thread_time(), 0.0]
        self._stack.append(frame)
        try:
            return fn(*args, **kwargs)
        finally:
            self._stack.pop()
            total = time.thread_time() - frame[0]
            self.spent[part] = self.spent.get(part, 0.0) + total - frame[1]
            if self._stack:
                self._stack[-1][1] += total

    def undo(self) -> None:
        for step in reversed(self._undo):
            step()


def instrument(app: Any) -> Parts:
    """Wrap the parts of an API request (see the module docstring)."""
    import psycopg
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session
    from sqlalchemy.pool.base import _ConnectionFairy

    import app.db as db
    from app.api import idempotency, routing, views
    from app.auth import service as auth
    from app.stock import levels, reservations_sql

    parts = Parts()
    parts.wrap(routing, "authenticate", "token lookup")
    parts.wrap(auth, "client_for_token", "token lookup")
    parts.wrap(routing, "validation_problem", "path/body/query validation")
    parts.wrap(routing, "parse_body", "path/body/query validation")
    parts.wrap(routing, "parse_query", "path/body/query validation")
    parts.wrap(idempotency, "_key_of_request", "idempotency wrapper")
    parts.wrap(idempotency, "_fingerprint", "idempotency wrapper")
    parts.wrap(views, "run_in_one_statement", "idempotency wrapper")
    parts.wrap(db, "_connect_autocommit", "connection checkout, return, session")
    parts.wrap(db, "_raw_connection", "connection checkout, return, session")
    parts.wrap(_ConnectionFairy, "close", "connection checkout, return, session")
    parts.wrap(Connection, "close", "connection checkout, return, session")
    parts.wrap(Session, "__init__", "connection checkout, return, session")
    parts.wrap(Session, "close", "connection checkout, return, session")
    parts.wrap_context(idempotency, "single_statement_session", "connection checkout, return, session")
    parts.wrap_context(views, "single_statement_session", "connection checkout, return, session")
    parts.wrap(views, "reserve_in_one_statement", "SQL call: around it, result")
    parts.wrap(views, "close_in_one_statement", "SQL call: around it, result")
    parts.wrap(levels, "availability", "SQL call: around it, result")
    parts.wrap(levels, "availability_in_one_statement", "SQL call: around it, result")
    parts.wrap(reservations_sql, "one_statement", "SQL call: one_statement (rest)")
    parts.wrap(levels, "one_statement", "SQL call: one_statement (rest)")
    parts.wrap(psycopg.Cursor, "execute", "SQL call: psycopg execute")
    parts.wrap(idempotency.Outcome, "response", "response building")
    parts.wrap(views, "_json", "response building")
    parts.wrap(app, "preprocess_request", "before_request hooks")
    parts.wrap(app, "process_response", "after_request hooks")
    parts.wrap(app, "do_teardown_request", "teardown")
    parts.wrap(app, "do_teardown_appcontext", "teardown")
    parts.wrap(app, "wsgi_app", "Flask/werkzeug (rest)")
    for rule in list(app.view_functions):
        if rule.startswith("api."):
            parts.wrap(app.view_functions, rule, "API view and routing (rest)")
    return parts


def database_cpu(dsn: str, database: str) -> float:
    """User + system CPU seconds so far of the PostgreSQL backends serving `database` (read
    from /proc: the database runs on this machine)."""
    import psycopg

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                           "AND pid <> pg_backend_pid()", (database,))]
    for pid in pids:
        fields = proc_stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def function_times(dsn: str) -> dict[str, tuple[int, float]]:
    """calls and own (self) time in ms of each PL/pgSQL function so far (track_functions = pl)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        return {name: (calls, self_ms) for name, calls, self_ms in conn.execute(
            "SELECT funcname, calls, self_time FROM pg_stat_user_functions")}


def database_cpu_by_kind(api: Api, dsn: str, database: str, n: int) -> dict[str, float]:
    """PostgreSQL CPU ms per request of each kind: `n` of one kind at a time, the backends'
    CPU read before and after (10 ms ticks: `n` ≥ 1000 for a figure to ±1 %)."""
    out: dict[str, float] = {}

    def measured(kind: str, envs: list[dict[str, Any]], expect: int) -> list[bytes]:
        functions = function_times(dsn)
        before = database_cpu(dsn, database)
        bodies = [_timed(api.app, env, expect, None) for env in envs]
        out[kind] = (database_cpu(dsn, database) - before) * 1000 / len(envs)
        time.sleep(4)  # backends report their function statistics at most once a second, when idle
        spent = [(name, (self_ms - functions.get(name, (0, 0.0))[1]) / len(envs), calls - functions.get(name, (0, 0.0))[0])
                 for name, (calls, self_ms) in function_times(dsn).items()]
        shown = [f"{name} {ms:.3f} ({calls / len(envs):.1f}×)" for name, ms, calls in sorted(spent, key=lambda x: -x[1])
                 if calls]
        if shown:
            print(f"  {kind}: PL/pgSQL functions' own time ms per request: " + ", ".join(shown))
        return bodies

    ids = [json.loads(b)["id"] for b in measured("reserve", [api.reserve_env() for _ in range(n)], 201)]
    measured("commit", [api.close_env(rid, "commit") for rid in ids[: n // 2]], 200)
    measured("release", [api.close_env(rid, "release") for rid in ids[n // 2:]], 200)
    measured("availability", [api.availability_env() for _ in range(n)], 200)
    return out


def summary(times: dict[str, list[float]]) -> None:
    print(f"{'request':<14}{'n':>7}{'median ms':>11}{'mean ms':>9}{'p90 ms':>8}")
    for kind, values in times.items():
        q = statistics.quantiles(values, n=10)
        print(f"{kind:<14}{len(values):>7}{statistics.median(values) * 1000:>11.3f}"
              f"{statistics.fmean(values) * 1000:>9.3f}{q[8] * 1000:>8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="reservation rounds (each: reserve, commit or "
                                                                   "release, one availability read)")
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--db", action="store_true", help="PostgreSQL's CPU per request of each kind (one more pass)")
    parser.add_argument("--parts", action="store_true", help="one more pass, CPU time by part of the request")
    parser.add_argument("--profile", action="store_true", help="one more pass under cProfile (CPU time)")
    parser.add_argument("--top", type=int, default=40, help="with --profile: the N functions with most own time")
    opts = parser.parse_args()

    name, url = create_database()
    try:
        print(f"seeding {opts.skus} SKUs into scratch database {name} …", flush=True)
        token = seed(url, opts.skus)
        if opts.db:
            import psycopg

            with psycopg.connect(_libpq(url), autocommit=True) as conn:
                conn.execute(f'ALTER DATABASE "{name}" SET track_functions = \'pl\'')
        from app import create_app

        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
        api = Api(app, token, opts.skus)
        run_api(api, 50, None)  # warm-up: token cached, pool filled, statements prepared
        times: dict[str, list[float]] = {}
        db_before = database_cpu(_libpq(url), name)
        run_api(api, opts.requests, times)
        db_api = database_cpu(_libpq(url), name) - db_before

        os.environ["FLOOR_DSN"] = _libpq(url)
        import psycopg

        with psycopg.connect(_libpq(url)) as conn:
            os.environ["FLOOR_WAREHOUSE_ID"] = str(conn.execute(
                "SELECT id FROM warehouse WHERE code = 'CLOUD'").fetchone()[0])  # type: ignore[index]
            ids = [r[0] for r in conn.execute("SELECT id FROM product")]
        import floor_app

        run_floor(floor_app.app, ids, 50, None)
        db_before = database_cpu(_libpq(url), name)
        run_floor(floor_app.app, ids, opts.requests, times)
        db_floor = database_cpu(_libpq(url), name) - db_before
        print(f"CPU time of the request's thread (time.thread_time), {opts.requests} rounds, PostgreSQL, "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        summary(times)
        api_requests = sum(len(v) for k, v in times.items() if k != "floor")
        print(f"PostgreSQL backends' CPU per request (/proc, {1000 / os.sysconf('SC_CLK_TCK'):.0f} ms ticks): "
              f"API mix {db_api * 1000 / api_requests:.3f} ms, floor {db_floor * 1000 / len(times['floor']):.3f} ms")
        if opts.db:
            by_kind = database_cpu_by_kind(api, _libpq(url), name, opts.requests)
            print("PostgreSQL CPU ms per request by kind: " + ", ".join(f"{k} {v:.3f}" for k, v in by_kind.items()))
        if opts.parts:
            parts = instrument(app)
            counted: dict[str, list[float]] = {}
            run_api(api, opts.requests, counted)
            parts.undo()
            n = sum(len(v) for v in counted.values())
            total = sum(sum(v) for v in counted.values())
            print(f"\nby part, CPU ms per request (mean over {n} API requests of the mix above, "
                  f"{total * 1000 / n:.3f} ms in all):")
            for part, spent in sorted(parts.spent.items(), key=lambda kv: -kv[1]):
                print(f"  {part:<42}{spent * 1000 / n:>7.3f}")
        if opts.profile:
            profile = cProfile.Profile(time.thread_time)
            profile.enable()
            run_api(api, opts.requests, None)
            profile.disable()
            if opts.top:
                print()
                stream = io.StringIO()
                pstats.Stats(profile, stream=stream).sort_stats("tottime").print_stats(opts.top)
                print(stream.getvalue())
        app.extensions["stockwise_db"].engine.dispose()
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()
