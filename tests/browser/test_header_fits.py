"""The header keeps to one line on every main page at 1366 and 1920 px, in English and Chinese
(grouped menus: Purchasing ▾ / Warehouse ▾ / Planning ▾), and the menus open from the keyboard."""
from __future__ import annotations

from typing import Any

import pytest

from app.db import transaction
from tests.browser.conftest import ARTIFACTS, LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_staff_user
from tests.planning_data import make_network, make_run, make_suggestion

PAGES = ["/dashboard", "/stock", "/products", "/purchase-orders", "/suppliers", "/suppliers/scorecards",
         "/returns", "/receiving", "/transfers/", "/counts/", "/planning/suggestions", "/planning/runs",
         "/alerts/", "/admin/"]

# One row: every header part and every menu entry starts on the same line, the header is one line
# tall, and "Log out" does not break.
ONE_ROW = """() => {
  const header = document.querySelector("header.topbar");
  const parts = [...header.children, ...header.querySelectorAll(".mainnav > a, .navgroup > summary")]
    .filter((el) => el.offsetParent !== null);
  const mids = parts.map((el) => { const r = el.getBoundingClientRect(); return r.top + r.height / 2; });
  const logout = header.querySelector("button.link").getBoundingClientRect();
  return {height: header.getBoundingClientRect().height, spread: Math.max(...mids) - Math.min(...mids),
          logout: logout.height, scroll: document.documentElement.scrollWidth - window.innerWidth};
}"""


@pytest.fixture
def admin_email(committed_app: Any) -> str:
    with transaction() as s:
        net = make_network(s, days=3)
        run = make_run(s)
        make_suggestion(s, run, net.products["CLOUDY"], net.cloud, supplier=net.supplier, quantity=90)
        return make_staff_user(s, "admin").email


def _switch(page: Any, locale: str) -> None:
    if page.locator("form.lang select[name=locale]").input_value() != locale:
        with page.expect_navigation():
            page.select_option("form.lang select[name=locale]", locale)


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_header_fits_one_line_on_every_main_page(live_server: LiveServer, page: Any, admin_email: str,
                                                     locale: str) -> None:
    login_in_browser(page, live_server.url, admin_email, PASSWORD)
    _switch(page, locale)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        for path in PAGES:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            box = page.evaluate(ONE_ROW)
            assert box["height"] < 56 and box["spread"] < 4, (locale, width, path, box)
            assert box["logout"] < 26, (locale, width, path, box)  # "Log out" on one line
            assert box["scroll"] <= 1, (locale, width, path, box)
            name = f"header-{locale}-{width}-{path.strip('/').replace('/', '-')}"
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), clip={"x": 0, "y": 0, "width": width, "height": 240})


def test_the_grouped_menus_open_from_the_keyboard(live_server: LiveServer, page: Any, admin_email: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 600})
    login_in_browser(page, live_server.url, admin_email, PASSWORD)
    page.goto(f"{live_server.url}/dashboard")
    warehouse = page.locator("details.navgroup > summary", has_text="Warehouse")
    warehouse.focus()
    page.keyboard.press("Enter")
    menu = page.locator("details.navgroup[open] .navmenu")
    assert menu.locator("a").all_inner_texts() == ["Receiving", "Transfers", "Counts"]
    page.keyboard.press("Tab")  # into the menu
    assert page.evaluate("document.activeElement.textContent") == "Receiving"
    shot(page, "header-menu-open")
    page.keyboard.press("Escape")
    assert page.locator("details.navgroup[open]").count() == 0
    warehouse.focus()
    page.keyboard.press("Enter")
    page.locator("details.navgroup[open] .navmenu a", has_text="Transfers").click()
    assert page.locator("h1").inner_text() == "Transfers"
    # The open page's group is marked, and its entry is the current page.
    assert "active" in (page.locator("details.navgroup", has_text="Warehouse").get_attribute("class") or "")
    assert page.locator(".navmenu a[aria-current=page]").text_content() == "Transfers"
