"""`flask forecast run` (run now, with a progress bar), `flask forecast worker` (runs queued
runs) and `flask forecast resume RUN` (continue a run that was killed or failed half-way).

A run never lives inside a web request: the web UI only queues it; the worker (or the
CLI) executes it and keeps writing its progress, so closing the page changes nothing.
The worker survives database errors (it logs them, backs off and tries again) and beats
its heartbeat in the database, so the pages can tell when no worker is running.
"""
from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session
from tqdm import tqdm

from app.audit.service import Actor
from app.console import fail
from app.db import current_db, transaction, utcnow
from app.db import session as db_session
from app.errors import DomainError
from app.planning import service, workers
from app.planning.models import RunStatus

forecast_cli = AppGroup("forecast", help="Demand forecasts and replenishment suggestions.")
WORKER_ACTOR = Actor.system("forecast-worker")
CLI_ACTOR = Actor.system("cli")
MAX_BACKOFF_SECONDS = 60.0
DATABASE_ERRORS = (OperationalError, InterfaceError)
log = logging.getLogger(__name__)


class _Bar:
    """A tqdm bar on stderr that follows the job's stages."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.stage: str | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, file=sys.stderr, leave=False, dynamic_ncols=True)
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _sessions() -> Callable[[], Session]:
    return current_db().sessionmaker


def _execute(run_id: int, history_days: int | None, progress: Any = None, *, worker_id: int | None = None,
             batch_size: int | None = None) -> str:
    from app.planning import job  # statsforecast takes seconds to import: only for these commands

    sessions = _sessions()
    started = time.perf_counter()
    status = job.execute_run(sessions, run_id, on_progress=progress, history_days=history_days,
                             worker_id=worker_id, batch_size=batch_size)
    with sessions() as s:
        run = service.get_run(s, run_id)
        if status == RunStatus.SUCCEEDED.value:
            click.echo(f"forecast run #{run_id} succeeded in {time.perf_counter() - started:.1f} s: "
                       f"{run.series_count} series, models {run.model_mix}, accuracy {run.accuracy}")
        else:
            click.echo(f"error: forecast run #{run_id} failed: {run.error}", err=True)
    return status


def _register(kind: str) -> int:
    with _sessions()() as s, s.begin():
        return workers.register_worker(s, kind=kind, now=utcnow())


def _stop(worker_id: int | None) -> None:
    if worker_id is None:
        return
    try:
        with _sessions()() as s, s.begin():
            workers.stop_worker(s, worker_id, now=utcnow())
    except DATABASE_ERRORS:
        log.warning("forecast worker %s: could not record its stop", worker_id)


BATCH_OPTION = click.option("--batch-size", type=click.IntRange(1, 100_000), default=None,
                            help="Series per batch (default 500; whole SKUs per batch).")
HISTORY_OPTION = click.option("--history-days", type=int, default=service.DEFAULT_HISTORY_DAYS,
                              show_default=True, help="Days of demand history to read (0 = all).")


def _foreground(run_id: int, history_days: int | None, worker_id: int, batch_size: int | None) -> None:
    bar = _Bar()
    try:
        status = _execute(run_id, history_days, bar, worker_id=worker_id, batch_size=batch_size)
    finally:
        bar.close()
        _stop(worker_id)
    if status != RunStatus.SUCCEEDED.value:
        sys.exit(1)


@forecast_cli.command("run")
@click.option("--horizon", type=int, default=28, show_default=True, help="Days to forecast (1–365).")
@click.option("--warehouse", "warehouse_code", default=None, help="Only this warehouse (code).")
@click.option("--engine", default="local", show_default=True,
              help="local, dask or ray (dask: the cluster at $STOCKWISE_DASK_SCHEDULER, else a local one).")
@HISTORY_OPTION
@BATCH_OPTION
@click.option("--if-none", is_flag=True, help="Do nothing (exit 0) if a run has already succeeded (for `make demo`).")
def forecast_run(horizon: int, warehouse_code: str | None, engine: str, history_days: int,
                 batch_size: int | None, if_none: bool) -> None:
    """Forecast demand and write replenishment suggestions now (progress bar on stderr)."""
    if history_days < 0:
        fail(f"--history-days must be >= 0, got {history_days}")
    if if_none and service.has_succeeded_run(db_session()):
        click.echo("forecast run: a run has already succeeded; nothing done")
        return
    worker_id = _register("cli")
    try:
        with transaction() as s:
            run = service.request_run(s, CLI_ACTOR, horizon_days=horizon, warehouse_code=warehouse_code,
                                      engine=engine, now=utcnow(), start=True, worker_id=worker_id)
            run_id = run.id
    except DomainError as exc:
        _stop(worker_id)
        fail(exc.detail)
    _foreground(run_id, history_days or None, worker_id, batch_size)


@forecast_cli.command("resume")
@click.argument("run_id", type=int)
def forecast_resume(run_id: int) -> None:
    """Continue run RUN_ID (failed, or left running by a killed process) from its first
    unfinished batch; what it already wrote is kept, never written twice."""
    worker_id = _register("cli")
    try:
        with transaction() as s:
            service.resume_run(s, CLI_ACTOR, run_id, now=utcnow(), worker_id=worker_id)
    except DomainError as exc:
        _stop(worker_id)
        fail(exc.detail)
    click.echo(f"forecast run #{run_id}: resuming")
    _foreground(run_id, None, worker_id, None)


class _Stop:
    """SIGTERM: finish nothing new; the current run is interrupted and recorded as failed."""

    requested = False

    @classmethod
    def handle(cls, _signum: int, _frame: FrameType | None) -> None:
        cls.requested = True
        raise KeyboardInterrupt


@forecast_cli.command("worker")
@click.option("--once", is_flag=True, help="Run at most one queued run, then exit.")
@click.option("--poll", type=click.FloatRange(0.1, 3600), default=2.0, show_default=True,
              help="Seconds between looks for queued runs.")
@HISTORY_OPTION
@BATCH_OPTION
def forecast_worker(once: bool, poll: float, history_days: int, batch_size: int | None) -> None:
    """Execute runs queued from the web UI, one at a time, until stopped (Ctrl-C / SIGTERM).

    A run left running by a process that died is taken over and resumed. A database error
    is logged and retried with back-off (up to a minute between tries); the worker keeps going.
    """
    if history_days < 0:
        fail(f"--history-days must be >= 0, got {history_days}")
    signal.signal(signal.SIGTERM, _Stop.handle)
    click.echo(f"forecast worker: polling every {poll:g} s" + (" (once)" if once else ""))
    worker_id: int | None = None
    backoff = poll
    try:
        while True:
            try:
                worker_id = worker_id or _register("worker")
                with _sessions()() as s, s.begin():
                    workers.beat(s, worker_id, now=utcnow())
                    run = service.claim_next_run(s, WORKER_ACTOR, now=utcnow(), worker_id=worker_id)
                    run_id = run.id if run is not None else None
                if run_id is not None:
                    click.echo(f"forecast worker: running #{run_id}")
                    _execute(run_id, history_days or None, worker_id=worker_id, batch_size=batch_size)
                backoff = poll
            except DomainError as exc:
                fail(exc.detail)
            except DATABASE_ERRORS as exc:
                click.echo(f"forecast worker: database error, retrying in {backoff:g} s: "
                           f"{type(exc).__name__}: {str(exc).splitlines()[0]}", err=True)
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            if once:
                return
            if run_id is None:
                time.sleep(poll)
    except KeyboardInterrupt:
        click.echo("forecast worker: stopped", err=True)
    finally:
        _stop(worker_id)
