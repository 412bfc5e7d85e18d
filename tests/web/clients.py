"""The steps web tests share through the test client: log in (staff or supplier), read a
form's CSRF token, post a form, and count the SQL statements a page runs.

No workarounds for `g` here: each test-client request runs in its own app context (see
`RequestIsolatingClient` in tests/conftest.py), as it would under a real server.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.auth.models import StaffUser
from tests.factories import PASSWORD, make_staff_user

_TOKEN = (re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'), re.compile(r'name="csrf_token" value="([^"]+)"'))


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form on the page."""
    for pattern in _TOKEN:
        if m := pattern.search(html):
            return m.group(1)
    raise AssertionError("no CSRF token in page")


def _login(client: Any, path: str, email: str, password: str) -> Any:
    page = client.get(path)
    return client.post(path, data={"email": email, "password": password, "csrf_token": csrf_token(page.text)})


def login_staff(client: Any, email: str, password: str = PASSWORD) -> Any:
    """Post the staff login form; returns the response (302 when it worked)."""
    return _login(client, "/login", email, password)


def login_supplier(client: Any, email: str, password: str = PASSWORD) -> Any:
    """Post the supplier portal's login form; returns the response (302 when it worked)."""
    return _login(client, "/portal/login", email, password)


def login_from(client: Any, email: str, password: str, *, ip: str = "127.0.0.1", path: str = "/login",
               forwarded_for: str | None = None) -> Any:
    """Post a login form (staff `/login` or `/portal/login`) as if from `ip`, the TCP peer;
    with `forwarded_for`, through a proxy that sent that X-Forwarded-For."""
    kw = {"environ_base": {"REMOTE_ADDR": ip}, "headers": {"X-Forwarded-For": forwarded_for} if forwarded_for else {}}
    page = client.get(path, **kw)
    return client.post(path, data={"email": email, "password": password, "csrf_token": csrf_token(page.text)}, **kw)


def login_as(client: Any, session: Session, role: str, **kw: Any) -> StaffUser:
    """A new staff user with `role` (factory overrides in `kw`), logged in."""
    user = make_staff_user(session, role, **kw)
    resp = login_staff(client, user.email)
    assert resp.status_code == 302, resp.text
    return user


def post_form(client: Any, page_url: str, action_url: str, data: dict[str, Any], **kw: Any) -> Any:
    """GET `page_url` for a CSRF token, then POST `data` to `action_url`."""
    token = csrf_token(client.get(page_url).text)
    return client.post(action_url, data={"csrf_token": token, **data}, **kw)


@contextmanager
def count_statements(target: Any) -> Iterator[list[str]]:
    """Collect the SQL statements run on `target` (an Engine, or the app) inside the block.

    Savepoint bookkeeping of the per-test transaction is left out: it is the fixture's, not the page's.
    """
    engine: Engine = target if isinstance(target, Engine) else target.extensions["stockwise_db"].engine
    seen: list[str] = []

    def _listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", _listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _listener)


class _ChartParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.options: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "div" and "echart" in (found.get("class") or "").split() and found.get("data-chart"):
            self.options.append(json.loads(found["data-chart"] or "{}"))


def chart_options(html: str) -> list[dict[str, Any]]:
    """The ECharts options a page embeds (the `data-chart` attribute of each div.echart), in page order."""
    parser = _ChartParser()
    parser.feed(html)
    return parser.options


def series_data(option: dict[str, Any], series_id: str) -> list[Any]:
    """One series' values, plain numbers (a styled point {"value": v, ...} gives v)."""
    series = next(s for s in option["series"] if s.get("id") == series_id)
    return [v["value"] if isinstance(v, dict) else v for v in series["data"]]


def sort_state(html: str, key: str) -> str:
    """The aria-sort of the <th> whose link sorts by `key` (either direction)."""
    m = re.search(r'<th class="sortable[^"]*" aria-sort="(\w+)"><a href="[^"]*[?&;]sort=-?' + re.escape(key)
                  + r'(?:&|&amp;|")', html)
    assert m, f"no sortable header for {key!r}"
    return m.group(1)


def row_order(html: str, names: list[str]) -> list[str]:
    """`names` in the order the table's rows show them (filter drop-downs left out)."""
    body = html[html.index("<tbody"):] if "<tbody" in html else html
    return sorted(names, key=body.index)
