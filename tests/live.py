"""A live HTTP server for tests that need real sockets: the app behind werkzeug's threaded
server on 127.0.0.1 (a free port), in this process so a test can also look into the pool;
and a `requests` session logged in through the real login form."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from werkzeug.serving import make_server

from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve `app` while the block runs; yields its base URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


def logged_in(base: str, email: str, password: str = PASSWORD, path: str = "/login") -> requests.Session:
    """A `requests` session that logged in through the form at `path` (staff or /portal/login)."""
    http = requests.Session()
    page = http.get(base + path, timeout=10)
    resp = http.post(base + path, data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
                     allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    return http
