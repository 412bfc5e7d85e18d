"""Scale benchmark of a forecast run (not a test): ledger in a database → batched run → suggestions.

``--series`` synthetic SKU × warehouse series (``forecasting.synthetic``; 5 warehouses per
SKU: 1 cloud + 4 forward) over ``--days`` days are written as shipment rows into a scratch
database (SQLite in a temp dir, or an EMPTY ``--database-url``, e.g. PostgreSQL), generated
and inserted a chunk of series at a time so this process stays small; the last 28 days are
held out. Then:

1. the end-to-end run (``app.planning.job.execute_run``: batches read from the ledger,
   forecast, planned, written) in a fresh child process, its memory sampled every 0.1 s
   over the whole process tree (the job + its pool or Dask workers);
2. the rows/s the job's batch reads get from the database (the same reads, timed alone);
3. bare statsforecast: the same cross-validation and forecast calls with the same models
   on the same gap-filled frame, whole frame at once (``--skip-bare`` to skip).

Prints end-to-end time, ms per series, the ratio to bare statsforecast, peak memory (job
process + largest child, and the whole tree) and bytes per history row (series × days).

    python bench/forecast_scale.py --series 30000 --days 730            # ~20 min on 2 idle cores
    python bench/forecast_scale.py --series 30490 --days 1941           # the M5 shape
    python bench/forecast_scale.py --series 2000 --engine dask          # the same run on a LocalCluster
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.catalog.models import Product  # noqa: E402
from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.stock.models import StockBalance, StockMovement, Warehouse  # noqa: E402
from app.suppliers.models import Supplier, SupplierPrice  # noqa: E402
from forecasting.synthetic import make_daily_demand  # noqa: E402

HOLDOUT = 28
SEASON = 7
WAREHOUSES = ("CLD", "BJ", "SH", "GZ", "CD")
CHUNK_SERIES = 1000  # series generated and inserted at a time
BARE_SERIES = 5000  # series per block of the bare statsforecast calls
INSERT_ROWS = 20_000
START = "2024-01-01"
MIB = 1024 * 1024


def chunk_demand(chunk: int, n: int, days: int, seed: int) -> pd.DataFrame:
    """The ``chunk``-th block of ``n`` series (deterministic per chunk), zero days dropped."""
    return make_daily_demand(n, days, start=START, seed=seed * 100_003 + chunk, drop_zeros=True)


def reference_data(conn: Any, n_products: int) -> tuple[list[int], list[int]]:
    """Warehouses (cloud first, then the forward ones), ``n_products`` products with a
    preferred price of one supplier; returns (warehouse ids, product ids)."""
    cloud = conn.execute(insert(Warehouse).returning(Warehouse.id), [
        {"code": "CLD", "name": "Cloud", "kind": "cloud", "region": "east", "city": "Hangzhou"}]).scalar_one()
    forwards = [conn.execute(insert(Warehouse).returning(Warehouse.id), [
        {"code": code, "name": code, "kind": "forward", "region": code, "city": code,
         "replenished_from_id": cloud}]).scalar_one() for code in WAREHOUSES[1:]]
    supplier = conn.execute(insert(Supplier).returning(Supplier.id), [
        {"code": "SUP", "name": "Bench supplier"}]).scalar_one()
    conn.execute(insert(Product), [{"sku": f"P{i:05d}", "name": f"Product {i}"} for i in range(n_products)])
    products = list(conn.scalars(select(Product.id).order_by(Product.id)))
    conn.execute(insert(SupplierPrice), [
        {"supplier_id": supplier, "product_id": p, "unit_price": 5, "moq": 10, "pack_size": 5,
         "lead_time_days": 7, "is_preferred": True, "valid_from": dt.date(2020, 1, 1)} for p in products])
    return [cloud, *forwards], products


def fill_ledger(url: str, series: int, days: int, seed: int) -> dict[str, Any]:
    """Reference data and one shipment row per (series, day with demand) before the holdout."""
    migrate.upgrade(url)
    engine = make_engine(url)
    cut = pd.Timestamp(START) + pd.Timedelta(days=days - 1 - HOLDOUT)
    rows = history_rows = 0
    with engine.begin() as conn:
        warehouse_ids, products = (np.array(ids) for ids in reference_data(conn, -(-series // len(WAREHOUSES))))
    now = dt.datetime.now(dt.UTC)
    rng = np.random.default_rng(seed)
    for chunk, first in enumerate(range(0, series, CHUNK_SERIES)):
        n = min(CHUNK_SERIES, series - first)
        demand = chunk_demand(chunk, n, days, seed)
        train = demand.loc[demand["ds"] <= cut]
        index = first + train["unique_id"].str[1:].astype(int).to_numpy()
        product, warehouse = products[index // len(WAREHOUSES)], warehouse_ids[index % len(WAREHOUSES)]
        starts = train.groupby("unique_id")["ds"].min()
        history_rows += int(((cut - starts).dt.days + 1).sum())
        means = train.groupby("unique_id")["y"].sum() / max(days - HOLDOUT, 1)
        with engine.begin() as conn:
            ids = first + means.index.str[1:].astype(int).to_numpy()
            conn.execute(insert(StockBalance), [
                {"product_id": int(products[i // len(WAREHOUSES)]), "warehouse_id": int(warehouse_ids[i % 5]),
                 "on_hand": int(m * rng.uniform(0, 30))} for i, m in zip(ids, means.to_numpy(), strict=True)])
            days_ = train["ds"].dt.date.to_numpy()
            quantities = train["y"].astype(int).to_numpy()
            for lo in range(0, len(train), INSERT_ROWS):
                hi = lo + INSERT_ROWS
                conn.execute(insert(StockMovement), [
                    {"product_id": int(p), "warehouse_id": int(w), "kind": "shipment", "quantity": -int(q),
                     "occurred_at": dt.datetime(d.year, d.month, d.day, 12, tzinfo=dt.UTC), "business_date": d,
                     "recorded_at": now, "source": "bench"}
                    for p, w, d, q in zip(product[lo:hi], warehouse[lo:hi], days_[lo:hi], quantities[lo:hi],
                                          strict=True)])
        rows += len(train)
    engine.dispose()
    return {"ledger_rows": rows, "history_rows": history_rows, "today": (cut + pd.Timedelta(days=1)).date()}


class TreeMemory:
    """Samples the RSS and CPU time of a process and all its descendants every 0.1 s.

    ``cpu_seconds``: user + system CPU summed over every process of the tree, each at its
    last sample (a process that exits loses at most 0.1 s): unlike wall time, a fair measure
    on a loaded machine.
    """

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.tree = self.self_plus_largest = self.own = 0
        self.cpu: dict[tuple[int, float], float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.stop.wait(0.1):
            try:
                own = self.root.memory_info().rss
                self._cpu(self.root)
                children = []
                for child in self.root.children(recursive=True):
                    try:
                        children.append(child.memory_info().rss)
                        self._cpu(child)
                    except psutil.Error:
                        continue
            except psutil.Error:
                return
            self.own = max(self.own, own)
            self.tree = max(self.tree, own + sum(children))
            self.self_plus_largest = max(self.self_plus_largest, own + max(children, default=0))

    def _cpu(self, process: psutil.Process) -> None:
        times = process.cpu_times()
        self.cpu[(process.pid, process.create_time())] = times.user + times.system

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def child_run(url: str, today: dt.date, engine: str, batch_size: int | None) -> dict[str, Any]:
    """In the measured child: one run, end to end, then the same batch reads timed alone."""
    from app.audit.service import Actor
    from app.planning import job, service
    from app.planning.inputs import DemandWindow, load_shared_inputs, plan_batches, read_batch
    from app.planning.models import ForecastRun

    db = make_engine(url)
    sessions = make_sessionmaker(db)
    with sessions() as s, s.begin():
        run_id = service.request_run(s, Actor.system("bench"), horizon_days=HOLDOUT, engine=engine,
                                     now=dt.datetime.now(dt.UTC), start=True).id
    started = time.perf_counter()
    status = job.execute_run(sessions, run_id, history_days=None, today=today, batch_size=batch_size)
    seconds = time.perf_counter() - started
    with sessions() as s:
        run = s.get(ForecastRun, run_id)
        assert run is not None
        result = {"status": status, "error": run.error, "seconds": seconds, "series": run.series_count,
                  "run_id": run_id, "model_mix": run.model_mix}
    window = DemandWindow(until=today)
    started, read_rows, read_cpu = time.perf_counter(), 0, time.process_time()
    with sessions() as s:
        shared = load_shared_inputs(s, warehouse_id=None, today=today)
        for bounds in list(plan_batches(s, window, batch_size or job.DEFAULT_BATCH_SIZE)):
            read_rows += len(read_batch(s, bounds, window, shared).history)
    result.update(read_rows=read_rows, read_seconds=time.perf_counter() - started,
                  read_cpu_seconds=time.process_time() - read_cpu)
    db.dispose()
    return result


def bare_statsforecast(train: pd.DataFrame) -> dict[str, float]:
    """Wall and CPU seconds (this process + statsforecast's pool processes) of the
    statsforecast calls of our pipeline, on the same frame, with nothing of ours.

    The frames are cut before the clock starts. Backtest and final forecast in one
    cross-validation per model group, over one window more than the backtest's on the
    series extended by the horizon (``forecasting.history.with_placeholders``): the
    refitted models on every long-enough series, AutoETS/Theta (fitted once, rolled forward)
    on the smooth and erratic ones; HistoricAverage on the short ones; the weekly level
    models on each cutoff's weekly totals (``forecasting.weekly``; totals cut beforehand).
    """
    from statsforecast.models import Naive

    from forecasting.engine import run_statsforecast
    from forecasting.history import classify_series, with_placeholders
    from forecasting.models import (
        REFIT_MODELS,
        SEASONAL_MODELS,
        SHORT_SERIES_MODEL,
        build_model,
        fallback_model,
        max_train_length,
        min_backtest_length,
        weekly_models,
    )
    from forecasting.select import SEASONAL_CLASSES
    from forecasting.weekly import DAYS, build_weekly, weekly_totals

    classes = classify_series(train).set_index("unique_id")
    long_enough = classes.index[classes["n_obs"] >= min_backtest_length(HOLDOUT, 3, SEASON)]
    seasonal = long_enough[classes.loc[long_enough, "demand_class"].isin(SEASONAL_CLASSES)]
    extended = with_placeholders(train.loc[train["unique_id"].isin(long_enough)], HOLDOUT)
    calls = [(REFIT_MODELS, extended, True),
             (SEASONAL_MODELS, extended.loc[extended["unique_id"].isin(seasonal)], False)]
    short = classes.index.difference(long_enough)
    recent = train.loc[train["unique_id"].isin(short)].groupby("unique_id").tail(max_train_length(SEASON))
    tested = train.loc[train["unique_id"].isin(long_enough)]
    last = train["ds"].max()
    weekly = [weekly_totals(tested, last - pd.Timedelta(days=HOLDOUT * k)) for k in range(3, -1, -1)]
    started, cpu = time.perf_counter(), _cpu_with_children()
    for totals in weekly:
        if len(totals):
            run_statsforecast("forecast", totals, [build_weekly(n) for n in weekly_models("D")], freq=f"{DAYS}D",
                              fallback=Naive(), engine="local", n_jobs=-1, h=-(-HOLDOUT // DAYS))
    for names, frame, refit in calls:
        if frame.empty:
            continue
        run_statsforecast("cross_validation", frame, [build_model(n, SEASON) for n in names], freq="D",
                          fallback=fallback_model(SEASON), engine="local", n_jobs=-1, h=HOLDOUT, n_windows=3 + 1,
                          step_size=HOLDOUT, input_size=max_train_length(SEASON), refit=refit)
    if len(short):
        run_statsforecast("forecast", recent, [build_model(SHORT_SERIES_MODEL, SEASON)], freq="D", fallback=None,
                          engine="local", n_jobs=-1, h=HOLDOUT, level=[80, 95])
    return {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu_with_children() - cpu}


def _cpu_with_children() -> float:
    """CPU seconds of this process and its finished children (statsforecast's pools are shut
    down, i.e. reaped, at the end of each call)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_bare(url: str, series: int, days: int, seed: int, run_id: int) -> dict[str, Any]:
    """In a child: the statsforecast calls of the run on the same gap-filled series, a block
    of :data:`BARE_SERIES` at a time (the M5 shape in one frame would need ~20 GB)."""
    from forecasting.history import fill_gaps, validate_history

    del run_id, url  # the calls are the method's, whatever the run chose
    cut = pd.Timestamp(START) + pd.Timedelta(days=days - 1 - HOLDOUT)
    seconds = cpu = 0.0
    firsts = list(range(0, series, CHUNK_SERIES))
    per_block = max(1, BARE_SERIES // CHUNK_SERIES)
    for block in range(0, len(firsts), per_block):
        parts = []
        for chunk in range(block, min(block + per_block, len(firsts))):
            first = firsts[chunk]
            demand = chunk_demand(chunk, min(CHUNK_SERIES, series - first), days, seed)
            index = first + demand["unique_id"].str[1:].astype(int)
            parts.append(demand.assign(unique_id=index.map(lambda i: f"{i // 5}:{i % 5}")))
        train = fill_gaps(validate_history(pd.concat(parts, ignore_index=True)), end=cut)
        del parts
        bare = bare_statsforecast(train)
        seconds, cpu = seconds + bare["seconds"], cpu + bare["cpu_seconds"]
        del train
    return {"seconds": seconds, "cpu_seconds": cpu}


def in_child(*args: str) -> tuple[dict[str, Any], TreeMemory]:
    proc = subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    memory = TreeMemory(proc.pid)
    out, _ = proc.communicate()
    memory.close()
    if proc.returncode != 0:
        raise SystemExit(f"child {args[0]} failed ({proc.returncode})")
    return json.loads(out.strip().splitlines()[-1]), memory


def measure(url: str | None, series: int, days: int, seed: int, *, engine: str = "local",
            batch_size: int | None = None, bare: bool = True) -> dict[str, Any]:
    """Fill a scratch ledger, run it in a measured child, optionally the bare calls; the figures."""
    with tempfile.TemporaryDirectory(prefix="stockwise-scale-") as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        started = time.perf_counter()
        filled = fill_ledger(url, series, days, seed)
        fill_seconds = time.perf_counter() - started
        run, memory = in_child("--child-run", url, filled["today"].isoformat(), engine, str(batch_size or 0))
        if run["status"] != "succeeded":
            raise SystemExit(f"end-to-end run failed: {run['error']}")
        bare_seconds = bare_cpu = None
        if bare:
            bare_result, _ = in_child("--child-bare", url, str(series), str(days), str(seed), str(run["run_id"]))
            bare_seconds, bare_cpu = bare_result["seconds"], bare_result["cpu_seconds"]
    return {"fill_seconds": fill_seconds, **filled, "run": run, "bare_seconds": bare_seconds, "bare_cpu_seconds": bare_cpu,
            "peak_tree_mib": memory.tree / MIB, "peak_self_plus_largest_mib": memory.self_plus_largest / MIB,
            "peak_job_mib": memory.own / MIB, "tree_cpu_seconds": memory.cpu_seconds}


def report(figures: dict[str, Any], series: int, days: int, engine: str, database: str) -> None:
    run = figures["run"]
    print(f"series={series} days={days} holdout={HOLDOUT} engine={engine} database={database} cores="
          f"{psutil.cpu_count()}; ledger: {figures['ledger_rows']:,} shipment rows, {figures['history_rows']:,} "
          f"history rows (series x days), filled in {figures['fill_seconds']:.0f} s")
    print(f"end-to-end run {run['seconds']:.1f} s ({run['seconds'] / 60:.1f} min) for {run['series']} series: "
          f"{run['seconds'] / run['series'] * 1000:.1f} ms per series (aim <= 40)")
    cpu = figures["tree_cpu_seconds"] - run["read_cpu_seconds"]  # less the reads timed alone after the run
    print(f"CPU time of the run's process tree (job + workers) {cpu:.1f} s: {cpu / run['series'] * 1000:.1f} ms "
          f"CPU per series; on {psutil.cpu_count()} idle cores at best {cpu / run['series'] * 1000 / psutil.cpu_count():.1f}"
          " ms wall per series")
    if figures["bare_seconds"]:
        print(f"bare statsforecast (same CV + forecast calls, {BARE_SERIES} series a call, n_jobs=-1) "
              f"{figures['bare_seconds']:.1f} s: ratio {run['seconds'] / figures['bare_seconds']:.2f} (aim <= 1.25); "
              f"CPU {figures['bare_cpu_seconds']:.1f} s: ratio {cpu / figures['bare_cpu_seconds']:.2f}")
    tree, top = figures["peak_tree_mib"], figures["peak_self_plus_largest_mib"]
    print(f"peak memory: job process + largest child {top:.0f} MiB, whole process tree {tree:.0f} MiB "
          f"(job process alone {figures['peak_job_mib']:.0f} MiB); {tree * MIB / figures['history_rows']:.0f} bytes "
          f"per history row (tree)")
    print(f"read from the database: {run['read_rows']:,} demand rows in {run['read_seconds']:.1f} s = "
          f"{run['read_rows'] / max(run['read_seconds'], 1e-9):,.0f} rows/s (the job's batch reads, timed alone)")
    print(f"model mix: {run['model_mix']}")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-run":
        url, today, engine, batch = sys.argv[2:6]
        print(json.dumps(child_run(url, dt.date.fromisoformat(today), engine, int(batch) or None)))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--child-bare":
        url, series, days, seed, run_id = sys.argv[2:7]
        print(json.dumps(child_bare(url, int(series), int(days), int(seed), int(run_id))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", choices=("local", "dask"), default="local")
    parser.add_argument("--batch-size", type=int, default=None, help="series per batch (default: the job's)")
    parser.add_argument("--database-url", default=None, help="an EMPTY scratch database (default: temp SQLite)")
    parser.add_argument("--skip-bare", action="store_true", help="skip the bare statsforecast calls")
    args = parser.parse_args()
    figures = measure(args.database_url, args.series, args.days, args.seed, engine=args.engine,
                      batch_size=args.batch_size, bare=not args.skip_bare)
    report(figures, args.series, args.days, args.engine, "given" if args.database_url else "sqlite")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
