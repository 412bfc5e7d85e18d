"""Deterministic synthetic daily demand for benchmarks, tests and the demo seed.

Shape of the catalogue (all drawn from ``numpy.random.default_rng(seed)``):

* a "head" of fast movers (``1 - intermittent_share`` of series): Poisson demand around a
  lognormal level (median 20/day), a weekly pattern peaking Friday–Sunday with a per-series
  amplitude, and a per-series linear trend (−30 % … +60 % per year);
* a long "tail" of slow movers: a sale happens with probability 2–40 % a day, in sizes
  1 + Poisson(0–3);
* promotion peaks on :func:`forecasting.events.promotion_days` (618 ×3, Double 11 ×5,
  Double 12 ×2.5, the New-Year goods festival ×1.6), scaled per series;
* 10 % of series are new listings that start somewhere in the first 80 % of the range.

The same ``seed`` and arguments always give the same frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.events import promotion_days

PROMOTION_MULTIPLIER = {
    "618": 3.0,
    "double11": 5.0,
    "double12": 2.5,
    "new_year_festival": 1.6,
}
# Monday..Sunday shape of the weekly cycle (scaled by a per-series amplitude).
WEEKLY_SHAPE = np.array([-0.25, -0.25, -0.15, -0.05, 0.15, 0.35, 0.2])


def make_daily_demand(
    n_series: int = 10_000,
    n_days: int = 730,
    *,
    start: str = "2024-01-01",
    seed: int = 0,
    intermittent_share: float = 0.5,
    drop_zeros: bool = False,
) -> pd.DataFrame:
    """Return long-format demand ``unique_id, ds, y`` sorted by series then date.

    ``drop_zeros=True`` omits zero-demand days, as the order system's shipment history
    would (the forecasting contract reads a missing day as zero).
    """
    if n_series < 1 or n_days < 1:
        raise ValueError("n_series and n_days must be >= 1")
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_days, freq="D")
    t = np.arange(n_days)[None, :]
    tail = rng.random(n_series) < intermittent_share

    amplitude = rng.uniform(0.0, 1.0, n_series)[:, None]
    weekly = 1.0 + amplitude * WEEKLY_SHAPE[dates.dayofweek.to_numpy()][None, :]
    slope = rng.uniform(-0.3, 0.6, n_series)[:, None]
    trend = np.clip(1.0 + slope * t / 365.0, 0.1, None)
    promo = np.ones((n_series, n_days))
    events = promotion_days(dates[0], dates[-1])
    sensitivity = rng.uniform(0.5, 1.5, n_series)[:, None]
    for event, multiplier in PROMOTION_MULTIPLIER.items():
        on_day = dates.isin(events.loc[events["event"] == event, "ds"])
        promo[:, on_day] = 1.0 + (multiplier - 1.0) * sensitivity
    shape = weekly * trend * promo

    level = np.exp(rng.normal(np.log(20.0), 0.8, n_series))[:, None]
    head_demand = rng.poisson(level * shape)
    sale_probability = rng.uniform(0.02, 0.4, n_series)[:, None]
    size = 1 + rng.poisson(rng.uniform(0.0, 3.0, n_series)[:, None], (n_series, n_days))
    sells = rng.random((n_series, n_days)) < np.clip(sale_probability * shape, 0.0, 1.0)
    tail_demand = sells * size
    demand = np.where(tail[:, None], tail_demand, head_demand).astype("float64")

    first_day = np.where(
        rng.random(n_series) < 0.1,
        rng.integers(0, max(int(n_days * 0.8), 1), n_series),
        0,
    )
    keep = t >= first_day[:, None]
    if drop_zeros:
        keep &= demand > 0
    rows, cols = np.nonzero(keep)
    ids = np.array([f"S{i:05d}" for i in range(n_series)], dtype=object)
    return pd.DataFrame(
        {"unique_id": ids[rows], "ds": dates[cols], "y": demand[rows, cols]}
    )
