"""The login throttle holds under a real race: parallel POSTs to gunicorn (2 worker
processes × 4 threads) on PostgreSQL check at most the limit of passwords, across
processes, and the right password from another address still works afterwards."""
from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.auth.throttle import PER_ACCOUNT_ADDRESS, PER_ADDRESS
from tests.concurrency.test_kill_gunicorn import Gunicorn
from tests.factories import PASSWORD, make_staff_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def server(db: Session, database_url: str, tmp_path: Path) -> Iterator[Gunicorn]:
    """gunicorn behind one (pretend) trusted proxy: the client address is the X-Forwarded-For entry."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STOCKWISE_TRUSTED_PROXIES", "1")
        gunicorn = Gunicorn(database_url, tmp_path)
    yield gunicorn
    gunicorn.kill()


def _race(url: str, attempts: list[tuple[str, str, str]]) -> list[int]:
    """POST every (email, password, client address) login at once; the status codes."""
    prepared = []
    for email, password, ip in attempts:  # each its own browser: cookie + CSRF token fetched beforehand
        http = requests.Session()
        http.headers["X-Forwarded-For"] = ip
        token = TOKEN.search(http.get(f"{url}/login", timeout=10).text)
        assert token is not None
        prepared.append((http, {"email": email, "password": password, "csrf_token": token.group(1)}))
    start = threading.Barrier(len(prepared))

    def post(item: tuple[requests.Session, dict[str, str]]) -> int:
        http, form = item
        start.wait(10)
        return http.post(f"{url}/login", data=form, allow_redirects=False, timeout=30).status_code

    with ThreadPoolExecutor(len(prepared)) as pool:
        return list(pool.map(post, prepared))


def test_parallel_wrong_passwords_for_one_account_from_one_address_check_at_most_the_limit(
    server: Gunicorn, db: Session,
) -> None:
    user = make_staff_user(db, "admin")
    db.commit()
    codes = Counter(_race(server.url, [(user.email, "wrong password!", "198.51.100.50")] * 24))
    assert set(codes) <= {401, 429}
    assert 1 <= codes[401] <= PER_ACCOUNT_ADDRESS, codes
    db.expire_all()
    checked = db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "login.failed", AuditEntry.actor_label == user.email)) or 0
    assert checked == codes[401]
    # Not a lock on the account: its owner, from another address, gets in.
    owner = _race(server.url, [(user.email, PASSWORD, "203.0.113.50")])
    assert owner == [302]


def test_parallel_wrong_logins_from_one_address_check_at_most_its_limit(server: Gunicorn, db: Session) -> None:
    codes = Counter(_race(server.url, [(f"guess{i}@stockwise.test", "wrong password!", "198.51.100.51")
                                       for i in range(PER_ADDRESS + 16)]))
    assert set(codes) <= {401, 429}
    assert 1 <= codes[401] <= PER_ADDRESS, codes
