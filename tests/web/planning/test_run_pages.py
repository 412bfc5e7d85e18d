"""Starting a forecast run from the web (queued for the worker), watching it, the runs list, the chart page."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.planning.models import ForecastRun
from tests.factories import make_staff_user
from tests.planning_data import make_network
from tests.web.clients import chart_options, csrf_token, login_staff, series_data


def _token(client: Any) -> str:
    return csrf_token(client.get("/planning/runs").text)


def test_a_buyer_queues_a_run_and_a_second_one_is_refused(client: Any, session: Session) -> None:
    login_staff(client, make_staff_user(session, "purchasing").email)
    resp = client.post("/planning/runs", data={"csrf_token": _token(client), "horizon": "14", "warehouse": ""})
    assert resp.status_code == 302
    run = session.scalars(select(ForecastRun)).one()
    assert run.status == "queued" and run.horizon_days == 14 and resp.headers["Location"].endswith(f"/runs/{run.id}")
    again = client.post("/planning/runs", data={"csrf_token": _token(client), "horizon": "28"})
    assert again.status_code == 302
    assert "already queued" in client.get("/planning/runs").text
    assert len(session.scalars(select(ForecastRun)).all()) == 1


def test_a_horizon_out_of_range_names_the_field(client: Any, session: Session) -> None:
    login_staff(client, make_staff_user(session, "admin").email)
    resp = client.post("/planning/runs", data={"csrf_token": _token(client), "horizon": "400"})
    assert resp.status_code == 422 and 'data-field="horizon"' in resp.text
    assert session.scalars(select(ForecastRun)).first() is None


@pytest.mark.parametrize("role", ["viewer", "warehouse"])
def test_viewers_and_warehouse_staff_cannot_start_runs(client: Any, session: Session, role: str) -> None:
    login_staff(client, make_staff_user(session, role).email)
    page = client.get("/planning/runs")
    assert page.status_code == 200 and "Start forecast run" not in page.text
    assert client.post("/planning/runs", data={"csrf_token": _token(client), "horizon": "28"}).status_code == 403


def test_run_page_shows_progress_without_js_and_status_json_follows_it(client: Any, session: Session) -> None:
    run = ForecastRun(status="running", stage="forecasting", progress_done=250, progress_total=1000)
    session.add(run)
    session.flush()
    login_staff(client, make_staff_user(session, "viewer").email)
    page = client.get(f"/planning/runs/{run.id}")
    assert page.status_code == 200
    assert 'aria-valuenow="25"' in page.text and "forecasting" in page.text and "250 / 1000" in page.text
    assert re.search(r'<script src="/static/planning.js"', page.text) and "<script>" not in page.text
    status = client.get(f"/planning/runs/{run.id}/status")
    body = json.loads(status.text)
    assert status.mimetype == "application/json"
    assert (body["status"], body["percent"], body["finished"]) == ("running", 25, False)
    run.status, run.error = "failed", "ValueError: no demand history"
    session.flush()
    body = json.loads(client.get(f"/planning/runs/{run.id}/status").text)
    assert body["finished"] is True and body["error"] == "ValueError: no demand history"
    assert "no demand history" in client.get("/planning/runs").text
    assert client.get("/planning/runs/999999/status").status_code == 404


def test_series_page_draws_history_forecast_bands_and_reorder_point(app: Any, client: Any, session: Session) -> None:
    net = make_network(session)
    session.commit()
    assert app.test_cli_runner().invoke(args=["forecast", "run", "--horizon", "7"]).exit_code == 0
    login_staff(client, make_staff_user(session, "viewer").email)
    page = client.get(f"/planning/series/{net.products['STEADY'].id}/{net.north.id}")
    assert page.status_code == 200
    (chart,) = chart_options(page.text)
    ids = {s["id"]: s for s in chart["series"]}
    assert {"history", "forecast", "band95", "band80", "reorder", "position"} <= set(ids)
    # demand and its bands on the left axis, stock position and reorder point on their own right axis
    assert {ids[k]["yAxisIndex"] for k in ("history", "forecast", "band95", "band80")} == {0}
    assert ids["reorder"]["yAxisIndex"] == ids["position"]["yAxisIndex"] == 1 and len(chart["yAxis"]) == 2
    assert [d for d in chart.get("dataZoom", []) if d["type"] == "slider"]
    assert "Suggested transfer" in page.text
    table = page.text[page.text.index('class="data forecast-table"'):]
    table = table[:table.index("</table>")]
    shown = [float(v.replace(",", "")) for v in re.findall(r'<td>[^<]*</td><td class="num">([^<]*)</td>', table)]
    assert len(shown) == 7 and shown == [v for v in series_data(chart, "forecast") if v is not None]
    assert client.get(f"/planning/series/999999/{net.north.id}").status_code == 404


WARNING = "No forecast worker has picked up runs for 5 minutes — start `make forecast-worker`."


def test_the_run_pages_warn_when_no_worker_has_been_seen_for_five_minutes(client: Any, session: Session) -> None:
    import datetime as dt

    from app.db import utcnow
    from app.planning.models import ForecastWorker

    run = ForecastRun(status="queued", stage="queued")
    session.add(run)
    session.flush()
    login_staff(client, make_staff_user(session, "purchasing").email)
    # never a worker: both pages say so, and the status JSON carries it for the live page
    assert WARNING in client.get("/planning/runs").text
    assert WARNING in client.get(f"/planning/runs/{run.id}").text
    body = json.loads(client.get(f"/planning/runs/{run.id}/status").text)
    assert body["worker_missing"] is True and body["worker_last_seen_at"] is None
    # a worker last seen 6 minutes ago is still missing
    worker = ForecastWorker(kind="worker", hostname="h", pid=1, started_at=utcnow() - dt.timedelta(hours=1),
                            seen_at=utcnow() - dt.timedelta(minutes=6))
    session.add(worker)
    session.flush()
    assert WARNING in client.get("/planning/runs").text
    # one that beat a moment ago: no warning
    worker.seen_at = utcnow() - dt.timedelta(seconds=3)
    session.flush()
    assert WARNING not in client.get("/planning/runs").text
    assert WARNING not in client.get(f"/planning/runs/{run.id}").text
    body = json.loads(client.get(f"/planning/runs/{run.id}/status").text)
    assert body["worker_missing"] is False and body["worker_last_seen_at"] is not None


def test_run_status_reports_committed_batches_rate_and_eta(client: Any, session: Session) -> None:
    from app.planning.models import ForecastBatch

    run = ForecastRun(status="running", stage="forecasting", progress_done=600, progress_total=1000,
                      elapsed_seconds=30.0)
    session.add(run)
    session.flush()
    session.add_all([ForecastBatch(run_id=run.id, number=n, first_product_id=n, last_product_id=n,
                                   series_count=200, status="done" if n <= 3 else "pending") for n in range(1, 6)])
    session.flush()
    login_staff(client, make_staff_user(session, "viewer").email)
    body = json.loads(client.get(f"/planning/runs/{run.id}/status").text)
    assert (body["batches_done"], body["batches_total"]) == (3, 5)
    assert body["series_per_second"] == 20.0 and body["eta_seconds"] == 20.0  # 400 left at 20/s
    page = client.get(f"/planning/runs/{run.id}").text
    assert "3 / 5" in page and "20.0 series/s" in page
