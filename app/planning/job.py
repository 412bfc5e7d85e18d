"""The forecast job: a run is a sequence of committed batches of whole SKUs.

:func:`execute_run` takes a run that :mod:`app.planning.service` has already claimed
(status ``running``) and

1. prepares it once (one transaction): fixes its start day, history window and batch size,
   and writes its batch plan (:func:`app.planning.inputs.plan_batches`: SKUs in product
   order, at most ``batch_size`` series a batch, all warehouses of a SKU together); the
   run's ``progress_total`` is the number of series;
2. for each pending batch: reads its demand and planning inputs in a short read
   (:func:`app.planning.inputs.read_batch`, a compact frame), hands it to a pure task
   (:func:`forecasting.batch.run_batch`: forecast + network plan) on a process pool
   (``engine="local"``) or a Dask cluster (``"dask"``), and writes the task's rows in one
   transaction per batch (:func:`app.planning.results.write_batch`), then lets it go. A few
   batches are in flight at a time, so memory is bounded by the batch size, not the catalogue;
3. finishes (:func:`app.planning.results.finish_run`): model mix, accuracy, ``succeeded``.

A run killed half-way keeps its written batches; executing it again (the next worker takes
over a run whose process is gone, or ``flask --app wsgi forecast resume RUN``) continues with
the pending batches and never writes a batch twice. While it waits, the job beats the run's
(and its worker's) heartbeat. A transient database error when writing is retried with
back-off; any other error marks the run ``failed`` with the reason (never left ``running``).
No Flask here: the caller passes a session factory.
"""
from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

import app.models  # noqa: F401  (every table: the ORM resolves foreign keys when a job runs on its own)
from app.db import SQLITE_BEGIN
from app.planning import results, workers
from app.planning.inputs import BatchBounds, DemandWindow, load_shared_inputs, plan_batches, read_batch
from app.planning.models import BatchStatus, ForecastBatch, ForecastRun, RunStatus
from app.planning.service import DEFAULT_HISTORY_DAYS
from forecasting.batch import BatchOutput, BatchSpec, run_batch

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500  # series per batch: bounds memory; ~60 batches at 30,000 series
SCHEDULER_ENV = "STOCKWISE_DASK_SCHEDULER"  # address of an existing dask cluster (engine "dask")
BEAT_EVERY_SECONDS = 5.0
DASK_POLL_SECONDS = 0.05
WRITE_ATTEMPTS = 4
RETRY_BACKOFF_SECONDS = 0.5  # doubled after every failed attempt
TRANSIENT = (OperationalError, InterfaceError)  # locked database, dropped connection, restart

SessionFactory = Callable[[], Session]
Progress = Callable[[str, int, int], None]  # stage, done, total
RunLost = results.RunLost


def scheduler_address(engine: str) -> str | None:
    """The dask scheduler to connect to for ``engine="dask"``: ``$STOCKWISE_DASK_SCHEDULER``
    (e.g. ``tcp://10.0.0.5:8786``); None = a local cluster started for the run."""
    return (os.environ.get(SCHEDULER_ENV) or None) if engine == "dask" else None


@dataclass(frozen=True)
class _Plan:
    spec: BatchSpec
    window: DemandWindow
    engine: str
    warehouse_id: int | None
    pending: list[tuple[int, BatchBounds]]  # (batch row id, bounds), in order
    done: int
    total: int


def execute_run(
    sessions: SessionFactory, run_id: int, *, on_progress: Progress | None = None,
    history_days: int | None = DEFAULT_HISTORY_DAYS, batch_size: int | None = None,
    today: dt.date | None = None, worker_id: int | None = None,
) -> str:
    """Run (or resume) the claimed ``running`` forecast run ``run_id``; return its final status.

    ``sessions`` makes a new session per transaction. ``history_days``, ``batch_size``
    (default :data:`DEFAULT_BATCH_SIZE`) and ``today`` (the first forecast day) apply when
    the run is first prepared; a resumed run keeps its own. ``worker_id``: the
    ``forecast_worker`` row of this process (heartbeats). Errors are recorded on the run
    (status ``failed``, ``error`` = why) and not raised; an interrupt (Ctrl-C, SIGTERM turned
    into KeyboardInterrupt) is recorded and re-raised.
    """
    heart = _Heart(sessions, run_id, worker_id, on_progress)
    try:
        heart.progress("preparing", 0, 0)
        plan = _with_retries(lambda: _prepare(sessions, run_id, history_days, batch_size or DEFAULT_BATCH_SIZE,
                                              today or dt.datetime.now(dt.UTC).date()))
        done = _forecast_batches(sessions, run_id, plan, heart)
        heart.progress("writing results", done, done)
        _with_retries(lambda: _transact(sessions, lambda s: results.finish_run(
            s, run_id, warehouse_id=plan.warehouse_id, now=dt.datetime.now(dt.UTC))))
        return RunStatus.SUCCEEDED.value
    except KeyboardInterrupt:
        _mark_failed(sessions, run_id, worker_id, "interrupted (Ctrl-C or the worker was stopped); resumable")
        raise
    except Exception as exc:  # any failure is recorded on the run, with why
        log.exception("forecast run %s failed", run_id)
        _mark_failed(sessions, run_id, worker_id, f"{type(exc).__name__}: {exc}")
        return RunStatus.FAILED.value


def _prepare(sessions: SessionFactory, run_id: int, history_days: int | None, batch_size: int,
             today: dt.date) -> _Plan:
    with sessions() as s, s.begin():
        run = s.get(ForecastRun, run_id)
        if run is None or run.status != RunStatus.RUNNING.value:
            raise RunLost(f"forecast run {run_id} is not running")
        if run.start_day is None:  # first attempt: fix what a resumed run must read again
            run.start_day, run.history_days, run.batch_size = today, history_days, batch_size
        since = None if run.history_days is None else run.start_day - dt.timedelta(days=run.history_days)
        window = DemandWindow(until=run.start_day, since=since, warehouse_id=run.warehouse_id)
        planned = s.scalar(select(ForecastBatch.id).where(ForecastBatch.run_id == run_id).limit(1)) is not None
        if not planned:
            bounds = list(plan_batches(s, window, run.batch_size or batch_size))
            if not bounds:
                raise ValueError("no demand history (shipments) to forecast from"
                                 + (f" in the last {run.history_days} days" if run.history_days else ""))
            s.add_all(ForecastBatch(run_id=run_id, number=b.number, first_product_id=b.first_product_id,
                                    last_product_id=b.last_product_id, series_count=b.series_count,
                                    status=BatchStatus.PENDING.value) for b in bounds)
            run.progress_total, run.progress_done = sum(b.series_count for b in bounds), 0
        run.stage = "forecasting"
        s.flush()
        pending = [(b.id, BatchBounds(b.number, b.first_product_id, b.last_product_id, b.series_count))
                   for b in s.scalars(select(ForecastBatch).where(
                       ForecastBatch.run_id == run_id, ForecastBatch.status == BatchStatus.PENDING.value)
                       .order_by(ForecastBatch.number))]
        inner = "ray" if run.engine == "ray" else "local"  # ray: statsforecast's own backend, in process
        return _Plan(spec=BatchSpec(horizon=run.horizon_days, start=run.start_day, engine=inner), window=window,
                     engine=run.engine, warehouse_id=run.warehouse_id, pending=pending, done=run.progress_done,
                     total=run.progress_total)


def _forecast_batches(sessions: SessionFactory, run_id: int, plan: _Plan, heart: _Heart) -> int:
    """Read, compute and write every pending batch, a few in flight; return series done."""
    with _reading(sessions) as s:
        shared = load_shared_inputs(s, warehouse_id=plan.warehouse_id, today=plan.spec.start)
    done, total = plan.done, plan.total
    heart.progress("forecasting", done, total)
    pending = deque(plan.pending)
    in_flight: dict[Any, tuple[int, BatchBounds]] = {}
    last_write = time.monotonic()
    with _backend(plan.engine, len(pending)) as backend:
        while pending or in_flight:
            while pending and len(in_flight) < backend.slots:
                batch_id, bounds = pending.popleft()
                with _reading(sessions) as s:
                    data = read_batch(s, bounds, plan.window, shared)
                in_flight[backend.submit(run_batch, plan.spec, data)] = (batch_id, bounds)
            finished = backend.wait(list(in_flight), BEAT_EVERY_SECONDS)
            heart.beat()
            for future in finished:
                batch_id, bounds = in_flight.pop(future)
                output: BatchOutput = future.result()
                now_mono = time.monotonic()
                elapsed, last_write = now_mono - last_write, now_mono
                wrote = _with_retries(lambda: _transact(sessions, lambda s: results.write_batch(
                    s, run_id, batch_id, output, warehouse_id=plan.warehouse_id,  # noqa: B023 - called at once
                    elapsed_seconds=elapsed, now=dt.datetime.now(dt.UTC))))  # noqa: B023
                if wrote:
                    done += len(output.series)
                    total += len(output.series) - bounds.series_count
                heart.progress("forecasting", done, total)
    return done


@contextmanager
def _reading(sessions: SessionFactory) -> Iterator[Session]:
    """A session that only reads: on SQLite a deferred transaction, so a batch read of a few
    seconds never holds the write lock that web requests and the stock API need."""
    with sessions() as s:
        s.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
        yield s


def _transact(sessions: SessionFactory, work: Callable[[Session], Any]) -> Any:
    with sessions() as s, s.begin():
        return work(s)


def _with_retries(step: Callable[[], Any]) -> Any:
    """``step()``, retried with back-off on a transient database error (locked, disconnected)."""
    delay = RETRY_BACKOFF_SECONDS
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return step()
        except TRANSIENT as exc:
            if attempt == WRITE_ATTEMPTS:
                raise
            log.warning("forecast job: database error (attempt %s of %s), retrying in %.1f s: %s", attempt,
                        WRITE_ATTEMPTS, delay, exc)
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def _mark_failed(sessions: SessionFactory, run_id: int, worker_id: int | None, error: str) -> None:
    try:
        _with_retries(lambda: _transact(sessions, lambda s: results.mark_failed(
            s, run_id, error, now=dt.datetime.now(dt.UTC), worker_id=worker_id)))
    except TRANSIENT:  # the database stays away: the run goes stale and the next worker resumes it
        log.exception("forecast run %s: could not record its failure", run_id)


class _Heart:
    """Reports progress (``on_progress``) and beats the run's heartbeat in the database at
    most every :data:`BEAT_EVERY_SECONDS` (a failed beat is only logged)."""

    def __init__(self, sessions: SessionFactory, run_id: int, worker_id: int | None,
                 also: Progress | None) -> None:
        self.sessions, self.run_id, self.worker_id, self.also = sessions, run_id, worker_id, also
        self.last = time.monotonic()

    def progress(self, stage: str, done: int, total: int) -> None:
        if self.also is not None:
            self.also(stage, done, total)

    def beat(self) -> None:
        if time.monotonic() - self.last < BEAT_EVERY_SECONDS:
            return
        self.last = time.monotonic()
        now = dt.datetime.now(dt.UTC)
        try:
            with self.sessions() as s, s.begin():
                if self.worker_id is not None:
                    workers.beat(s, self.worker_id, now=now, run_id=self.run_id)
                else:
                    s.execute(update(ForecastRun).where(ForecastRun.id == self.run_id).values(heartbeat_at=now))
        except TRANSIENT as exc:
            log.warning("forecast run %s: heartbeat failed: %s", self.run_id, exc)


class _Inline:
    """Runs each task at once, in this process (one batch, or a single core)."""

    slots = 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # delivered by future.result(), like a pool's
            future.set_exception(exc)
        return future

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        return futures


class _Pool(_Inline):
    """One process pool for the whole run; its workers import only ``forecasting``."""

    def __init__(self, size: int) -> None:
        # forkserver, not fork: the caller may hold threads (a web server, DB pools), and a
        # forked child can inherit a held lock; the server preloads only the pure task.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["forecasting.batch"])
        self.pool = cf.ProcessPoolExecutor(size, mp_context=context)
        self.slots = size + 1  # one batch read ahead while the others compute

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future[Any]:
        return self.pool.submit(fn, *args)

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        return list(cf.wait(futures, timeout, return_when=cf.FIRST_COMPLETED).done)

    def close(self, failed: bool) -> None:
        self.pool.shutdown(wait=not failed, cancel_futures=failed)


class _Dask(_Inline):
    """Batches on a Dask cluster: ``$STOCKWISE_DASK_SCHEDULER``, else a local one for the run."""

    def __init__(self, address: str | None) -> None:
        from distributed import Client, LocalCluster

        self.cluster = None if address else LocalCluster(
            n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None)
        self.client = Client(address or self.cluster, set_as_default=False)
        self.slots = max(1, sum(self.client.nthreads().values())) + 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        deadline = time.monotonic() + timeout
        while True:  # distributed.wait wants a default client; ours is private to the run
            finished = [f for f in futures if f.done()]
            if finished or time.monotonic() >= deadline:
                return finished
            time.sleep(DASK_POLL_SECONDS)

    def close(self, failed: bool) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


@contextmanager
def _backend(engine: str, batches: int) -> Iterator[Any]:
    cores = os.cpu_count() or 1
    if engine == "dask":
        backend: Any = _Dask(scheduler_address(engine))
    elif engine == "local" and batches > 1 and cores > 1:
        backend = _Pool(min(cores, batches))
    else:
        backend = _Inline()
    try:
        yield backend
    except BaseException:
        if hasattr(backend, "close"):
            backend.close(failed=True)
        raise
    if hasattr(backend, "close"):
        backend.close(failed=False)
