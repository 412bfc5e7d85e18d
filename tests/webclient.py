"""Helpers for web tests through the test client: login, CSRF tokens, counting SQL statements."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g
from sqlalchemy import event

from tests.factories import PASSWORD, make_staff_user


def csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in page"
    return m.group(1)


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    page = client.get("/login")
    resp = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf(page.text)})
    # The `app` fixture keeps one app context for the whole test, so the per-request caches
    # in `g` (Flask-WTF's CSRF token, Flask-Login's user) would outlive this login.
    g.pop("csrf_token", None)
    g.pop("_login_user", None)
    return resp


def forget_request_state() -> None:
    """Drop what Flask-Login, Flask-WTF and Flask-Babel cache in `g` for one request: the
    `app` fixture's single app context would otherwise carry it into the next request."""
    from flask_babel import refresh

    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    refresh()


def login_as(client: Any, session: Any, role: str, **kw: Any) -> Any:
    user = make_staff_user(session, role, **kw)
    resp = login(client, user.email)
    assert resp.status_code == 302, resp.text
    return user


def post_form(client: Any, page_url: str, action_url: str, data: dict[str, Any], **kw: Any) -> Any:
    """GET `page_url` for a CSRF token, then POST `data` to `action_url`."""
    token = csrf(client.get(page_url).text)
    return client.post(action_url, data={"csrf_token": token, **data}, **kw)


@contextmanager
def count_queries(app: Any) -> Iterator[list[str]]:
    """Collect every SQL statement the app's engine runs inside the block."""
    engine = app.extensions["stockwise_db"].engine
    seen: list[str] = []
    g.pop("_login_user", None)  # measure every request the same way: the user is loaded each time

    def _listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", _listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _listener)
