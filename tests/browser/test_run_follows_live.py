"""The forecast-run page follows a run from queued to succeeded without a reload: started,
finished and series fill in, the batches line (batches and series done, rate, time left) moves
with every committed batch while the status stays "running", and no stale "queued" text or
"done 1 / 1" stays behind."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db import transaction, utcnow
from app.planning.models import ForecastBatch, ForecastRun
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
    assert page.locator("[data-worker-warning]").count() == 1  # no worker registered in this test

    with transaction() as s:
        found = s.get(ForecastRun, run_id)
        assert found is not None
        found.status, found.stage, found.started_at = "running", "forecasting", utcnow()
        found.progress_done, found.progress_total = 1, 4
    page.wait_for_selector("[data-run=status].status-running")
    assert page.locator("[data-run=started]").inner_text() != "—"
    assert "Queued" not in page.locator("[data-run=note]").inner_text()
    assert page.locator("[data-worker-warning]").count() == 0  # a worker took it: the warning went with "queued"
    assert page.locator("[data-run=counts]").inner_text() == "1 / 4"

    # Batches commit while the status stays "running": the line follows each poll, no reload.
    with transaction() as s:
        found = s.get(ForecastRun, run_id)
        assert found is not None
        found.elapsed_seconds = 2.0  # 1 series in 2 s: 0.5 series/s, 3 left → 6 s
        s.add_all([ForecastBatch(run_id=run_id, number=n, first_product_id=n, last_product_id=n, series_count=1,
                                 status="done" if n == 1 else "pending") for n in range(1, 5)])
    batches = page.locator("[data-run=batches]")
    page.wait_for_function("() => document.querySelector('[data-run=batches]')?.textContent.startsWith('1 / 4')")
    assert batches.is_visible() and page.locator("[data-run=batches-label]").is_visible()
    assert batches.inner_text() == "1 / 4 · 1 / 4 series · 0.5 series/s · about 1 min left"
    with transaction() as s:
        for batch in s.scalars(select(ForecastBatch).where(ForecastBatch.run_id == run_id, ForecastBatch.number <= 3)):
            batch.status = "done"
        found = s.get(ForecastRun, run_id)
        assert found is not None
        found.progress_done, found.elapsed_seconds = 3, 1.5  # 2 series/s, 1 left
    page.wait_for_function("() => document.querySelector('[data-run=batches]').textContent.startsWith('3 / 4')")
    assert batches.inner_text() == "3 / 4 · 3 / 4 series · 2.0 series/s · about 1 min left"
    assert page.locator("[data-run=counts]").inner_text() == "3 / 4"
    assert page.locator("[data-run=bar]").get_attribute("aria-valuenow") == "75"
    shot(page, "forecast-run-batches-live")

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
    assert not page.locator("[data-run=batches]").is_visible()  # done: the series count says it all
    # the finished run's quality sections arrive with the re-read, no reload
    assert page.locator("#model-mix").is_visible() and page.locator("#coverage").is_visible()
    shot(page, "forecast-run-followed-to-the-end")
