"""JSON payloads of the planning pages (the run page polls the status)."""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from app.planning.models import ForecastRun, RunStatus
from app.planning.queries import RunProgress
from app.planning.workers import WorkerStatus


class RunStatusOut(BaseModel):
    """`GET /planning/runs/<id>/status`: what the run page's progress bar shows."""

    model_config = ConfigDict(frozen=True)

    id: int
    status: str
    stage: str | None
    progress_done: int
    progress_total: int
    percent: int
    finished: bool
    error: str | None
    series_count: int
    heartbeat_at: dt.datetime | None
    # committed batches (a run resumes from the first pending one), series per second over
    # the run's forecasting time and the seconds left at that rate (None until known)
    batches_done: int = 0
    batches_total: int = 0
    series_per_second: float | None = None
    eta_seconds: float | None = None
    # no `forecast worker` seen for 5 minutes: queued runs will not start
    worker_missing: bool = False
    worker_last_seen_at: dt.datetime | None = None

    @classmethod
    def of(cls, run: ForecastRun, progress: RunProgress | None = None,
           worker: WorkerStatus | None = None) -> RunStatusOut:
        finished = run.status in (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value)
        percent = 100 if run.status == RunStatus.SUCCEEDED.value else (
            int(100 * run.progress_done / run.progress_total) if run.progress_total else 0)
        extra: dict[str, object] = {}
        if progress is not None:
            extra.update(batches_done=progress.batches_done, batches_total=progress.batches_total,
                         series_per_second=progress.series_per_second, eta_seconds=progress.eta_seconds)
        if worker is not None:
            extra.update(worker_missing=worker.missing, worker_last_seen_at=worker.last_seen_at)
        return cls(id=run.id, status=run.status, stage=run.stage, progress_done=run.progress_done,
                   progress_total=run.progress_total, percent=percent, finished=finished, error=run.error,
                   series_count=run.series_count, heartbeat_at=run.heartbeat_at, **extra)  # type: ignore[arg-type]
