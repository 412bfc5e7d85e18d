"""Weekly level candidates for daily data: level models fitted on 7-day totals.

A daily lumpy series is mostly zeros; summed into weeks it is far less intermittent, so a
level model (IMAPA, simple exponential smoothing) estimates its rate with less noise. For
every cutoff the days up to it are cut into 7-day buckets *ending at the cutoff* (the last
:data:`~forecasting.models.TRAIN_SEASONS` weeks; a partial first week is dropped), the
models are fitted on the weekly totals and forecast the weeks after the cutoff; each day
after the cutoff gets its week's forecast ÷ 7 — a flat daily level, which
:func:`forecasting.select.add_profiled` spreads over the week with the pooled weekday
profile (only the profiled twin is a candidate). Online Retail (three origins, fixed
models): IMAPA on weeks × profile 0.808, SES on weeks × profile 0.809, vs the best daily
level model × profile 0.812 (docs/forecasting.md).

Per cutoff, so the buckets line up with every backtest window whatever the horizon; the
backtest and the final forecast are the same calls, refitted at each cutoff like the
daily level models.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from statsforecast.models import IMAPA, Naive, SimpleExponentialSmoothingOptimized

from forecasting.engine import run_statsforecast
from forecasting.models import TRAIN_SEASONS

DAYS = 7


def build_weekly(name: str) -> Any:
    """A fresh statsforecast model for the weekly candidate ``name`` (``IMAPA(week)``).

    Raises:
        ValueError: for a name that is not one of :data:`forecasting.models.WEEKLY_MODELS`.
    """
    if name == "IMAPA(week)":
        return IMAPA(alias=name)
    if name == "SES(week)":
        return SimpleExponentialSmoothingOptimized(alias=name)
    raise ValueError(f"unknown weekly model {name!r}")


def weekly_totals(filled: pd.DataFrame, cutoff: pd.Timestamp, weeks: int = TRAIN_SEASONS) -> pd.DataFrame:
    """``unique_id, ds, y``: 7-day totals of the ``weeks`` weeks up to ``cutoff``.

    ``ds`` is each bucket's last day (the newest bucket ends at ``cutoff``); a series' first
    bucket is dropped unless all its 7 days are in ``filled`` (gap-filled from the first sale).
    """
    start = cutoff - pd.Timedelta(days=DAYS * weeks)
    part = filled.loc[(filled["ds"] <= cutoff) & (filled["ds"] > start), ["unique_id", "ds", "y"]]
    back = (cutoff - part["ds"]).dt.days.to_numpy() // DAYS
    grouped = part.groupby([part["unique_id"].to_numpy(), back])["y"].agg(["sum", "size"])
    grouped = grouped.loc[grouped["size"] == DAYS]
    ids = grouped.index.get_level_values(0)
    ends = cutoff - pd.to_timedelta(grouped.index.get_level_values(1).to_numpy() * DAYS, unit="D")
    out = pd.DataFrame({"unique_id": ids.to_numpy(), "ds": ends, "y": grouped["sum"].to_numpy()})
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def weekly_levels(
    filled: pd.DataFrame,
    keys: pd.DataFrame,
    names: tuple[str, ...] | list[str],
    *,
    engine: str = "local",
    n_jobs: int = 1,
) -> pd.DataFrame:
    """The daily level of each weekly model for every row of ``keys``.

    ``keys``: ``unique_id, cutoff, ds`` (daily rows after their cutoff, e.g. backtest rows
    or the forecast window); ``filled``: the gap-filled daily history the cutoffs cut.
    Returns ``keys`` (same order, fresh index) with one column per name: the
    forecast of the week ``ds`` falls in ÷ 7, NaN where a series has no full week before
    the cutoff.
    """
    out = keys.loc[:, ["unique_id", "cutoff", "ds"]].reset_index(drop=True)
    columns = list(names)
    for column in columns:
        out[column] = np.nan
    if out.empty or not names:
        return out
    cutoffs = pd.to_datetime(out["cutoff"])
    ahead_days = (pd.to_datetime(out["ds"]) - cutoffs).dt.days.to_numpy()
    # The forecast week of each row and its last day (the weekly forecast's ds).
    week = (ahead_days - 1) // DAYS + 1
    out_end = cutoffs + pd.to_timedelta(week * DAYS, unit="D")
    for cutoff in cutoffs.unique():
        rows = (cutoffs == cutoff).to_numpy()
        cut = pd.Timestamp(cutoff)
        ids = out.loc[rows, "unique_id"].unique()
        totals = weekly_totals(filled.loc[filled["unique_id"].isin(ids)], cut)
        if totals.empty:
            continue
        fitted = run_statsforecast(
            "forecast",
            totals,
            [build_weekly(n) for n in names],
            freq=f"{DAYS}D",
            fallback=Naive(),
            engine=engine,
            n_jobs=n_jobs,
            h=int(week[rows].max()),
        )
        fitted = fitted.rename(columns={"ds": "_end"})
        # statsforecast names a fallback's column by the original alias; nothing to rename.
        lookup = pd.DataFrame(
            {"unique_id": out.loc[rows, "unique_id"].to_numpy(), "_end": out_end[rows].to_numpy()}
        ).merge(fitted[["unique_id", "_end", *columns]], on=["unique_id", "_end"], how="left")
        out.loc[rows, columns] = lookup[columns].to_numpy() / DAYS
    return out
