"""Benchmark model choice on real monthly intermittent demand (not a test).

Data: ../shared/data/real/{carparts,raf_spare_parts}.csv (see its README); never copied
into the repository. Monthly, so freq="MS" and season length 12.

Holdout: RAF has 84 months → hold out the last 12 and backtest 3 windows of 12 on the 72
before (3 × 12 + 2 × 12 = 60 ≤ 72). Carparts has only 51 months → a 12-month holdout would
leave 39 months, room for one backtest window only; so carparts holds out and forecasts 6
months (45 left: 3 × 6 + 2 × 12 = 42 ≤ 45). Carparts series with unobserved months (blank
cells, 165 of 2,674) are left out rather than read as zero demand.

Prints, per data set, mean MASE of our choice ÷ mean MASE of seasonal naive on the holdout
(series with a zero MASE scale excluded) and the mix of chosen models.

    python bench/forecast_models.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting import run_forecast
from forecasting.evaluate import mase_by_series, seasonal_naive_forecast
from forecasting.history import fill_gaps, validate_history

DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real"
SEASON = 12


def load_carparts(path: Path) -> pd.DataFrame:
    wide = pd.read_csv(path)
    wide = wide.loc[wide.drop(columns="Part").notna().all(axis=1)]
    long = wide.melt(id_vars="Part", var_name="month", value_name="y")
    long["ds"] = pd.to_datetime(long["month"], format="%b-%y")
    return long.rename(columns={"Part": "unique_id"})[["unique_id", "ds", "y"]]


def load_raf(path: Path) -> pd.DataFrame:
    try:
        wide = pd.read_csv(path)
    except UnicodeDecodeError:
        wide = pd.read_csv(path, encoding="latin-1")
    months = [
        c for c in wide.columns if len(c) == 5 and c[:3].isalpha() and c[3:].isdigit()
    ]
    long = wide.melt(
        id_vars="Item Ref no", value_vars=months, var_name="month", value_name="y"
    )
    long["ds"] = pd.to_datetime(long["month"].str.title(), format="%b%y")
    long["y"] = long["y"].fillna(0.0)
    return long.rename(columns={"Item Ref no": "unique_id"})[["unique_id", "ds", "y"]]


def evaluate(name: str, history: pd.DataFrame, horizon: int) -> None:
    filled = fill_gaps(validate_history(history), "MS")
    cut = filled["ds"].max() - pd.DateOffset(months=horizon)
    train = filled.loc[filled["ds"] <= cut]
    test = filled.loc[filled["ds"] > cut]
    started = time.perf_counter()
    result = run_forecast(
        train, horizon, freq="MS", season_length=SEASON, level=(80, 95)
    )
    elapsed = time.perf_counter() - started
    naive = seasonal_naive_forecast(train, horizon, SEASON, "MS")
    ours = mase_by_series(train, test, result.forecasts, SEASON)
    base = mase_by_series(train, test, naive, SEASON)
    scored = ours.notna() & base.notna()
    ratio = ours[scored].mean() / base[scored].mean()
    mix = result.selection["model"].value_counts(normalize=True).mul(100).round(1)
    classes = (
        result.selection["demand_class"].value_counts(normalize=True).mul(100).round(1)
    )
    print(
        f"== {name}: {filled['unique_id'].nunique()} series, h={horizon}, {elapsed:.1f} s"
    )
    print(f"   scored series (non-zero MASE scale): {int(scored.sum())}")
    print(
        f"   mean MASE ours {ours[scored].mean():.3f} / seasonal naive "
        f"{base[scored].mean():.3f} = {ratio:.3f}"
    )
    print(
        f"   median per-series MASE ratio: {(ours[scored] / base[scored]).median():.3f}"
    )
    print("   demand classes %: " + ", ".join(f"{k} {v}" for k, v in classes.items()))
    print("   model mix %:      " + ", ".join(f"{k} {v}" for k, v in mix.items()))


def main() -> int:
    if not DATA_DIR.is_dir():
        print(f"skipped: real data folder {DATA_DIR.resolve()} is absent")
        return 0
    sets = [
        ("carparts", DATA_DIR / "carparts.csv", load_carparts, 6),
        ("raf_spare_parts", DATA_DIR / "raf_spare_parts.csv", load_raf, 12),
    ]
    for name, path, loader, horizon in sets:
        if not path.is_file():
            print(f"skipped {name}: {path.resolve()} is absent")
            continue
        evaluate(name, loader(path), horizon)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
