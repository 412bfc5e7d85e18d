"""Login timing does not tell which e-mails have accounts: an unknown e-mail costs one
password hash of the same cost as a known e-mail with a wrong password."""
from __future__ import annotations

import statistics
import time
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_staff_user, make_supplier, make_supplier_user
from tests.web.clients import csrf_token

# The hash must dominate a login's time, as in production, and nothing else run beside it.
pytestmark = [pytest.mark.production_password_hashing, pytest.mark.serial]
SAMPLES = 15  # per kind, interleaved, so load on the machine hits both alike


def _timed_post(client: Any, path: str, email: str, ip: str) -> float:
    env = {"REMOTE_ADDR": ip}
    token = csrf_token(client.get(path, environ_base=env).text)
    started = time.perf_counter()
    resp = client.post(path, data={"email": email, "password": "wrong password!", "csrf_token": token}, environ_base=env)
    elapsed = time.perf_counter() - started
    assert resp.status_code == 401
    return elapsed


def _medians(client: Any, path: str, known_email: str) -> tuple[float, float]:
    known: list[float] = []
    unknown: list[float] = []
    for i in range(SAMPLES):  # a fresh address per sample: the throttle never answers instead
        known.append(_timed_post(client, path, known_email, f"198.51.100.{100 + i}"))
        unknown.append(_timed_post(client, path, f"nobody{i}@nowhere.test", f"198.51.101.{100 + i}"))
    return statistics.median(known), statistics.median(unknown)


def _assert_close(known: float, unknown: float) -> None:
    assert abs(known - unknown) / max(known, unknown) < 0.20, f"known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms"


def test_staff_login_takes_as_long_for_an_unknown_email_as_for_a_wrong_password(client: Any, session: Session) -> None:
    user = make_staff_user(session, "viewer")
    _assert_close(*_medians(client, "/login", user.email))


def test_portal_login_takes_as_long_for_an_unknown_email_as_for_a_wrong_password(client: Any,
                                                                                 session: Session) -> None:
    user = make_supplier_user(session, make_supplier(session))
    _assert_close(*_medians(client, "/portal/login", user.email))
