"""The login throttle cannot be used to lock people out: it counts per (account, client
address) and per address, backs off instead of locking the account, and takes the client
address from X-Forwarded-For only through the configured number of trusted proxies."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import create_app
from app.auth.throttle import (
    LOGIN_WINDOW,
    PER_ACCOUNT_ADDRESS,
    PER_ADDRESS,
    LoginThrottled,
    claim_password_check,
    settle_password_check,
)
from app.config import ConfigError, load_settings
from tests.conftest import RequestIsolatingClient
from tests.factories import PASSWORD, make_staff_user, make_supplier, make_supplier_user
from tests.web.clients import login_from

WRONG = "wrong password!"


def test_failures_from_one_address_do_not_lock_the_account_for_another(client: Any, session: Session) -> None:
    user = make_staff_user(session, "admin")
    for _ in range(PER_ACCOUNT_ADDRESS):
        assert login_from(client, user.email, WRONG, ip="198.51.100.7").status_code == 401
    refused = login_from(client, user.email, PASSWORD, ip="198.51.100.7")
    assert refused.status_code == 429 and "Too many failed logins" in refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= LOGIN_WINDOW.total_seconds()
    # The owner, from their own address, still gets in.
    assert login_from(client, user.email, PASSWORD, ip="203.0.113.20").status_code == 302


def test_a_flood_from_one_address_does_not_lock_out_others(client: Any, session: Session) -> None:
    user = make_staff_user(session, "viewer")
    for i in range(PER_ADDRESS):
        assert login_from(client, f"guess{i}@stockwise.test", WRONG, ip="198.51.100.66").status_code == 401
    assert login_from(client, user.email, PASSWORD, ip="198.51.100.66").status_code == 429
    assert login_from(client, user.email, PASSWORD, ip="203.0.113.21").status_code == 302


def test_the_supplier_portal_login_is_throttled_the_same_way(client: Any, session: Session) -> None:
    user = make_supplier_user(session, make_supplier(session))
    for _ in range(PER_ACCOUNT_ADDRESS):
        assert login_from(client, user.email, WRONG, ip="198.51.100.8", path="/portal/login").status_code == 401
    assert login_from(client, user.email, PASSWORD, ip="198.51.100.8", path="/portal/login").status_code == 429
    assert login_from(client, user.email, PASSWORD, ip="203.0.113.22", path="/portal/login").status_code == 302


def test_without_trusted_proxies_a_forged_x_forwarded_for_does_not_reset_the_count(client: Any,
                                                                                    session: Session) -> None:
    user = make_staff_user(session, "viewer")
    for i in range(PER_ACCOUNT_ADDRESS):
        assert login_from(client, user.email, WRONG, forwarded_for=f"192.0.2.{i}").status_code == 401
    assert login_from(client, user.email, PASSWORD, forwarded_for="192.0.2.99").status_code == 429


@pytest.fixture
def proxied_client(app: Any) -> Any:
    """A client of an app configured with one trusted proxy, on the test's transaction."""
    proxied = create_app({**{k: app.config[k] for k in ("SECRET_KEY", "TESTING")},
                          "DATABASE_URL": app.config["DATABASE_URL"], "INSTANCE_DIR": app.instance_path,
                          "ENGINE": app.extensions["stockwise_db"].engine, "TRUSTED_PROXIES": 1})
    proxied.extensions["stockwise_db"].sessionmaker = app.extensions["stockwise_db"].sessionmaker
    proxied.test_client_class = RequestIsolatingClient
    return proxied.test_client()


def test_behind_a_trusted_proxy_each_client_address_is_counted_apart(proxied_client: Any, session: Session) -> None:
    user = make_staff_user(session, "viewer")
    proxy = "10.0.0.2"
    for _ in range(PER_ACCOUNT_ADDRESS):
        assert login_from(proxied_client, user.email, WRONG, ip=proxy, forwarded_for="198.51.100.9").status_code == 401
    # A client-written entry before the proxy's own is not believed: still the same client.
    forged = login_from(proxied_client, user.email, PASSWORD, ip=proxy, forwarded_for="192.0.2.1, 198.51.100.9")
    assert forged.status_code == 429
    assert login_from(proxied_client, user.email, PASSWORD, ip=proxy, forwarded_for="203.0.113.23").status_code == 302


def test_an_overlong_forwarded_address_is_cut_to_size_not_an_error(proxied_client: Any, session: Session) -> None:
    user = make_staff_user(session, "viewer")
    odd = "2001:db8::" + "f" * 120
    assert login_from(proxied_client, user.email, WRONG, ip="10.0.0.2", forwarded_for=odd).status_code == 401


@pytest.mark.parametrize("raw", ["-1", "two", "11", "1.5"])
def test_a_bad_trusted_proxies_setting_is_refused_naming_it(raw: str) -> None:
    with pytest.raises(ConfigError, match="STOCKWISE_TRUSTED_PROXIES"):
        load_settings({"TRUSTED_PROXIES": raw, "SECRET_KEY": "x"})


def _claims(session: Session, n: int, now: dt.datetime, ip: str = "198.51.100.10") -> int:
    """How many of `n` claims for one account from one address succeed at `now` (each fails its check)."""
    granted = 0
    for _ in range(n):
        try:
            claim_password_check(session, realm="staff", email="someone@stockwise.test", ip=ip, now=now)
            granted += 1
        except LoginThrottled:
            pass
    return granted


def test_the_throttle_backs_off_window_by_window_and_a_success_resets_it(session: Session) -> None:
    t0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    assert _claims(session, 8, t0) == PER_ACCOUNT_ADDRESS
    with pytest.raises(LoginThrottled) as first:
        claim_password_check(session, realm="staff", email="someone@stockwise.test", ip="198.51.100.10",
                             now=t0 + dt.timedelta(minutes=1))
    assert first.value.retry_after_seconds == (LOGIN_WINDOW - dt.timedelta(minutes=1)).total_seconds()
    t1 = t0 + LOGIN_WINDOW
    assert _claims(session, 8, t1) == PER_ACCOUNT_ADDRESS  # a new window, twice as long
    with pytest.raises(LoginThrottled) as second:
        claim_password_check(session, realm="staff", email="someone@stockwise.test", ip="198.51.100.10", now=t1)
    assert second.value.retry_after_seconds == (2 * LOGIN_WINDOW).total_seconds()
    t2 = t1 + 2 * LOGIN_WINDOW
    assert _claims(session, 1, t2) == 1
    settle_password_check(session, realm="staff", email="someone@stockwise.test", ip="198.51.100.10",
                          succeeded=True, now=t2)
    assert _claims(session, 8, t2) == PER_ACCOUNT_ADDRESS
    with pytest.raises(LoginThrottled) as after_success:
        claim_password_check(session, realm="staff", email="someone@stockwise.test", ip="198.51.100.10", now=t2)
    assert after_success.value.retry_after_seconds == LOGIN_WINDOW.total_seconds()  # back to the first window
