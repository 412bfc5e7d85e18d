"""One batch of a forecast run: a pure task for a pool process or a Dask worker.

A run is a sequence of batches of whole SKUs (every warehouse of a SKU in the same batch:
network planning of a cloud and its forward warehouses needs them together). The job
(``app.planning.job``) reads one batch's demand from the ledger into a *compact* frame
(:func:`compact_history`: int32 ids, int32 days since 1970-01-01, float32 demand — exact for
whole units below 2**24 a day) and hands it, with the batch's planning inputs, to
:func:`run_batch`, which forecasts (:func:`forecasting.pipeline.run_forecast`), plans
(:func:`forecasting.plan.plan_network`) and returns rows ready to write. Nothing here knows
the app or the database, so a worker needs only ``forecasting/`` and the scientific stack.

Results depend only on the batch's series (every series is fitted on its own; the promotion
uplift prior is pooled over the batch's series, see :mod:`forecasting.events`), so the same
batches give the same forecasts and suggestions on any executor.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.events import CHINESE_NEW_YEAR, promotion_days
from forecasting.pipeline import run_forecast
from forecasting.plan import NetworkInputs, plan_network

EPOCH = np.datetime64("1970-01-01", "D")
FLOAT32_EXACT = 2**24  # float32 holds every whole number up to this exactly
COMPACT_COLUMNS = ("product_id", "warehouse_id", "day", "y")


@dataclass(frozen=True)
class BatchSpec:
    """What every batch of one run is computed with."""

    horizon: int
    start: dt.date  # the first forecast day; history from it on is ignored
    levels: tuple[int, ...] = (80, 95)
    season_length: int = 7
    engine: str = "local"  # statsforecast's engine inside the task ("ray": its fugue backend)


@dataclass
class BatchInput:
    """One batch: its number, compact demand history and the planner's view of its SKUs."""

    number: int
    history: pd.DataFrame  # COMPACT_COLUMNS, see :func:`compact_history`
    network: NetworkInputs


@dataclass
class BatchOutput:
    """Rows to write for one batch, keyed by database ids."""

    number: int
    series: pd.DataFrame  # product_id, warehouse_id, demand_class, model, SCORE_COLUMNS
    points: pd.DataFrame  # product_id, warehouse_id, ds (date), yhat, yhat_lo_<l>, yhat_hi_<l> per level
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def compact_history(product_ids: Any, warehouse_ids: Any, days: Any, demand: Any) -> pd.DataFrame:
    """The transport frame of one batch: ``product_id``, ``warehouse_id`` (int32), ``day``
    (int32 days since 1970-01-01) and ``y`` (float32, clipped at 0; float64 if a value is too
    large for float32 to hold exactly).

    ``days``: dates (``datetime.date``/``datetime64``) or day numbers.
    """
    y = np.clip(np.asarray(demand, dtype="float64"), 0.0, None)
    exact = y.size == 0 or float(np.abs(y).max()) < FLOAT32_EXACT
    day_values = np.asarray(days)
    if day_values.dtype.kind in "OMU":
        day_values = (day_values.astype("datetime64[D]") - EPOCH).astype("int64")
    return pd.DataFrame({
        "product_id": np.asarray(product_ids, dtype="int32"),
        "warehouse_id": np.asarray(warehouse_ids, dtype="int32"),
        "day": np.asarray(day_values, dtype="int32"),
        "y": y.astype("float32") if exact else y,
    })


def series_name(product_id: int, warehouse_id: int) -> str:
    return f"{product_id}:{warehouse_id}"


def expand_history(compact: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[int, int]]]:
    """The pipeline's long frame (``unique_id``, ``ds``, ``y`` float64) and ``unique_id →
    (product_id, warehouse_id)``."""
    products = compact["product_id"].to_numpy(dtype="int64")
    warehouses = compact["warehouse_id"].to_numpy(dtype="int64")
    pairs = pd.MultiIndex.from_arrays([products, warehouses]).unique()
    keys = {series_name(int(p), int(w)): (int(p), int(w)) for p, w in pairs}
    ids = pd.Series(products).astype(str).str.cat(pd.Series(warehouses).astype(str), sep=":")
    history = pd.DataFrame({
        "unique_id": ids.to_numpy(),
        "ds": EPOCH + compact["day"].to_numpy(dtype="int64").astype("timedelta64[D]"),
        "y": compact["y"].to_numpy(dtype="float64"),
    })
    history["ds"] = pd.to_datetime(history["ds"])
    return history, keys


def promotion_calendar(first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame | None:
    """Promotion days over ``first..last``, limited to the years whose calendar we know."""
    start = max(first, pd.Timestamp(min(CHINESE_NEW_YEAR), 1, 1))
    end = min(last, pd.Timestamp(max(CHINESE_NEW_YEAR), 12, 31))
    return promotion_days(start, end) if start <= end else None


def run_batch(spec: BatchSpec, batch: BatchInput) -> BatchOutput:
    """Forecast and plan one batch (single core: the caller runs batches side by side).

    Raises:
        ValueError: as :func:`forecasting.run_forecast` (e.g. no history before ``spec.start``).
    """
    started = time.perf_counter()
    history, keys = expand_history(batch.history)
    first_day = pd.Timestamp(spec.start)
    events = promotion_calendar(history["ds"].min(), first_day + pd.Timedelta(days=spec.horizon))
    result = run_forecast(history, spec.horizon, level=spec.levels, events=events, engine=spec.engine, n_jobs=1,
                          season_length=spec.season_length, start=first_day)
    suggestions = plan_network(batch.network, result.forecasts, keys)
    return BatchOutput(number=batch.number, series=_series_rows(result.selection, keys),
                       points=_point_rows(result.forecasts, keys, spec.levels), suggestions=suggestions,
                       seconds=time.perf_counter() - started)


def _ids(frame: pd.DataFrame, keys: dict[str, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    pairs = frame["unique_id"].map(keys)
    return (np.fromiter((p for p, _ in pairs), dtype="int64", count=len(pairs)),
            np.fromiter((w for _, w in pairs), dtype="int64", count=len(pairs)))


# Per series: the used forecast's backtest scores and the seasonal naive's on the same windows.
SCORE_COLUMNS = ("mase", "rmsse", "mase_seasonal_naive", "rmsse_seasonal_naive")


def _series_rows(selection: pd.DataFrame, keys: dict[str, tuple[int, int]]) -> pd.DataFrame:
    products, warehouses = _ids(selection, keys)
    return pd.DataFrame({
        "product_id": products, "warehouse_id": warehouses,
        "demand_class": selection["demand_class"].astype(str).to_numpy(),
        "model": selection["model"].astype(str).to_numpy(),
        **{col: selection[col].to_numpy(dtype="float64") for col in SCORE_COLUMNS},
    })


def _point_rows(forecasts: pd.DataFrame, keys: dict[str, tuple[int, int]], levels: tuple[int, ...]) -> pd.DataFrame:
    products, warehouses = _ids(forecasts, keys)
    values = ["yhat", *(f"yhat_{side}_{lv}" for lv in levels for side in ("lo", "hi"))]
    return pd.DataFrame({
        "product_id": products, "warehouse_id": warehouses, "ds": forecasts["ds"].dt.date.to_numpy(),
        **{col: forecasts[col].to_numpy(dtype="float64") for col in values},
    })
