"""Writing a forecast run's results: one transaction per batch, one to finish the run.

:func:`write_batch` marks the batch ``done`` with a conditional update (``pending`` →
``done``) *first*: if another process already wrote it, nothing is written again (and the
unique keys on series and points back that up). In the same transaction it inserts the
batch's series, points and suggestions, supersedes older runs' open suggestions for the
batch's SKUs and advances the run's progress. :func:`finish_run` supersedes what older runs
left open elsewhere and records the model mix and accuracy, combined from the batches'
stats. The caller owns the transactions.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.db import rowcount
from app.planning.models import (
    BatchStatus,
    ForecastBatch,
    ForecastPoint,
    ForecastRun,
    ForecastSeries,
    ReplenishmentSuggestion,
    RunStatus,
    SuggestionStatus,
)
from forecasting.batch import SCORE_COLUMNS, BatchOutput

ERROR_MAX_CHARS = 2000
WRITE_CHUNK = 5000
POINT_COLUMNS = ("yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95")


class RunLost(RuntimeError):
    """The run is no longer ``running`` here (failed as stale, or taken over by another process)."""


def batch_stats(series: pd.DataFrame) -> dict[str, Any]:
    """Model mix and the sums the run's accuracy is averaged from (see :func:`combine_stats`)."""
    mase, rmsse = series["mase"].to_numpy(dtype=float), series["rmsse"].to_numpy(dtype=float)
    naive = series["mase_seasonal_naive"].to_numpy(dtype=float)
    scored = np.isfinite(mase) & np.isfinite(naive)
    return {
        "series": len(series),
        "mix": {str(k): int(v) for k, v in series["model"].value_counts().items()},
        "mase": [float(np.nansum(mase)), int(np.isfinite(mase).sum())],
        "rmsse": [float(np.nansum(rmsse)), int(np.isfinite(rmsse).sum())],
        "scored": [float(mase[scored].sum()), float(naive[scored].sum()), int(scored.sum())],
    }


def combine_stats(parts: list[dict[str, Any]]) -> tuple[int, dict[str, int], dict[str, Any]]:
    """Series count, model mix ``{model: series}`` and accuracy (mean backtest MASE/RMSSE over
    the series that could be backtested, and our MASE relative to seasonal naive's)."""
    mix: dict[str, int] = {}
    totals = {"mase": [0.0, 0], "rmsse": [0.0, 0], "scored": [0.0, 0.0, 0]}
    for part in parts:
        for model, count in part["mix"].items():
            mix[model] = mix.get(model, 0) + count
        for key, values in totals.items():
            totals[key] = [a + b for a, b in zip(values, part[key], strict=True)]
    ours_sum, naive_sum, scored = totals["scored"]
    ours = ours_sum / scored if scored else math.nan
    naive = naive_sum / scored if scored else math.nan
    accuracy = {
        "mase": _mean(*totals["mase"]),
        "rmsse": _mean(*totals["rmsse"]),
        "mase_seasonal_naive": _finite(naive),
        "mase_vs_seasonal_naive": _finite(ours / naive) if naive else None,
        "backtested_series": int(scored),
    }
    return sum(p["series"] for p in parts), dict(sorted(mix.items())), accuracy


def _mean(total: float, count: float) -> float | None:
    return _finite(total / count) if count else None


def _finite(value: Any) -> float | None:
    return round(float(value), 4) if value is not None and np.isfinite(value) else None


def write_batch(session: Session, run_id: int, batch_id: int, output: BatchOutput, *, warehouse_id: int | None,
                elapsed_seconds: float, now: dt.datetime) -> bool:
    """Write one finished batch; False (nothing written) if it was already ``done``.

    Raises:
        RunLost: the run is no longer ``running``.
    """
    batch = session.get(ForecastBatch, batch_id)
    assert batch is not None and batch.run_id == run_id  # noqa: S101 (narrowing: the caller claimed this batch)
    claimed = session.execute(
        update(ForecastBatch).where(ForecastBatch.id == batch_id, ForecastBatch.status == BatchStatus.PENDING.value)
        .values(status=BatchStatus.DONE.value, finished_at=now, series_count=len(output.series),
                stats=json.dumps(batch_stats(output.series)))
        .execution_options(synchronize_session=False))
    if rowcount(claimed) != 1:
        return False
    moved = session.execute(
        update(ForecastRun).where(ForecastRun.id == run_id, ForecastRun.status == RunStatus.RUNNING.value)
        .values(progress_done=ForecastRun.progress_done + len(output.series),
                progress_total=ForecastRun.progress_total + len(output.series) - batch.series_count,
                elapsed_seconds=ForecastRun.elapsed_seconds + elapsed_seconds, heartbeat_at=now)
        .execution_options(synchronize_session=False))
    if rowcount(moved) != 1:
        raise RunLost(f"forecast run {run_id} stopped running; batch {batch.number} discarded")
    superseded = update(ReplenishmentSuggestion).where(
        ReplenishmentSuggestion.status == SuggestionStatus.OPEN.value, ReplenishmentSuggestion.run_id != run_id,
        ReplenishmentSuggestion.product_id.between(batch.first_product_id, batch.last_product_id))
    if warehouse_id is not None:
        superseded = superseded.where(ReplenishmentSuggestion.warehouse_id == warehouse_id)
    session.execute(superseded.values(status=SuggestionStatus.SUPERSEDED.value, decided_at=now)
                    .execution_options(synchronize_session=False))
    series = output.series
    _insert(session, ForecastSeries, [
        {"run_id": run_id, "product_id": int(p), "warehouse_id": int(w), "demand_class": cls, "model": model,
         **{col: _finite(score) for col, score in zip(SCORE_COLUMNS, scores, strict=True)}}
        for p, w, cls, model, *scores in zip(series["product_id"], series["warehouse_id"], series["demand_class"],
                                             series["model"], *(series[col] for col in SCORE_COLUMNS), strict=True)])
    points = output.points
    _insert(session, ForecastPoint, [
        {"run_id": run_id, "product_id": int(p), "warehouse_id": int(w), "ds": ds,
         **{col: float(v) for col, v in zip(POINT_COLUMNS, values, strict=True)}}
        for p, w, ds, *values in zip(points["product_id"], points["warehouse_id"], points["ds"],
                                     *(points[c] for c in POINT_COLUMNS), strict=True)])
    _insert(session, ReplenishmentSuggestion, [
        {"run_id": run_id, "created_at": now, "status": SuggestionStatus.OPEN.value, **row}
        for row in output.suggestions])
    return True


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    # A Core executemany on the table: the ORM's bulk path costs as much again per row.
    connection = session.connection()
    for i in range(0, len(rows), WRITE_CHUNK):
        connection.execute(insert(model.__table__), rows[i:i + WRITE_CHUNK])


def finish_run(session: Session, run_id: int, *, warehouse_id: int | None, now: dt.datetime) -> None:
    """Every batch written: older open suggestions superseded, model mix, accuracy, ``succeeded``.

    Raises:
        RunLost: the run is no longer ``running``.
    """
    parts = [json.loads(s) for s in session.scalars(
        select(ForecastBatch.stats).where(ForecastBatch.run_id == run_id).order_by(ForecastBatch.number)) if s]
    count, mix, accuracy = combine_stats(parts)
    finished = session.execute(
        update(ForecastRun).where(ForecastRun.id == run_id, ForecastRun.status == RunStatus.RUNNING.value)
        .values(status=RunStatus.SUCCEEDED.value, finished_at=now, heartbeat_at=now, stage="done",
                progress_done=count, progress_total=count, series_count=count,
                model_mix=json.dumps(mix), accuracy=json.dumps(accuracy), error=None, worker_id=None)
        .execution_options(synchronize_session=False))
    if rowcount(finished) != 1:
        raise RunLost(f"forecast run {run_id} stopped running (taken over as stale)")
    superseded = update(ReplenishmentSuggestion).where(
        ReplenishmentSuggestion.status == SuggestionStatus.OPEN.value, ReplenishmentSuggestion.run_id != run_id)
    if warehouse_id is not None:
        superseded = superseded.where(ReplenishmentSuggestion.warehouse_id == warehouse_id)
    session.execute(superseded.values(status=SuggestionStatus.SUPERSEDED.value, decided_at=now)
                    .execution_options(synchronize_session=False))


def mark_failed(session: Session, run_id: int, error: str, *, now: dt.datetime, worker_id: int | None) -> None:
    """A running run (executed by ``worker_id``, when given) becomes ``failed`` with why."""
    stmt = update(ForecastRun).where(ForecastRun.id == run_id, ForecastRun.status == RunStatus.RUNNING.value)
    if worker_id is not None:
        stmt = stmt.where(ForecastRun.worker_id == worker_id)
    session.execute(stmt.values(status=RunStatus.FAILED.value, error=error[:ERROR_MAX_CHARS], finished_at=now,
                                heartbeat_at=now, worker_id=None).execution_options(synchronize_session=False))
