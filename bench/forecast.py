"""End-to-end forecasting benchmark: ledger in a database → forecast run → suggestions (not a test).

Synthetic but realistic daily demand (``forecasting.synthetic``) for ``--series`` product ×
warehouse series (5 warehouses: 1 cloud + 4 forward) over ``--days`` days is written as
shipment rows into a scratch database (SQLite in a temp dir, or ``--database-url``), the last
28 days held out. Then, side by side in one run:

1. the end-to-end run (``forecasting.jobs.execute_run``: history read from the ledger,
   model selection, forecasts, network planning, everything written) vs the bare
   statsforecast calls it makes (the same cross-validation and forecast calls with the same
   models on the same gap-filled frame) — ratio, aim <= 1.25;
2. per-series time vs a statsmodels ExponentialSmoothing loop on a 200-series sample, shown
   two ways: like for like (statsforecast ``AutoETS(model="AAA", season_length=7)`` — the
   same additive Holt-Winters specification — fit + 28-day forecast on the same 200 series,
   one core each) and our whole pipeline per series (backtest of 3–5 candidates over 3
   windows + final fit, both cores) against the same loop — aim >= 20× faster;
3. holdout accuracy: MASE of the forecasts read back from the database ÷ seasonal naive's
   — aim <= 0.85;
4. (now the scale part, ``bench/forecast_scale.py``, printed first: end-to-end time, ms per
   series, ratio to bare statsforecast, peak memory of the run's process tree, bytes per
   history row, rows/s read from the database — the run in a measured child process);
5. cold start: a fresh process importing ``forecasting.jobs`` and fitting one tiny batch
   (statsforecast 2.1 / coreforecast here compile nothing at run time: no numba);

and the real-data check (``bench/forecast_real.py``: Online Retail, carparts, RAF, three
rolling origins; skipped with a reason when the real-data folder is absent). Uses both
cores (n_jobs=-1). By default only the scale part and the real data run;
 ``--quality`` adds (1)-(3) and (5) on a second, in-process ledger.

    python bench/forecast.py --series 30000 --days 730 [--database-url URL] [--skip-bare]
    python bench/forecast.py --series 1000 --days 730 --quality
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import forecast_real  # noqa: E402  (bench/forecast_real.py)
import forecast_scale  # noqa: E402  (bench/forecast_scale.py)
from statsforecast import StatsForecast  # noqa: E402
from statsforecast.models import AutoETS  # noqa: E402
from statsmodels.tsa.holtwinters import ExponentialSmoothing  # noqa: E402

from app import migrate  # noqa: E402
from app.audit.service import Actor  # noqa: E402
from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.planning import job as jobs  # noqa: E402
from app.planning import service  # noqa: E402
from app.planning.models import ForecastPoint, ForecastRun, ForecastSeries, ReplenishmentSuggestion  # noqa: E402
from app.stock.models import StockBalance, StockMovement  # noqa: E402
from forecasting.evaluate import mase_by_series, seasonal_naive_forecast  # noqa: E402
from forecasting.history import fill_gaps, validate_history  # noqa: E402
from forecasting.synthetic import make_daily_demand  # noqa: E402

HOLDOUT = 28
SEASON = 7
WAREHOUSES = ("CLD", "BJ", "SH", "GZ", "CD")
CHUNK = 20_000
STATSMODELS_SAMPLE = 200


def fill_database(url: str, demand: pd.DataFrame, cut: pd.Timestamp) -> dict[str, tuple[int, int]]:
    """Reference data + one shipment row per (series, day with demand) up to ``cut``."""
    migrate.upgrade(url)
    engine = make_engine(url)
    ids = np.sort(demand["unique_id"].unique())
    with engine.begin() as conn:
        warehouse_ids, products = forecast_scale.reference_data(conn, -(-len(ids) // len(WAREHOUSES)))
        keys = {uid: (products[i // len(WAREHOUSES)], warehouse_ids[i % len(WAREHOUSES)]) for i, uid in enumerate(ids)}
        train = demand.loc[(demand["ds"] <= cut) & (demand["y"] > 0)]
        mean = train.groupby("unique_id")["y"].sum() / train["ds"].nunique()
        rng = np.random.default_rng(1)
        conn.execute(insert(StockBalance), [
            {"product_id": keys[uid][0], "warehouse_id": keys[uid][1],
             "on_hand": int(mean.get(uid, 0) * rng.uniform(0, 30))} for uid in ids])
        stamps = {d: dt.datetime(d.year, d.month, d.day, 12, tzinfo=dt.UTC) for d in train["ds"].dt.date.unique()}
        now = dt.datetime.now(dt.UTC)
        product_of = train["unique_id"].map(lambda u: keys[u][0]).to_numpy()
        warehouse_of = train["unique_id"].map(lambda u: keys[u][1]).to_numpy()
        days = train["ds"].dt.date.to_numpy()
        quantities = train["y"].astype(int).to_numpy()
        for start in range(0, len(train), CHUNK):
            conn.execute(insert(StockMovement), [
                {"product_id": int(p), "warehouse_id": int(w), "kind": "shipment", "quantity": -int(q),
                 "occurred_at": stamps[d], "business_date": d, "recorded_at": now, "source": "bench"}
                for p, w, d, q in zip(product_of[start:start + CHUNK], warehouse_of[start:start + CHUNK],
                                      days[start:start + CHUNK], quantities[start:start + CHUNK], strict=True)])
    engine.dispose()
    return {f"P{(i // len(WAREHOUSES)):05d}@{WAREHOUSES[i % len(WAREHOUSES)]}": keys[uid] for i, uid in enumerate(ids)}


def end_to_end(url: str, today: dt.date) -> tuple[float, int]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as s, s.begin():
        run_id = service.request_run(s, Actor.system("bench"), horizon_days=HOLDOUT, now=dt.datetime.now(dt.UTC),
                                     start=True).id
    started = time.perf_counter()
    status = jobs.execute_run(sessions, run_id, history_days=None, today=today)
    elapsed = time.perf_counter() - started
    with sessions() as s:
        run = s.get(ForecastRun, run_id)
        assert run is not None
        if status != "succeeded":
            raise SystemExit(f"end-to-end run failed: {run.error}")
        suggestions = len(s.scalars(select(ReplenishmentSuggestion.id)).all())
    engine.dispose()
    return elapsed, suggestions


def read_forecasts(url: str, names: dict[tuple[int, int], str]) -> tuple[pd.DataFrame, pd.Series]:
    """The run's forecast points and each series' chosen model, as written to the database."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(ForecastPoint.product_id, ForecastPoint.warehouse_id, ForecastPoint.ds,
                                   ForecastPoint.yhat)).all()
        models = conn.execute(select(ForecastSeries.product_id, ForecastSeries.warehouse_id,
                                     ForecastSeries.model)).all()
    engine.dispose()
    chosen = pd.Series({names[(p, w)]: m for p, w, m in models}, name="model")
    frame = pd.DataFrame(rows, columns=["product_id", "warehouse_id", "ds", "yhat"])
    frame["unique_id"] = [names[(p, w)] for p, w in zip(frame["product_id"], frame["warehouse_id"], strict=True)]
    frame["ds"] = pd.to_datetime(frame["ds"])
    return frame, chosen


def like_for_like(train: pd.DataFrame, n_series: int) -> dict[str, float]:
    """ms per series, one core each: statsmodels Holt-Winters loop vs statsforecast AAA ETS."""
    ids = train["unique_id"].drop_duplicates().sample(min(STATSMODELS_SAMPLE, n_series), random_state=0)
    sample = train.loc[train["unique_id"].isin(ids)]
    long_enough = sample.groupby("unique_id")["y"].transform("size") >= 2 * SEASON
    sample = sample.loc[long_enough]
    count = sample["unique_id"].nunique()
    started = time.perf_counter()
    for _, series in sample.groupby("unique_id"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter on flat series
            ExponentialSmoothing(series["y"].to_numpy(), trend="add", seasonal="add",
                                 seasonal_periods=SEASON).fit().forecast(HOLDOUT)
    statsmodels_ms = (time.perf_counter() - started) / count * 1000
    started = time.perf_counter()
    StatsForecast(models=[AutoETS(season_length=SEASON, model="AAA")], freq="D", n_jobs=1).forecast(
        df=sample, h=HOLDOUT)
    statsforecast_ms = (time.perf_counter() - started) / count * 1000
    started = time.perf_counter()
    StatsForecast(models=[AutoETS(season_length=SEASON, model="AAA")], freq="D", n_jobs=-1).forecast(
        df=sample, h=HOLDOUT)
    both_cores_ms = (time.perf_counter() - started) / count * 1000
    return {"series": count, "statsmodels_ms": statsmodels_ms, "statsforecast_ms": statsforecast_ms,
            "both_cores_ms": both_cores_ms}


COLD = ("import time; t=time.perf_counter(); from app.planning import job; from forecasting.synthetic import "
        "make_daily_demand; from forecasting import run_forecast; i=time.perf_counter()-t; "
        "run_forecast(make_daily_demand(4, 120), 7); print(f'{i:.2f} {time.perf_counter()-t-i:.2f}')")


def quality(args: argparse.Namespace) -> None:
    """(1)-(5) on one in-process ledger: speed vs statsmodels, holdout accuracy, cold start."""
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="stockwise-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        started = time.perf_counter()
        demand = make_daily_demand(args.series, args.days, seed=args.seed, drop_zeros=True)
        cut = demand["ds"].max() - pd.Timedelta(days=HOLDOUT)
        names = fill_database(url, demand, cut)
        seconds["fill database"] = time.perf_counter() - started
        e2e, n_suggestions = end_to_end(url, (cut + pd.Timedelta(days=1)).date())
        by_key = {key: uid for uid, key in names.items()}
        ours, chosen = read_forecasts(url, by_key)
    filled = fill_gaps(validate_history(demand.assign(unique_id=demand["unique_id"].map(
        dict(zip(sorted(demand["unique_id"].unique()), names, strict=True))))))
    train, test = filled.loc[filled["ds"] <= cut], filled.loc[filled["ds"] > cut]
    bare = forecast_scale.bare_statsforecast(train)["seconds"]
    lfl = like_for_like(train, args.series)
    naive = seasonal_naive_forecast(train.loc[train.groupby("unique_id")["ds"].transform("size") >= SEASON],
                                    HOLDOUT, SEASON, "D")
    ours_mase = mase_by_series(train, test, ours, SEASON)
    base_mase = mase_by_series(train, test, naive, SEASON).reindex(ours_mase.index)
    scored = ours_mase.notna() & base_mase.notna()
    cold = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, cwd=ROOT, check=True)
    import_s, first_fit_s = (float(v) for v in cold.stdout.split())

    n, sm_ms, ours_ms = args.series, lfl["statsmodels_ms"], e2e / args.series * 1000
    print(f"series={n} days={args.days} holdout={HOLDOUT} database={'given' if args.database_url else 'sqlite'} "
          f"cores=2; filling the ledger took {seconds['fill database']:.1f} s; {n_suggestions} suggestions written")
    print(f"(1) end-to-end run {e2e:.1f} s vs bare statsforecast (same CV + forecast calls) {bare:.1f} s: "
          f"ratio {e2e / bare:.2f} (aim <= 1.25)")
    print(f"(2) per series, {lfl['series']:.0f}-series sample, fit + {HOLDOUT}-day forecast: statsmodels "
          f"ExponentialSmoothing(add, add, 7) {sm_ms:.1f} ms (1 core)")
    print(f"    like for like: statsforecast AutoETS(model='AAA', season_length=7) {lfl['statsforecast_ms']:.1f} ms "
          f"(1 core): {sm_ms / lfl['statsforecast_ms']:.1f}x faster; on 2 cores {lfl['both_cores_ms']:.1f} ms wall: "
          f"{sm_ms / lfl['both_cores_ms']:.1f}x")
    print(f"    whole pipeline (level candidates refitted per backtest window and for the forecast, AutoETS/Theta fitted "
          f"once and rolled forward, combination, DB read/write, planning): "
          f"{ours_ms:.1f} ms wall per series on 2 cores: {sm_ms / ours_ms:.1f}x faster (aim >= 20x)")
    print(f"(3) holdout MASE ours {ours_mase[scored].mean():.3f} / seasonal naive {base_mase[scored].mean():.3f} = "
          f"{ours_mase[scored].mean() / base_mase[scored].mean():.3f} over {int(scored.sum())} series (aim <= 0.85)")
    mix = chosen.value_counts()
    print("    model mix: " + ", ".join(f"{k} {v}" for k, v in mix.items()))
    print(f"(5) cold process: import {import_s:.1f} s + first tiny fit {first_fit_s:.1f} s (no JIT: no numba)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", default=None, help="an EMPTY scratch database (default: temp SQLite)")
    parser.add_argument("--engine", choices=("local", "dask"), default="local", help="scale run: engine")
    parser.add_argument("--batch-size", type=int, default=None, help="scale run: series per batch")
    parser.add_argument("--skip-bare", action="store_true", help="scale run: skip the bare statsforecast calls")
    parser.add_argument("--quality", action="store_true", help="also (1)-(5): statsmodels, holdout MASE, cold start")
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    print("== scale (bench/forecast_scale.py): the run in a measured child process")
    figures = forecast_scale.measure(args.database_url, args.series, args.days, args.seed, engine=args.engine,
                                     batch_size=args.batch_size, bare=not args.skip_bare)
    forecast_scale.report(figures, args.series, args.days, args.engine,
                          "given" if args.database_url else "sqlite")
    if args.quality:
        print("== quality (one in-process ledger)")
        quality(args)
    if args.skip_real:
        print("real data: skipped (--skip-real)")
    else:
        print("real data (bench/forecast_real.py: ours vs every fixed model, three origins):")
        forecast_real.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
