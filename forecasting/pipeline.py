"""history → backtest → combined forecast: the public forecasting entry points.

Intervals: split-conformal from each series' own backtest (:mod:`forecasting.fits`);
series too short to backtest use HistoricAverage's own normal intervals. All values are
clipped at zero (demand cannot be negative).

Batches: with ``batch_size`` the series are split into batches of that many; every batch is
backtested *and* fitted by one task (:class:`forecasting.fits.BatchTask`), and the tasks run
on ONE process pool of ``n_jobs`` workers for the whole run (statsforecast itself would start
a pool per call). The pooled pieces — seasonal profile, class weights — are then computed
over all series at once, so results do not depend on the batching; promotion uplift is
estimated on all series first.
``progress(done, total, "forecasting")`` is called with the number of series done.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import pandas as pd

from forecasting.engine import check_engine
from forecasting.events import (
    apply_uplift,
    estimate_uplift,
    remove_uplift,
    validate_events,
)
from forecasting.fits import BatchFits, BatchTask, assemble, interval_columns
from forecasting.history import fill_gaps, validate_history
from forecasting.select import check_horizon, concat_rows, decide

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
    task = BatchTask(horizon, freq, levels, season_length, n_windows, engine, n_jobs)
    fits = _run_batches(filled, task, batch_size, progress)
    backtest = decide(concat_rows([f.rows for f in fits]), filled, freq, season_length)
    forecasts = assemble(
        pd.concat([f.raw for f in fits if not f.raw.empty] or [fits[0].raw], ignore_index=True),
        pd.concat([f.short for f in fits], ignore_index=True),
        backtest,
        filled,
        freq,
        levels,
        season_length,
    )
    selection = backtest.selection
    value_columns = ["yhat", *interval_columns(levels)]
    if calendar is not None:
        forecasts = apply_uplift(forecasts, calendar, uplift, value_columns)
    forecasts[value_columns] = forecasts[value_columns].clip(lower=0.0)
    return ForecastResult(forecasts=forecasts, selection=selection, uplift=uplift)


def _workers(n_jobs: int) -> int:
    return max(1, os.cpu_count() or 1) if n_jobs < 1 else n_jobs


def _run_batches(
    filled: pd.DataFrame,
    task: BatchTask,
    batch_size: int | None,
    progress: Progress | None,
) -> list[BatchFits]:
    """Run ``task`` over batches of series; one process pool for all batches (module doc)."""
    ids = filled["unique_id"].unique()  # sorted: fill_gaps sorts by series
    size = len(ids) if batch_size is None else batch_size
    bounds = list(range(0, len(ids), size))
    batches = [
        filled.loc[filled["unique_id"].isin(ids[i : i + size])] for i in bounds
    ]
    if progress is not None:
        progress(0, len(ids), "forecasting")
    results: dict[int, BatchFits] = {}
    done = 0
    workers = min(_workers(task.n_jobs), len(batches))
    if task.engine != "local" or workers < 2:
        for number, batch in enumerate(batches):
            results[number] = task(batch)
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
                pool.submit(single, batch): (number, batch["unique_id"].nunique())
                for number, batch in enumerate(batches)
            }
            try:
                for future in as_completed(futures):
                    number, count = futures[future]
                    results[number] = future.result()
                    done += count
                    if progress is not None:
                        progress(done, len(ids), "forecasting")
            except BaseException:
                # An error or an interrupt (Ctrl-C, worker stop): drop the queued batches
                # instead of finishing them all before the exception gets out.
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    # In batch order, so pooled sums do not depend on which worker finished first.
    return [results[number] for number in sorted(results)]
