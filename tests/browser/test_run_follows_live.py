"""The forecast-run page follows a run from queued to succeeded without a reload: started,
finished and series fill in, and no stale "queued" text or "done 1 / 1" stays behind."""
from __future__ import annotations

from typing import Any

from app.db import transaction, utcnow
from app.planning.models import ForecastRun
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_staff_user


def test_run_page_follows_the_run_to_the_end(live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        run = ForecastRun(status="queued", progress_done=0, progress_total=0)
        s.add(run)
        s.flush()
        run_id = run.id
        email = make_staff_user(s, "viewer").email
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/planning/runs/{run_id}")
    note = page.locator("[data-run=note]")
    assert "Queued" in note.inner_text()
    assert page.locator("[data-run=started]").inner_text() == "—"

    with transaction() as s:
        found = s.get(ForecastRun, run_id)
        assert found is not None
        found.status, found.stage, found.started_at = "running", "forecasting", utcnow()
        found.progress_done, found.progress_total = 1, 4
    page.wait_for_selector("[data-run=status].status-running")
    assert page.locator("[data-run=started]").inner_text() != "—"
    assert "Queued" not in page.locator("[data-run=note]").inner_text()
    assert page.locator("[data-run=counts]").inner_text() == "1 / 4"

    with transaction() as s:
        found = s.get(ForecastRun, run_id)
        assert found is not None
        found.status, found.stage, found.finished_at = "succeeded", "done", utcnow()
        found.progress_done, found.progress_total, found.series_count = 4, 4, 1234
    page.wait_for_selector("[data-run=done-link]:not([hidden])")
    card = page.locator("#run").inner_text()
    assert page.locator("[data-run=series]").inner_text() == "1,234"
    assert page.locator("[data-run=finished]").inner_text() != "—"
    assert "Finished" in page.locator("[data-run=note]").inner_text()
    assert "queued" not in card.lower() and "4 / 4" not in card and "done" not in card.split("\n")[0]
    assert page.locator("[data-run=bar]").get_attribute("aria-valuenow") == "100"
    shot(page, "forecast-run-followed-to-the-end")
