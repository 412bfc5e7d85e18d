"""A forecast run is a sequence of committed batches: a real worker process killed in the
middle of a run (SIGKILL, or SIGTERM) leaves its finished batches written, and the next
worker — or `flask forecast resume RUN` — continues from the first unfinished batch without
writing any series twice. Runs on SQLite and PostgreSQL (separate database, real commits)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from app import create_app, migrate
from app.audit.service import Actor
from app.db import make_engine, make_sessionmaker, transaction, utcnow
from app.planning import service
from app.planning.models import ForecastBatch, ForecastPoint, ForecastRun, ForecastSeries, ReplenishmentSuggestion
from tests.planning_data import make_catalogue

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
SKUS, HORIZON, BATCH = 16, 7, 4  # 16 SKUs, 37 series; batches of whole SKUs, at most 4 series: 10+ batches


@pytest.fixture
def ledger(fresh_database_url: str, tmp_path: Path) -> Iterator[tuple[str, Engine, Path]]:
    """A migrated database of its own with a catalogue and one queued run."""
    url = fresh_database_url
    migrate.upgrade(url)
    application = create_app({"DATABASE_URL": url, "SECRET_KEY": "kill-test", "INSTANCE_DIR": str(tmp_path)})
    with application.app_context(), transaction() as s:
        make_catalogue(s, skus=SKUS, days=120)
        service.request_run(s, Actor.system("tests"), horizon_days=HORIZON, now=utcnow())
    application.extensions["stockwise_db"].engine.dispose()
    engine = make_engine(url)
    yield url, engine, tmp_path
    engine.dispose()


def _flask(url: str, instance: Path, *args: str, **popen: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "kill-test", "STOCKWISE_INSTANCE": str(instance),
           "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    popen.setdefault("stdout", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "forecast", *args], cwd=ROOT, env=env,
                            stderr=subprocess.STDOUT, text=True, **popen)


def _state(engine: Engine) -> dict[str, Any]:
    with make_sessionmaker(engine)() as s:
        run = s.scalars(select(ForecastRun)).one()
        batches = {b.number: (b.status, b.finished_at, b.series_count) for b in s.scalars(select(ForecastBatch))}
        series = s.execute(select(ForecastSeries.product_id, ForecastSeries.warehouse_id)).all()
        points = s.scalar(select(func.count()).select_from(ForecastPoint)) or 0
        suggestions = s.scalar(select(func.count()).select_from(ReplenishmentSuggestion)) or 0
        return {"run": run, "batches": batches, "series": series, "points": points, "suggestions": suggestions}


def _kill_after_first_batch(engine: Engine, proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        state = _state(engine)
        if any(status == "done" for status, _, _ in state["batches"].values()):
            if sig == signal.SIGKILL:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
            proc.communicate(timeout=60)  # reaped (a zombie's pid would look alive) and its pipe closed
            return
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    raise AssertionError("no batch finished within 4 minutes")


def _check_half_written(state: dict[str, Any]) -> dict[int, Any]:
    done = {n: b for n, b in state["batches"].items() if b[0] == "done"}
    assert 0 < len(done) < len(state["batches"]), "the kill must land in the middle of the run"
    written = sum(b[2] for b in done.values())
    assert len(state["series"]) == written and state["points"] == written * HORIZON
    return done


def _check_complete(state: dict[str, Any], done_before: dict[int, Any]) -> None:
    run = state["run"]
    assert run.status == "succeeded", run.error
    assert all(b[0] == "done" for b in state["batches"].values())
    # the batches written before the kill were not written again
    assert {n: state["batches"][n] for n in done_before} == done_before
    assert len(state["series"]) == len(set(state["series"])) == run.series_count == run.progress_total
    assert run.progress_done == run.progress_total and state["points"] == run.series_count * HORIZON
    assert run.elapsed_seconds > 0 and state["suggestions"] > 0


def test_a_sigkilled_worker_leaves_finished_batches_and_the_next_worker_resumes(
        ledger: tuple[str, Engine, Path]) -> None:
    url, engine, instance = ledger
    worker = _flask(url, instance, "worker", "--poll", "0.2", "--batch-size", str(BATCH), "--history-days", "0",
                    start_new_session=True)  # its own process group: the kill reaches its pool too
    _kill_after_first_batch(engine, worker, signal.SIGKILL)
    state = _state(engine)
    assert state["run"].status == "running"  # a SIGKILL cannot record anything
    done_before = _check_half_written(state)
    total_planned = state["run"].progress_total

    # the next worker sees that the owner's pid is gone and takes the run over
    successor = _flask(url, instance, "worker", "--once", "--poll", "0.2")
    output = successor.communicate(timeout=300)[0]
    assert successor.returncode == 0, output
    state = _state(engine)
    _check_complete(state, done_before)
    assert state["run"].progress_total == total_planned


def test_a_stopped_worker_marks_the_run_failed_and_forecast_resume_finishes_it(
        ledger: tuple[str, Engine, Path]) -> None:
    url, engine, instance = ledger
    worker = _flask(url, instance, "worker", "--poll", "0.2", "--batch-size", str(BATCH), "--history-days", "0")
    _kill_after_first_batch(engine, worker, signal.SIGTERM)
    state = _state(engine)
    assert state["run"].status == "failed" and "interrupted" in (state["run"].error or "")
    done_before = _check_half_written(state)

    resume = _flask(url, instance, "resume", str(state["run"].id))
    output = resume.communicate(timeout=300)[0]
    assert resume.returncode == 0, output
    _check_complete(_state(engine), done_before)
    again = _flask(url, instance, "resume", str(state["run"].id))
    output = again.communicate(timeout=60)[0]
    assert again.returncode == 1 and "already succeeded" in output


def test_the_worker_survives_a_locked_or_dropped_database_and_runs_what_is_queued_next(
        fresh_database_url: str, tmp_path: Path) -> None:
    """A database error while polling (SQLite: locked past its busy timeout; PostgreSQL: the
    worker's connections terminated) is logged and retried; the worker keeps going."""
    import sqlite3

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from app.planning.models import ForecastWorker
    from tests.planning_data import make_network

    postgres = fresh_database_url.startswith("postgresql")
    url = fresh_database_url
    migrate.upgrade(url)
    application = create_app({"DATABASE_URL": url, "SECRET_KEY": "kill-test", "INSTANCE_DIR": str(tmp_path)})
    with application.app_context(), transaction() as s:
        make_network(s)
    application.extensions["stockwise_db"].engine.dispose()
    worker_url = make_url(url).update_query_dict({"application_name": "fc-worker-test"}).render_as_string(
        hide_password=False) if postgres else url
    engine = make_engine(url)
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    worker = _flask(worker_url, tmp_path, "worker", "--poll", "0.2", stdout=log)
    try:
        deadline = time.monotonic() + 120
        while not _scalar(engine, select(func.count()).select_from(ForecastWorker)):
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never beat"
            time.sleep(0.1)
        if postgres:
            stop = time.monotonic() + 3
            with engine.connect() as conn:
                while time.monotonic() < stop:
                    conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      "WHERE application_name = 'fc-worker-test' AND datname = current_database()"))
                    conn.commit()
                    time.sleep(0.05)
        else:
            lock = sqlite3.connect(make_url(url).database or "", isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            # well past the app's 30 s busy timeout (counted in requested sleeps, which a busy
            # machine stretches): the worker's next write fails with "database is locked"
            deadline = time.monotonic() + 90
            while "database is locked" not in log_path.read_text() and time.monotonic() < deadline:
                time.sleep(0.5)
            lock.execute("ROLLBACK")
            lock.close()
        assert worker.poll() is None, "the worker died on a database error; its log:\n" + log_path.read_text()[-3000:]
        with make_sessionmaker(engine)() as s, s.begin():
            run_id = service.request_run(s, Actor.system("tests"), horizon_days=7, now=utcnow()).id
        deadline = time.monotonic() + 240
        while _scalar(engine, select(ForecastRun.status).where(ForecastRun.id == run_id)) != "succeeded":
            assert time.monotonic() < deadline and worker.poll() is None, "the queued run was not executed"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        log.close()
        engine.dispose()
    output = log_path.read_text()
    assert "forecast worker: stopped" in output
    if not postgres:  # (PostgreSQL: a dropped idle connection may also be replaced without an error)
        assert "database error, retrying" in output and "database is locked" in output


def _scalar(engine: Engine, stmt: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(stmt).scalar()
