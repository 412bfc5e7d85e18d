"""history → model choice → forecast: the public forecasting entry points.

Intervals: every series gets split-conformal intervals from its own backtest — the
``level``% interval is ``yhat ± q``, ``q`` the ``ceil((n+1)·level/100)``-th smallest of the
chosen model's ``n`` absolute backtest errors (all windows and horizon steps pooled, so the
width is constant over the horizon). One rule for every model, including the Croston
family that has no intervals of its own; a higher level can only take a larger order
statistic, so intervals nest. Series too short to backtest use HistoricAverage's own normal
intervals. All values are clipped at zero (demand cannot be negative).

Batches: with ``batch_size`` the series are split into batches of that many; every batch is
backtested *and* forecast by one task, and the tasks run on ONE process pool of ``n_jobs``
workers for the whole run (statsforecast itself would start a pool per call: two backtest
calls and one forecast call per chosen model). Results do not depend on the batching:
every series is fitted on its own, and promotion uplift is estimated on all series first.
``progress(done, total, "forecasting")`` is called with the number of series done.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
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

Progress = Callable[[int, int, str], None]  # done, total, stage


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
    start: object | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> ForecastResult:
    """Like :func:`forecast` but also returns the per-series selection and uplifts.

    ``start`` (date-like, optional): the first forecast period. History from ``start`` on
    is ignored and every series is zero-filled up to the period before it, so a ledger that
    stopped a week ago still forecasts from ``start`` (the idle week counts as no demand)
    instead of from its last sale. Default: the period after the latest date in ``history``.
    ``batch_size`` and ``progress``: see the module doc (default: one batch, no callback).

    Raises:
        ValueError: as :func:`forecast`; also ``batch_size`` < 1, or no history before ``start``.
    """
    check_horizon(horizon)
    levels = check_level(level)
    check_engine(engine)
    if season_length < 1:
        raise ValueError(f"season_length must be >= 1, got {season_length}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    end = None if start is None else pd.Timestamp(start) - pd.tseries.frequencies.to_offset(freq)
    filled = fill_gaps(validate_history(history), freq, end=end)
    if filled.empty:
        raise ValueError(f"history has no rows before the forecast start {start}")
    uplift = pd.DataFrame({"unique_id": [], "event": [], "uplift": []})
    calendar = None
    if events is not None:
        calendar = validate_events(events)
        uplift = estimate_uplift(filled, calendar, season_length)
        filled = remove_uplift(filled, calendar, uplift)
    task = _Task(horizon, freq, levels, season_length, n_windows, engine, n_jobs)
    forecasts, selection = _run_batches(filled, task, batch_size, progress)
    value_columns = ["yhat", *interval_columns(levels)]
    if calendar is not None:
        forecasts = apply_uplift(forecasts, calendar, uplift, value_columns)
    forecasts[value_columns] = forecasts[value_columns].clip(lower=0.0)
    return ForecastResult(forecasts=forecasts, selection=selection, uplift=uplift)


@dataclass(frozen=True)
class _Task:
    """The settings every batch is run with (picklable: sent to the pool's workers)."""

    horizon: int
    freq: str
    levels: tuple[int, ...]
    season_length: int
    n_windows: int
    engine: str
    n_jobs: int

    def __call__(self, filled: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Backtest, choose and forecast one batch: ``(forecasts, selection)``."""
        backtest = backtest_series(
            filled,
            self.horizon,
            freq=self.freq,
            season_length=self.season_length,
            n_windows=self.n_windows,
            engine=self.engine,
            n_jobs=self.n_jobs,
        )
        forecasts = _forecast_chosen(
            filled,
            backtest,
            self.horizon,
            self.freq,
            self.levels,
            self.season_length,
            self.engine,
            self.n_jobs,
        )
        return forecasts, backtest.selection


def _workers(n_jobs: int) -> int:
    return max(1, os.cpu_count() or 1) if n_jobs < 1 else n_jobs


def _run_batches(
    filled: pd.DataFrame,
    task: _Task,
    batch_size: int | None,
    progress: Progress | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run ``task`` over batches of series; one process pool for all batches (module doc)."""
    ids = filled["unique_id"].unique()  # sorted: fill_gaps sorts by series
    size = len(ids) if batch_size is None else batch_size
    bounds = list(range(0, len(ids), size))
    batches = [
        filled.loc[filled["unique_id"].isin(ids[i : i + size])] for i in bounds
    ]
    if progress is not None:
        progress(0, len(ids), "forecasting")
    results: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    done = 0
    workers = min(_workers(task.n_jobs), len(batches))
    if task.engine != "local" or workers < 2:
        for batch in batches:
            results.append(task(batch))
            done += batch["unique_id"].nunique()
            if progress is not None:
                progress(done, len(ids), "forecasting")
    else:
        # Each worker fits its batches on one core; nested statsforecast pools would
        # only oversubscribe the same cores.
        single = dataclasses.replace(task, n_jobs=1)
        # forkserver, not fork: the caller may hold threads (a web server, a test's live
        # server, DB pools); a forked child can inherit a held lock and hang for ever, and
        # forking a process that holds the whole history frame doubles its memory.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            futures = {
                pool.submit(single, batch): batch["unique_id"].nunique()
                for batch in batches
            }
            try:
                for future in as_completed(futures):
                    results.append(future.result())
                    done += futures[future]
                    if progress is not None:
                        progress(done, len(ids), "forecasting")
            except BaseException:
                # An error or an interrupt (Ctrl-C, worker stop): drop the queued batches
                # instead of finishing them all before the exception gets out.
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    forecasts = pd.concat([r[0] for r in results], ignore_index=True)
    selection = pd.concat([r[1] for r in results], ignore_index=True)
    return (
        forecasts.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True),
        selection.sort_values("unique_id", kind="stable").reset_index(drop=True),
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
