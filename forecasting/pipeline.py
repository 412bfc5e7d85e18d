"""history → model choice → forecast: the public forecasting entry points.

Intervals: every series gets split-conformal intervals from its own backtest — the
``level``% interval is ``yhat ± q``, ``q`` the ``ceil((n+1)·level/100)``-th smallest of the
chosen model's ``n`` absolute backtest errors (all windows and horizon steps pooled, so the
width is constant over the horizon). One rule for every model, including the Croston
family that has no intervals of its own; a higher level can only take a larger order
statistic, so intervals nest. Series too short to backtest use HistoricAverage's own normal
intervals. All values are clipped at zero (demand cannot be negative).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.engine import check_engine, run_statsforecast
from forecasting.events import (
    apply_uplift,
    estimate_uplift,
    remove_uplift,
    validate_events,
)
from forecasting.history import fill_gaps, validate_history
from forecasting.models import (
    SHORT_SERIES_MODEL,
    build_model,
    fallback_model,
    max_train_length,
)
from forecasting.select import Backtest, backtest_series, check_horizon


@dataclass(frozen=True)
class ForecastResult:
    """``forecasts`` as returned by :func:`forecast`; ``selection`` as by ``select_models``;
    ``uplift`` has ``unique_id, event, uplift`` (empty without events)."""

    forecasts: pd.DataFrame
    selection: pd.DataFrame
    uplift: pd.DataFrame


def check_level(level: Sequence[int]) -> tuple[int, ...]:
    """Return ``level`` as a sorted tuple of distinct ints in 1..99.

    Raises:
        ValueError: a level that is not a whole number strictly between 0 and 100.
        TypeError: ``level`` is not iterable.
    """
    values = [level] if isinstance(level, (str, bytes)) else list(level)
    checked = []
    for value in values:
        number = _as_number(value)
        if number is None or not number.is_integer() or not 0 < number < 100:
            raise ValueError(
                f"unknown level {value!r}: must be a whole percentage in 1..99"
            )
        checked.append(int(number))
    return tuple(sorted(set(checked)))


def _as_number(value: object) -> float | None:
    if isinstance(value, (bool, str, bytes)):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def interval_columns(level: Sequence[int]) -> list[str]:
    """Output interval columns, e.g. ``yhat_lo_80, yhat_hi_80, yhat_lo_95, yhat_hi_95``."""
    return [f"yhat_{side}_{lv}" for lv in level for side in ("lo", "hi")]


def forecast(
    history: pd.DataFrame,
    horizon: int,
    freq: str = "D",
    level: Sequence[int] = (80, 95),
    events: pd.DataFrame | None = None,
    engine: str = "local",
    n_jobs: int = -1,
    season_length: int = 7,
) -> pd.DataFrame:
    """Forecast every series ``horizon`` periods past the last date in ``history``.

    ``history``: long format ``unique_id`` (str), ``ds`` (datetime), ``y`` (float >= 0);
    missing periods are zero demand. ``events`` (optional, ``ds``, ``event``) names promotion
    days in the history *and* the horizon, see :mod:`forecasting.events`.
    Returns one row per series and future period: ``unique_id, ds, yhat`` then
    ``yhat_lo_<l>, yhat_hi_<l>`` for each level, then ``model``; all values >= 0 and
    ``lo_<higher> <= lo_<lower> <= yhat <= hi_<lower> <= hi_<higher>``.

    Raises:
        ValueError: missing columns, NaN, negative or duplicated demand, horizon < 1,
            a level outside 1..99, bad events or an unknown engine.
        ImportError: ``engine`` names a package that is not installed.
    """
    return run_forecast(
        history,
        horizon,
        freq=freq,
        level=level,
        events=events,
        engine=engine,
        n_jobs=n_jobs,
        season_length=season_length,
    ).forecasts


def run_forecast(
    history: pd.DataFrame,
    horizon: int,
    *,
    freq: str = "D",
    level: Sequence[int] = (80, 95),
    events: pd.DataFrame | None = None,
    engine: str = "local",
    n_jobs: int = -1,
    season_length: int = 7,
    n_windows: int = 3,
) -> ForecastResult:
    """Like :func:`forecast` but also returns the per-series selection and uplifts."""
    check_horizon(horizon)
    levels = check_level(level)
    check_engine(engine)
    if season_length < 1:
        raise ValueError(f"season_length must be >= 1, got {season_length}")
    filled = fill_gaps(validate_history(history), freq)
    uplift = pd.DataFrame({"unique_id": [], "event": [], "uplift": []})
    calendar = None
    if events is not None:
        calendar = validate_events(events)
        uplift = estimate_uplift(filled, calendar, season_length)
        filled = remove_uplift(filled, calendar, uplift)
    backtest = backtest_series(
        filled,
        horizon,
        freq=freq,
        season_length=season_length,
        n_windows=n_windows,
        engine=engine,
        n_jobs=n_jobs,
    )
    forecasts = _forecast_chosen(
        filled, backtest, horizon, freq, levels, season_length, engine, n_jobs
    )
    value_columns = ["yhat", *interval_columns(levels)]
    if calendar is not None:
        forecasts = apply_uplift(forecasts, calendar, uplift, value_columns)
    forecasts[value_columns] = forecasts[value_columns].clip(lower=0.0)
    return ForecastResult(
        forecasts=forecasts, selection=backtest.selection, uplift=uplift
    )


def _forecast_chosen(
    filled: pd.DataFrame,
    backtest: Backtest,
    horizon: int,
    freq: str,
    levels: tuple[int, ...],
    season_length: int,
    engine: str,
    n_jobs: int,
) -> pd.DataFrame:
    """Fit each chosen model once on all the series that chose it (not per series)."""
    recent = filled.groupby("unique_id", sort=False).tail(
        max_train_length(season_length)
    )
    chosen = backtest.selection.set_index("unique_id")["model"]
    parts = []
    for name, ids in chosen.groupby(chosen).groups.items():
        short = name == SHORT_SERIES_MODEL
        raw = run_statsforecast(
            "forecast",
            recent.loc[recent["unique_id"].isin(ids)],
            [build_model(str(name), season_length)],
            freq=freq,
            # SeasonalNaive needs a full season, which short series lack.
            fallback=None if short else fallback_model(season_length),
            engine=engine,
            n_jobs=n_jobs,
            h=horizon,
            level=list(levels) if short and levels else None,
        )
        parts.append(_standardise(raw, str(name), levels, short))
    frame = pd.concat(parts, ignore_index=True)
    conformal = _conformal_widths(backtest.abs_errors, levels)
    for lv in levels:
        width = frame["unique_id"].map(conformal[lv]) if not conformal.empty else np.nan
        lo, hi = f"yhat_lo_{lv}", f"yhat_hi_{lv}"
        frame[lo] = frame[lo].fillna(frame["yhat"] - width)
        frame[hi] = frame[hi].fillna(frame["yhat"] + width)
        # One-point series have no spread at all: a zero-width interval, not NaN.
        frame[lo] = frame[lo].fillna(frame["yhat"])
        frame[hi] = frame[hi].fillna(frame["yhat"])
    columns = ["unique_id", "ds", "yhat", *interval_columns(levels), "model"]
    return (
        frame.loc[:, columns]
        .sort_values(["unique_id", "ds"], kind="stable")
        .reset_index(drop=True)
    )


def _standardise(
    raw: pd.DataFrame, name: str, levels: tuple[int, ...], short: bool
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"unique_id": raw["unique_id"], "ds": raw["ds"], "yhat": raw[name]}
    )
    for lv in levels:
        for side in ("lo", "hi"):
            source = f"{name}-{side}-{lv}"
            frame[f"yhat_{side}_{lv}"] = (
                raw[source] if short and source in raw else np.nan
            )
    frame["model"] = name
    return frame


def _conformal_widths(
    abs_errors: pd.DataFrame, levels: tuple[int, ...]
) -> pd.DataFrame:
    """Per series and level, the split-conformal half-width (see module doc)."""
    if abs_errors.empty:
        return pd.DataFrame()
    ordered = abs_errors.sort_values(["unique_id", "abs_error"], kind="stable")
    ranks = ordered.groupby("unique_id").cumcount() + 1  # 1-based order statistic
    counts = ordered.groupby("unique_id")["abs_error"].transform("size")
    widths = {}
    for lv in levels:
        wanted = np.minimum(np.ceil((counts + 1) * lv / 100), counts)
        widths[lv] = ordered.loc[ranks == wanted].set_index("unique_id")["abs_error"]
    return pd.DataFrame(widths)
