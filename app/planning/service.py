"""Forecast run lifecycle: request (queued), start (running), claim by a worker, stale takeover.

One run at a time: a queued or running run blocks another. The check-then-insert is made
safe by a transaction-scoped advisory lock on PostgreSQL; on SQLite every transaction
already begins with ``BEGIN IMMEDIATE`` (writers are serialised). A running run whose
process is gone (see :func:`app.planning.workers.owner_is_gone`) is taken over by the next
worker, which resumes it from its first unfinished batch; starting a new run instead marks
a stale one failed, so it can never block planning for good. A failed run can be resumed
(:func:`resume_run`). The run itself is executed by ``app.planning.job.execute_run``
outside any web request (CLI or worker).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.db import rowcount
from app.errors import Conflict, InvalidState, Msg, NotFound, ValidationFailed
from app.planning import workers
from app.planning.models import ForecastRun, RunStatus
from app.stock.models import Warehouse

STALE_AFTER = workers.STALE_AFTER
DEFAULT_HISTORY_DAYS = 730  # two years: every promotion day is seen twice
MAX_HORIZON_DAYS = 365
# Any constant shared by every process that starts runs (the ASCII of "fcst").
RUN_LOCK_KEY = 0x66637374
ACTIVE = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)


class RunInProgress(Conflict):
    """Another forecast run is queued or running."""

    code = "forecast-run-in-progress"
    title = Msg("A forecast run is already in progress")


def check_run_options(session: Session, *, horizon_days: int, warehouse_code: str | None,
                      engine: str) -> int | None:
    """Validate run options; return the warehouse id (None = all warehouses).

    Raises:
        ValidationFailed: horizon outside 1..365, or an engine that is unknown or not installed.
        NotFound: an unknown or inactive warehouse code.
    """
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise ValidationFailed(f"horizon must be between 1 and {MAX_HORIZON_DAYS} days, got {horizon_days}",
                               errors=[{"field": "horizon", "message": "out of range"}])
    from forecasting.engine import check_engine  # imports statsforecast: only when needed

    try:
        check_engine(engine)
    except (ValueError, ImportError) as exc:
        raise ValidationFailed(str(exc), errors=[{"field": "engine", "message": str(exc)}]) from exc
    if not warehouse_code:
        return None
    warehouse_id = session.scalar(select(Warehouse.id).where(Warehouse.code == warehouse_code,
                                                             Warehouse.is_active.is_(True)))
    if warehouse_id is None:
        raise NotFound(f"unknown warehouse {warehouse_code!r}", warehouse=warehouse_code)
    return warehouse_id


def fail_stale_runs(session: Session, *, now: dt.datetime) -> int:
    """Mark running runs without a heartbeat for :data:`STALE_AFTER` failed; return how many."""
    limit = now - STALE_AFTER
    result = session.execute(
        update(ForecastRun)
        .where(ForecastRun.status == RunStatus.RUNNING.value,
               func.coalesce(ForecastRun.heartbeat_at, ForecastRun.started_at, ForecastRun.created_at) < limit)
        .values(status=RunStatus.FAILED.value, finished_at=now, worker_id=None,
                error=f"no progress for {STALE_AFTER.seconds // 60} minutes: the process running it stopped "
                      "(`flask --app wsgi forecast resume` continues it from its first unfinished batch)")
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def _lock_run_queue(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK_KEY})


def active_run(session: Session) -> ForecastRun | None:
    return session.scalar(select(ForecastRun).where(ForecastRun.status.in_(ACTIVE)).order_by(ForecastRun.id))


def request_run(
    session: Session, actor: Actor, *, horizon_days: int = 28, warehouse_code: str | None = None,
    engine: str = "local", requested_by_id: int | None = None, now: dt.datetime, start: bool = False,
    worker_id: int | None = None,
) -> ForecastRun:
    """Create a run: ``queued`` for a worker, or already ``running`` when ``start`` (the CLI
    runs it itself, as ``worker_id``).

    Raises:
        RunInProgress: another run is queued or running (and not stale).
        ValidationFailed, NotFound: see :func:`check_run_options`.
    """
    warehouse_id = check_run_options(session, horizon_days=horizon_days, warehouse_code=warehouse_code,
                                     engine=engine)
    _lock_run_queue(session)
    fail_stale_runs(session, now=now)
    busy = active_run(session)
    if busy is not None:
        raise RunInProgress(f"forecast run #{busy.id} is already {busy.status}; wait for it to finish",
                            run_id=busy.id, status=busy.status)
    run = ForecastRun(
        status=RunStatus.RUNNING.value if start else RunStatus.QUEUED.value, engine=engine,
        horizon_days=horizon_days, warehouse_id=warehouse_id, requested_by_id=requested_by_id, created_at=now,
        started_at=now if start else None, heartbeat_at=now if start else None,
        stage="starting" if start else "queued", worker_id=worker_id if start else None,
    )
    session.add(run)
    session.flush()
    record_audit(session, actor, "forecast_run.request", "forecast_run", run.id, horizon_days=horizon_days,
                 warehouse=warehouse_code, engine=engine, started=start)
    return run


def claim_next_run(session: Session, actor: Actor, *, now: dt.datetime,
                   worker_id: int | None = None) -> ForecastRun | None:
    """The run this worker should execute next, or None: a running run whose process is gone
    (taken over, to be resumed), else the oldest queued run (queued → running).

    Conditional updates (``WHERE status/worker_id`` as read) make two workers unable to take
    the same run; on PostgreSQL ``FOR UPDATE SKIP LOCKED`` keeps them from waiting on each other.
    """
    _lock_run_queue(session)
    running = session.scalar(select(ForecastRun).where(ForecastRun.status == RunStatus.RUNNING.value)
                             .order_by(ForecastRun.id).limit(1))
    if running is not None:  # one at a time, even if a queued run slipped in next to a running one
        if not workers.owner_is_gone(session, running, now=now):
            return None
        return _take_over(session, actor, running, worker_id, now=now)
    stmt = select(ForecastRun).where(ForecastRun.status == RunStatus.QUEUED.value).order_by(ForecastRun.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    run = session.scalar(stmt)
    if run is None:
        return None
    taken = session.execute(
        update(ForecastRun).where(ForecastRun.id == run.id, ForecastRun.status == RunStatus.QUEUED.value)
        .values(status=RunStatus.RUNNING.value, started_at=now, heartbeat_at=now, stage="starting",
                worker_id=worker_id)
        .execution_options(synchronize_session=False)
    )
    if rowcount(taken) != 1:
        return None
    session.refresh(run)
    record_audit(session, actor, "forecast_run.start", "forecast_run", run.id)
    return run


def _take_over(session: Session, actor: Actor, run: ForecastRun, worker_id: int | None, *,
               now: dt.datetime) -> ForecastRun | None:
    owner = ForecastRun.worker_id.is_(None) if run.worker_id is None else ForecastRun.worker_id == run.worker_id
    before = run.status
    taken = session.execute(
        update(ForecastRun).where(ForecastRun.id == run.id, ForecastRun.status == run.status, owner)
        .values(status=RunStatus.RUNNING.value, worker_id=worker_id, heartbeat_at=now, finished_at=None,
                error=None, stage="resuming")
        .execution_options(synchronize_session=False))
    if rowcount(taken) != 1:
        return None
    session.refresh(run)
    record_audit(session, actor, "forecast_run.resume", "forecast_run", run.id, from_status=before)
    return run


def resume_run(session: Session, actor: Actor, run_id: int, *, now: dt.datetime,
               worker_id: int | None = None) -> ForecastRun:
    """Take over run ``run_id`` to continue it from its first unfinished batch: a failed run,
    a running one whose process is gone, or a queued one (then it simply starts).

    Raises:
        NotFound: no such run.
        InvalidState: the run already succeeded, or a later run has.
        RunInProgress: it (or another run) is being executed by a live process.
    """
    _lock_run_queue(session)
    run = get_run(session, run_id)
    if run.status == RunStatus.SUCCEEDED.value:
        raise InvalidState(f"forecast run #{run_id} already succeeded; nothing to resume", run_id=run_id)
    later = session.scalar(select(ForecastRun.id).where(ForecastRun.id > run_id,
                                                        ForecastRun.status == RunStatus.SUCCEEDED.value))
    if later is not None:
        raise InvalidState(f"forecast run #{later} finished after #{run_id}; start a new run instead",
                           run_id=run_id, later_run_id=later)
    busy = session.scalar(select(ForecastRun).where(ForecastRun.status.in_(ACTIVE), ForecastRun.id != run_id)
                          .order_by(ForecastRun.id).limit(1))
    if busy is not None:
        raise RunInProgress(f"forecast run #{busy.id} is {busy.status}; wait for it to finish",
                            run_id=busy.id, status=busy.status)
    if run.status == RunStatus.RUNNING.value and not workers.owner_is_gone(session, run, now=now):
        raise RunInProgress(f"forecast run #{run_id} is being executed by a live process", run_id=run_id,
                            status=run.status)
    if run.status == RunStatus.QUEUED.value:
        run.started_at = now
    taken = _take_over(session, actor, run, worker_id, now=now)
    if taken is None:
        raise RunInProgress(f"forecast run #{run_id} was taken by another process", run_id=run_id,
                            status=run.status)
    return taken


def has_succeeded_run(session: Session) -> bool:
    """Whether any forecast run has finished successfully."""
    return session.scalar(
        select(ForecastRun.id).where(ForecastRun.status == RunStatus.SUCCEEDED.value).limit(1)
    ) is not None


def get_run(session: Session, run_id: int) -> ForecastRun:
    run = session.get(ForecastRun, run_id)
    if run is None:
        raise NotFound(f"forecast run {run_id} does not exist", run_id=run_id)
    return run


def runs_blocking(session: Session) -> bool:
    """Whether a new run would be refused right now (for the page's start button)."""
    return session.scalar(select(func.count()).select_from(ForecastRun).where(
        or_(ForecastRun.status == RunStatus.QUEUED.value, ForecastRun.status == RunStatus.RUNNING.value))) != 0
