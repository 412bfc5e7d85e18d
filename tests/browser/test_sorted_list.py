"""A list sorted by clicking its column headers in Chromium: ascending, then descending, the
arrow on the column, the filter and the sort kept in the URL and on the next page."""
from __future__ import annotations

from typing import Any

from app.db import transaction
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_staff_user, make_supplier


def _names(page: Any) -> list[str]:
    return page.locator("table.data tbody tr td:nth-child(2)").all_inner_texts()


def test_suppliers_sorted_by_a_header_click_keep_the_filter_across_pages(
        live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        for i in range(52):
            make_supplier(s, name=f"Textile Mill {i:02d}", country=("CN", "VN", "BD")[i % 3])
        make_supplier(s, name="Zhejiang Plastics")
        email = make_staff_user(s, "viewer").email
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/suppliers")
    page.fill("input[name=q]", "Textile")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**q=Textile**")

    page.locator("th.sortable a", has_text="Name").click()
    page.wait_for_url("**sort=name**")
    assert _names(page)[:2] == ["Textile Mill 00", "Textile Mill 01"]
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Name")

    page.locator("th.sortable a", has_text="Name").click()   # second click: descending
    page.wait_for_url("**sort=-name**")
    names = _names(page)
    assert names[0] == "Textile Mill 51" and "Zhejiang Plastics" not in names
    assert "▼" in page.locator("th[aria-sort=descending]").inner_text()
    shot(page, "suppliers-sorted-desc")

    page.locator("nav.pager a", has_text="Next").click()
    page.wait_for_url("**page=2**")
    assert "q=Textile" in page.url and "sort=-name" in page.url
    assert _names(page) == ["Textile Mill 01", "Textile Mill 00"]
