"""`flask forecast run` (run now, with a progress bar) and `flask forecast worker` (runs queued runs).

A run never lives inside a web request: the web UI only queues it; the worker (or the
CLI) executes it and keeps writing its progress, so closing the page changes nothing.
"""
from __future__ import annotations

import signal
import sys
import time
from types import FrameType
from typing import Any

import click
from flask.cli import AppGroup
from tqdm import tqdm

from app.audit.service import Actor
from app.cli import fail
from app.db import current_db, transaction, utcnow
from app.db import session as db_session
from app.errors import DomainError
from app.planning import service
from app.planning.models import RunStatus

forecast_cli = AppGroup("forecast", help="Demand forecasts and replenishment suggestions.")
WORKER_ACTOR = Actor.system("forecast-worker")
CLI_ACTOR = Actor.system("cli")


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


def _execute(run_id: int, history_days: int | None, progress: Any = None) -> str:
    from forecasting import jobs  # statsforecast takes seconds to import: only for these commands

    sessions = current_db().sessionmaker
    started = time.perf_counter()
    status = jobs.execute_run(sessions, run_id, on_progress=progress, history_days=history_days)
    with sessions() as s:
        run = service.get_run(s, run_id)
        if status == RunStatus.SUCCEEDED.value:
            click.echo(f"forecast run #{run_id} succeeded in {time.perf_counter() - started:.1f} s: "
                       f"{run.series_count} series, models {run.model_mix}, accuracy {run.accuracy}")
        else:
            click.echo(f"error: forecast run #{run_id} failed: {run.error}", err=True)
    return status


@forecast_cli.command("run")
@click.option("--horizon", type=int, default=28, show_default=True, help="Days to forecast (1–365).")
@click.option("--warehouse", "warehouse_code", default=None, help="Only this warehouse (code).")
@click.option("--engine", default="local", show_default=True, help="local, dask or ray.")
@click.option("--history-days", type=int, default=service.DEFAULT_HISTORY_DAYS, show_default=True,
              help="Days of demand history to read (0 = all).")
@click.option("--if-none", is_flag=True, help="Do nothing (exit 0) if a run has already succeeded (for `make demo`).")
def forecast_run(horizon: int, warehouse_code: str | None, engine: str, history_days: int, if_none: bool) -> None:
    """Forecast demand and write replenishment suggestions now (progress bar on stderr)."""
    if history_days < 0:
        fail(f"--history-days must be >= 0, got {history_days}")
    if if_none and service.has_succeeded_run(db_session()):
        click.echo("forecast run: a run has already succeeded; nothing done")
        return
    try:
        with transaction() as s:
            run = service.request_run(s, CLI_ACTOR, horizon_days=horizon, warehouse_code=warehouse_code,
                                      engine=engine, now=utcnow(), start=True)
            run_id = run.id
    except DomainError as exc:
        fail(exc.detail)
    bar = _Bar()
    try:
        status = _execute(run_id, history_days or None, bar)
    finally:
        bar.close()
    if status != RunStatus.SUCCEEDED.value:
        sys.exit(1)


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
@click.option("--history-days", type=int, default=service.DEFAULT_HISTORY_DAYS, show_default=True,
              help="Days of demand history to read (0 = all).")
def forecast_worker(once: bool, poll: float, history_days: int) -> None:
    """Execute runs queued from the web UI, one at a time, until stopped (Ctrl-C / SIGTERM)."""
    signal.signal(signal.SIGTERM, _Stop.handle)
    click.echo(f"forecast worker: polling every {poll:g} s" + (" (once)" if once else ""))
    try:
        while True:
            try:
                with transaction() as s:
                    run = service.claim_next_run(s, WORKER_ACTOR, now=utcnow())
                    run_id = run.id if run is not None else None
            except DomainError as exc:
                fail(exc.detail)
            if run_id is not None:
                click.echo(f"forecast worker: running #{run_id}")
                _execute(run_id, history_days or None)
            if once:
                return
            if run_id is None:
                time.sleep(poll)
    except KeyboardInterrupt:
        click.echo("forecast worker: stopped", err=True)
