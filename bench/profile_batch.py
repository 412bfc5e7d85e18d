"""CPU time of one batch of a forecast run, stage by stage (not a test).

Fills a scratch SQLite ledger like ``bench/forecast_scale.py`` (``--series`` synthetic series
× ``--days``; the first 1,000 series are the same as in any larger run), then, in this one
process, for batch ``--batch`` of the run (500 series by default):

* the job's read (``app.planning.inputs.read_batch``),
* the pure task (``forecasting.batch.run_batch``: backtest, fits, combination, intervals,
  network planning) — with ``--profile FILE`` under cProfile (CPU clock), saved to FILE,
* the job's write (``app.planning.results.write_batch``).

CPU time of one process (``time.process_time``; the task runs on one core, as on a pool
worker) is comparable on a loaded machine, wall time is not.

    python bench/profile_batch.py --series 1000 --days 730 --batch 1 [--profile /tmp/batch.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import forecast_scale  # noqa: E402  (bench/forecast_scale.py)

import app.models  # noqa: E402,F401  (every table, for the ORM)
from app.audit.service import Actor  # noqa: E402
from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.planning import results, service  # noqa: E402
from app.planning.inputs import DemandWindow, load_shared_inputs, plan_batches, read_batch  # noqa: E402
from app.planning.models import BatchStatus, ForecastBatch  # noqa: E402
from forecasting.batch import BatchSpec, run_batch  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=1, help="batch number (1-based)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--profile", default=None, help="save a cProfile of run_batch (CPU clock) here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stockwise-batch-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        today = forecast_scale.fill_ledger(url, args.series, args.days, args.seed)["today"]
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        window = DemandWindow(until=today)
        with sessions() as s:
            shared = load_shared_inputs(s, warehouse_id=None, today=today)
            bounds = list(plan_batches(s, window, args.batch_size))[args.batch - 1]
            started = time.process_time()
            data = read_batch(s, bounds, window, shared)
            read_cpu = time.process_time() - started
        spec = BatchSpec(horizon=forecast_scale.HOLDOUT, start=today)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        started = time.process_time()
        if profiler is not None:
            profiler.enable()
        output = run_batch(spec, data)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        task_cpu = time.process_time() - started
        with sessions() as s, s.begin():
            run = service.request_run(s, Actor.system("bench"), horizon_days=spec.horizon,
                                      now=dt.datetime.now(dt.UTC), start=True)
            run.start_day, run.progress_total = today, bounds.series_count
            batch = ForecastBatch(run_id=run.id, number=bounds.number, first_product_id=bounds.first_product_id,
                                  last_product_id=bounds.last_product_id, series_count=bounds.series_count,
                                  status=BatchStatus.PENDING.value)
            s.add(batch)
            s.flush()
            run_id, batch_id = run.id, batch.id
        started = time.process_time()
        with sessions() as s, s.begin():
            results.write_batch(s, run_id, batch_id, output, warehouse_id=None, elapsed_seconds=0.0,
                                now=dt.datetime.now(dt.UTC))
        write_cpu = time.process_time() - started
        engine.dispose()
    n = len(output.series)
    print(f"batch {bounds.number} of --series {args.series} --days {args.days}: {n} series, "
          f"{len(data.history):,} demand rows; CPU ms per series (one process):")
    for name, seconds in (("read", read_cpu), ("forecast + plan (run_batch)", task_cpu), ("write", write_cpu),
                          ("total", read_cpu + task_cpu + write_cpu)):
        print(f"  {name:28s} {seconds / n * 1000:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
