"""JSON payloads of the planning pages (the run page polls the status)."""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from app.planning.models import ForecastRun, RunStatus


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

    @classmethod
    def of(cls, run: ForecastRun) -> RunStatusOut:
        finished = run.status in (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value)
        percent = 100 if run.status == RunStatus.SUCCEEDED.value else (
            int(100 * run.progress_done / run.progress_total) if run.progress_total else 0)
        return cls(id=run.id, status=run.status, stage=run.stage, progress_done=run.progress_done,
                   progress_total=run.progress_total, percent=percent, finished=finished, error=run.error,
                   series_count=run.series_count, heartbeat_at=run.heartbeat_at)
