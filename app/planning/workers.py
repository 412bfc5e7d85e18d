"""Processes that execute forecast runs, and their heartbeat in the database.

Every process that executes runs (`forecast worker`, or `forecast run`/`resume` in a
terminal) has a `forecast_worker` row; it refreshes `seen_at` while it polls or runs, and
a run it executes points at it (`forecast_run.worker_id`). So the web pages can say when no
worker has been seen for a while, and another process can tell a dead owner from a busy
one: on the same host by its pid, anywhere by a heartbeat older than :data:`STALE_AFTER`.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.planning.models import ForecastRun, ForecastWorker

STALE_AFTER = dt.timedelta(minutes=2)  # a live process beats every few seconds
WORKER_MISSING_AFTER = dt.timedelta(minutes=5)  # the pages warn after this without a worker
KINDS = ("worker", "cli")


@dataclass(frozen=True)
class WorkerStatus:
    """Whether a queue worker has been seen recently (for the planning pages)."""

    last_seen_at: dt.datetime | None
    missing: bool


def register_worker(session: Session, *, kind: str, now: dt.datetime) -> int:
    """A row for this process; returns its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown worker kind {kind!r}")
    worker = ForecastWorker(kind=kind, hostname=socket.gethostname()[:255], pid=os.getpid(), started_at=now,
                            seen_at=now)
    session.add(worker)
    session.flush()
    return worker.id


def beat(session: Session, worker_id: int, *, now: dt.datetime, run_id: int | None = None) -> None:
    """Refresh this process's heartbeat (and its run's, when it executes one)."""
    session.execute(update(ForecastWorker).where(ForecastWorker.id == worker_id).values(seen_at=now))
    if run_id is not None:
        session.execute(update(ForecastRun).where(ForecastRun.id == run_id, ForecastRun.worker_id == worker_id)
                        .values(heartbeat_at=now).execution_options(synchronize_session=False))


def stop_worker(session: Session, worker_id: int, *, now: dt.datetime) -> None:
    session.execute(update(ForecastWorker).where(ForecastWorker.id == worker_id).values(stopped_at=now, seen_at=now))


def owner_is_gone(session: Session, run: ForecastRun, *, now: dt.datetime) -> bool:
    """Whether the process executing ``run`` is dead: it stopped, its pid is gone (same
    host), or neither it nor the run has beaten for :data:`STALE_AFTER`."""
    last = run.heartbeat_at or run.started_at or run.created_at
    owner = session.get(ForecastWorker, run.worker_id) if run.worker_id is not None else None
    if owner is not None:
        if owner.stopped_at is not None:
            return True
        if owner.hostname == socket.gethostname()[:255] and not _pid_alive(owner.pid):
            return True
        last = max(d for d in (last, owner.seen_at) if d is not None) if last else owner.seen_at
    return last is None or last < now - STALE_AFTER


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def worker_status(session: Session, *, now: dt.datetime) -> WorkerStatus:
    """When a queue worker (`forecast worker`) was last seen; ``missing`` after
    :data:`WORKER_MISSING_AFTER` without one."""
    last = session.scalar(select(func.max(ForecastWorker.seen_at)).where(ForecastWorker.kind == "worker"))
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    return WorkerStatus(last_seen_at=last, missing=last is None or last < now - WORKER_MISSING_AFTER)
