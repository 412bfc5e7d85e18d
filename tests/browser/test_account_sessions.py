"""A staff user opens their own page from the header, changes the password, and logs out
everywhere: a second browser logged in as the same user is logged out too."""
from __future__ import annotations

from typing import Any

from app.db import transaction
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_staff_user

NEW_PASSWORD = "a brand new passphrase"


def test_staff_user_changes_password_and_logs_out_everywhere(live_server: LiveServer, page: Any, browser: Any,
                                                             committed_app: Any) -> None:
    with transaction() as s:
        email = make_staff_user(s, "purchasing").email
    login_in_browser(page, live_server.url, email, PASSWORD)
    other = browser.new_context(locale="en-US").new_page()
    login_in_browser(other, live_server.url, email, PASSWORD)

    page.click("header a.who")
    assert page.locator("h1").inner_text() == "Your account"
    page.fill("input[name=current_password]", PASSWORD)
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    page.click("text=Change password >> nth=-1")
    assert "logged out everywhere else" in page.locator(".flash").inner_text()
    shot(page, "account-password-changed")
    other.goto(f"{live_server.url}/dashboard")
    assert "/login" in other.url  # the other browser's session ended

    login_in_browser(other, live_server.url, email, NEW_PASSWORD)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Log out everywhere')")
    page.wait_for_url(lambda url: "/login" in url)
    other.goto(f"{live_server.url}/dashboard")
    assert "/login" in other.url
    shot(page, "account-logged-out-everywhere")
    other.context.close()


def test_an_admin_logs_a_user_out_everywhere_from_the_users_page(live_server: LiveServer, page: Any, browser: Any,
                                                                 committed_app: Any) -> None:
    with transaction() as s:
        admin_email = make_staff_user(s, "admin").email
        viewer_email = make_staff_user(s, "viewer").email
    viewer = browser.new_context(locale="en-US").new_page()
    login_in_browser(viewer, live_server.url, viewer_email, PASSWORD)
    login_in_browser(page, live_server.url, admin_email, PASSWORD)
    page.goto(f"{live_server.url}/admin/users")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text=viewer_email).locator("button:has-text('Log out everywhere')").click()
    assert f"{viewer_email} was logged out everywhere." in page.locator(".flash").inner_text()
    shot(page, "admin-users-log-out-everywhere")
    viewer.goto(f"{live_server.url}/dashboard")
    assert "/login" in viewer.url
    viewer.context.close()
