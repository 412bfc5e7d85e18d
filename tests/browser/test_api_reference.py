"""An integrator browses the API reference at /api/v1/docs with no internet: every asset comes
from this server, each operation is listed, and an operation shows its request example."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from tests.browser.conftest import LiveServer, shot


def test_api_reference_renders_offline_with_examples(live_server: LiveServer, page: Any, committed_app: Any) -> None:
    elsewhere: list[str] = []

    def only_here(route: Any) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock-summary")
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/reservations" in [s.replace("\u200b", "") for s in summaries]
    assert page.locator(".opblock").count() >= 12
    page.locator(".opblock-post", has_text="/api/v1/reservations").first.locator(".opblock-summary").click()
    body = page.locator(".opblock.is-open")
    body.locator(".body-param__example, .highlight-code").first.wait_for()
    text = body.inner_text()
    assert "SO-2026-118204" in text  # the request example
    assert "allocations" in text  # the response example
    assert page.get_by_text("jsonSchemaDialect").count() == 0  # no warning about the document
    shot(page, "api-reference")
    assert elsewhere == []
