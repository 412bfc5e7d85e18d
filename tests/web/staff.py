"""Shared steps of the web tests: log in as a role, read CSRF tokens, count SQL statements."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_staff_user


def csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in page"
    return m.group(1)


def login_as(client: Any, session: Session, role: str) -> Any:
    user = make_staff_user(session, role)
    page = client.get("/login")
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf(page.text)})
    assert resp.status_code == 302
    # The `app` fixture keeps one app context (and so one `g`) for the whole test, and
    # Flask-WTF caches the CSRF token in `g`: drop the token cached before login (the
    # login cleared it from the session) so the next page stores a fresh one.
    g.pop("csrf_token", None)
    return user


def token_from(client: Any, path: str = "/purchase-orders") -> str:
    return csrf(client.get(path).text)


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    """Collects every SQL statement sent to the database inside the block."""
    seen: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _count)
