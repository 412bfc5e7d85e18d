"""Run lifecycle: one at a time, failures recorded, the worker picks up queued runs, stale takeover."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.db import utcnow
from app.planning import service
from app.planning.models import ForecastPoint, ForecastRun, ReplenishmentSuggestion
from tests.factories import make_warehouse
from tests.planning_data import make_network

ACTOR = Actor.system("tests")


def _cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["forecast", *args])


def test_a_queued_run_blocks_starting_another(app: Any, session: Session) -> None:
    service.request_run(session, ACTOR, now=utcnow())
    with pytest.raises(service.RunInProgress):
        service.request_run(session, ACTOR, now=utcnow())
    session.commit()
    result = _cli(app, "run", "--horizon", "7")
    assert result.exit_code == 1
    assert "already queued" in result.output


def test_a_stale_running_run_is_marked_failed_and_no_longer_blocks(session: Session) -> None:
    old = utcnow() - dt.timedelta(minutes=30)
    stale = service.request_run(session, ACTOR, now=old, start=True)
    fresh = service.request_run(session, ACTOR, now=utcnow())
    session.refresh(stale)
    assert stale.status == "failed" and "no progress" in (stale.error or "")
    assert fresh.status == "queued"


@pytest.mark.parametrize(("args", "message"), [
    (["--horizon", "0"], "horizon must be between 1 and 365"),
    (["--horizon", "366"], "horizon must be between 1 and 365"),
    (["--warehouse", "NOPE"], "unknown warehouse 'NOPE'"),
    (["--engine", "ray"], "needs the 'ray' package"),
    (["--engine", "spark"], "unknown engine 'spark'"),
])
def test_run_rejects_bad_arguments_with_one_clear_line(app: Any, session: Session, args: list[str],
                                                       message: str) -> None:
    result = _cli(app, "run", *args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert session.scalar(select(ForecastRun.id)) is None


def test_a_run_without_history_fails_and_records_why(app: Any, session: Session) -> None:
    make_warehouse(session, code="EMPTY", kind="cloud")
    session.commit()
    result = _cli(app, "run", "--horizon", "7")
    assert result.exit_code == 1
    run = session.scalars(select(ForecastRun)).one()
    assert run.status == "failed" and run.finished_at is not None
    assert "no demand history" in (run.error or "") and "no demand history" in result.output


def test_the_worker_picks_up_a_queued_run_and_runs_it(app: Any, session: Session) -> None:
    net = make_network(session)
    run = service.request_run(session, ACTOR, horizon_days=7, warehouse_code="NTH", now=utcnow())
    session.commit()
    result = _cli(app, "worker", "--once")
    assert result.exit_code == 0, result.output
    session.refresh(run)
    assert run.status == "succeeded" and run.series_count == 2 and run.started_at is not None
    kinds = {(s.kind, s.warehouse_id) for s in session.scalars(select(ReplenishmentSuggestion))}
    assert kinds == {("transfer", net.north.id)}  # a run for one forward warehouse: its transfers only


def test_the_worker_with_nothing_queued_exits_without_running_anything(app: Any, session: Session) -> None:
    result = _cli(app, "worker", "--once", "--poll", "0.1")
    assert result.exit_code == 0
    assert session.scalar(select(ForecastRun.id)) is None


def test_progress_is_reported_per_batch_and_recorded_on_the_run(app: Any, session: Session) -> None:
    from app.planning import job as jobs

    make_network(session)
    run = service.request_run(session, ACTOR, horizon_days=7, now=utcnow(), start=True)
    session.commit()
    seen: list[tuple[str, int, int]] = []
    status = jobs.execute_run(app.extensions["stockwise_db"].sessionmaker, run.id, batch_size=2,
                              on_progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert status == "succeeded"
    assert [s for s in seen if s[0] == "forecasting"] == [("forecasting", 0, 4), ("forecasting", 2, 4),
                                                          ("forecasting", 4, 4)]
    assert [s[0] for s in seen][-1] == "writing results"
    session.refresh(run)
    assert (run.stage, run.series_count, run.heartbeat_at is not None) == ("done", 4, True)


def test_a_stale_ledger_is_forecast_from_the_run_day_not_from_its_last_sale(app: Any, session: Session) -> None:
    from app.planning import job as jobs

    make_network(session)  # history ends yesterday
    run = service.request_run(session, ACTOR, horizon_days=7, now=utcnow(), start=True)
    session.commit()
    run_day = utcnow().date() + dt.timedelta(days=10)
    status = jobs.execute_run(app.extensions["stockwise_db"].sessionmaker, run.id, today=run_day)
    assert status == "succeeded"
    days = sorted({p.ds for p in session.scalars(select(ForecastPoint).where(ForecastPoint.run_id == run.id))})
    assert days == [run_day + dt.timedelta(days=d) for d in range(7)]
