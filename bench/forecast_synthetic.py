"""End-to-end forecasting benchmark on synthetic daily demand (not a test).

Stages run in order on a shared context dict; each is timed. The app team can plug the
database round trip in without editing this file: ``--stage module:function`` appends a
stage (a callable taking the context dict, e.g. ``forecasting.jobs:bench_db_stage``).

Prints (1) our pipeline (selection + forecast) vs bare statsforecast fit/predict of the
same candidate models on the same frame, (2) per-series time vs a statsmodels
ExponentialSmoothing loop on a 200-series sample, (3) MASE(ours) ÷ MASE(seasonal naive) on
the last 28 days held out, (4) peak memory (this process + children).

    python bench/forecast_synthetic.py --series 2000 --days 730
"""

from __future__ import annotations

import argparse
import importlib
import resource
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from statsforecast import StatsForecast

from forecasting import promotion_days, run_forecast
from forecasting.evaluate import mase_by_series, seasonal_naive_forecast
from forecasting.history import fill_gaps, validate_history
from forecasting.models import INTERMITTENT_MODELS, SMOOTH_MODELS, build_model
from forecasting.synthetic import make_daily_demand

HOLDOUT_DAYS = 28
SEASON = 7
STATSMODELS_SAMPLE = 200
Stage = Callable[[dict[str, Any]], None]


def stage_generate(ctx: dict[str, Any]) -> None:
    demand = make_daily_demand(ctx["series"], ctx["days"], seed=ctx["seed"])
    filled = fill_gaps(validate_history(demand))
    cut = filled["ds"].max() - pd.Timedelta(days=HOLDOUT_DAYS)
    ctx["train"] = filled.loc[filled["ds"] <= cut].reset_index(drop=True)
    ctx["test"] = filled.loc[filled["ds"] > cut].reset_index(drop=True)
    ctx["events"] = promotion_days(
        filled["ds"].min(), filled["ds"].max() + pd.Timedelta(days=60)
    )


def stage_pipeline(ctx: dict[str, Any]) -> None:
    ctx["result"] = run_forecast(
        ctx["train"], HOLDOUT_DAYS, events=ctx["events"], n_jobs=-1
    )


def stage_bare_statsforecast(ctx: dict[str, Any]) -> None:
    names = dict.fromkeys((*SMOOTH_MODELS, *INTERMITTENT_MODELS))  # unique, ordered
    models = [build_model(name, SEASON) for name in names]
    sf = StatsForecast(models=models, freq="D", n_jobs=-1)
    sf.forecast(df=ctx["train"], h=HOLDOUT_DAYS)


def stage_statsmodels_loop(ctx: dict[str, Any]) -> None:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    ids = (
        ctx["train"]["unique_id"]
        .drop_duplicates()
        .sample(min(STATSMODELS_SAMPLE, ctx["series"]), random_state=0)
    )
    sample = ctx["train"].loc[ctx["train"]["unique_id"].isin(ids)]
    for _, series in sample.groupby("unique_id"):
        y = series["y"].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter on flat/short series
            try:
                fit = ExponentialSmoothing(
                    y, trend="add", seasonal="add", seasonal_periods=SEASON
                ).fit()
            except ValueError:  # fewer than two seasons of data
                fit = ExponentialSmoothing(y).fit()
            fit.forecast(HOLDOUT_DAYS)
    ctx["statsmodels_series"] = len(ids)


def stage_accuracy(ctx: dict[str, Any]) -> None:
    train, test = ctx["train"], ctx["test"]
    naive = seasonal_naive_forecast(
        train.loc[train.groupby("unique_id")["ds"].transform("size") >= SEASON],
        HOLDOUT_DAYS,
        SEASON,
        "D",
    )
    ours = mase_by_series(train, test, ctx["result"].forecasts, SEASON)
    base = mase_by_series(train, test, naive, SEASON)
    scored = ours.notna() & base.reindex(ours.index).notna()
    ctx["mase_ours"] = ours[scored].mean()
    ctx["mase_naive"] = base.reindex(ours.index)[scored].mean()
    ctx["scored"] = int(scored.sum())


def load_stage(spec: str) -> Stage:
    module, _, function = spec.partition(":")
    stage: Stage = getattr(importlib.import_module(module), function)
    return stage


def peak_memory_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--skip-bare", action="store_true", help="skip the bare statsforecast run"
    )
    parser.add_argument(
        "--stage", action="append", default=[], help="extra stage module:function"
    )
    args = parser.parse_args()
    ctx: dict[str, Any] = {"series": args.series, "days": args.days, "seed": args.seed}
    stages: list[tuple[str, Stage]] = [
        ("generate", stage_generate),
        ("pipeline", stage_pipeline),
        ("statsmodels_loop", stage_statsmodels_loop),
        ("accuracy", stage_accuracy),
    ]
    if not args.skip_bare:
        stages.insert(2, ("bare_statsforecast", stage_bare_statsforecast))
    stages += [(spec, load_stage(spec)) for spec in args.stage]
    seconds: dict[str, float] = {}
    for name, stage in tqdm(stages, desc="bench", unit="stage"):
        started = time.perf_counter()
        stage(ctx)
        seconds[name] = time.perf_counter() - started

    n = args.series
    selection = ctx["result"].selection
    print(f"series={n} days={args.days} holdout={HOLDOUT_DAYS} cores=2 (n_jobs=-1)")
    print("stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    if "bare_statsforecast" in seconds:
        print(
            f"(1) pipeline {seconds['pipeline']:.1f} s vs bare statsforecast forecast of all "
            f"{len(set(SMOOTH_MODELS + INTERMITTENT_MODELS))} candidates on every series "
            f"{seconds['bare_statsforecast']:.1f} s: ratio {seconds['pipeline'] / seconds['bare_statsforecast']:.2f}"
        )
    ours_ms = seconds["pipeline"] / n * 1000
    sm_ms = seconds["statsmodels_loop"] / ctx["statsmodels_series"] * 1000
    print(
        f"(2) per series: pipeline {ours_ms:.1f} ms vs statsmodels ExponentialSmoothing loop "
        f"{sm_ms:.1f} ms ({ctx['statsmodels_series']} series): ratio {ours_ms / sm_ms:.2f}"
    )
    print(
        f"(3) holdout MASE ours {ctx['mase_ours']:.3f} / seasonal naive {ctx['mase_naive']:.3f}"
        f" = {ctx['mase_ours'] / ctx['mase_naive']:.3f} over {ctx['scored']} series"
    )
    print(f"(4) peak memory (self + children ru_maxrss): {peak_memory_mb():.0f} MiB")
    mix = selection["model"].value_counts(normalize=True).mul(100).round(1)
    print("model mix %: " + ", ".join(f"{k} {v}" for k, v in mix.items()))
    print(
        f"median backtest MASE chosen {np.nanmedian(selection['mase']):.3f} vs seasonal naive "
        f"{np.nanmedian(selection['mase_seasonal_naive']):.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
