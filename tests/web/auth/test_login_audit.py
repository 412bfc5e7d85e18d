"""Every login (success, failure, throttled; staff and supplier), logout and "log out
everywhere" is in the audit log, where an admin can filter for it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.auth.throttle import PER_ACCOUNT_ADDRESS
from tests.factories import PASSWORD, make_staff_user, make_supplier, make_supplier_user
from tests.web.clients import login_as, login_from, post_form

WRONG = "wrong password!"


def _events(session: Session, prefix: str = "") -> list[tuple[str, str, str | None, str | None]]:
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action.like(f"{prefix}%"),
                                                    AuditEntry.action.like("login.%") | AuditEntry.action.like("session.%"))
                           .order_by(AuditEntry.id))
    return [(r.action, r.actor_label, r.entity_id, r.details) for r in rows]


def test_staff_logins_failures_throttling_and_logouts_are_audited(app: Any, client: Any, session: Session) -> None:
    user = make_staff_user(session, "viewer")
    assert login_from(client, "nobody@stockwise.test", WRONG, ip="198.51.100.30").status_code == 401
    for _ in range(PER_ACCOUNT_ADDRESS):
        login_from(client, user.email, WRONG, ip="198.51.100.31")
    assert login_from(client, user.email, WRONG, ip="198.51.100.31").status_code == 429
    assert login_from(client, user.email, PASSWORD).status_code == 302  # from 127.0.0.1
    assert post_form(client, "/dashboard", "/logout", {}).status_code == 302
    events = [(a, label, eid) for a, label, eid, _ in _events(session)]
    assert events == [
        ("login.failed", "nobody@stockwise.test", None),
        *[("login.failed", user.email, str(user.id))] * PER_ACCOUNT_ADDRESS,
        ("login.throttled", user.email, str(user.id)),
        ("login.succeeded", user.email, str(user.id)),
        ("session.logout", user.email, str(user.id)),
    ]
    assert '"ip": "127.0.0.1"' in (_events(session, "login.succeeded")[0][3] or "")


def test_supplier_logins_and_log_out_everywhere_are_audited(client: Any, session: Session) -> None:
    user = make_supplier_user(session, make_supplier(session))
    assert login_from(client, user.email, WRONG, path="/portal/login").status_code == 401
    assert login_from(client, user.email, PASSWORD, path="/portal/login").status_code == 302
    assert post_form(client, "/portal/account", "/portal/account/end-sessions", {}).status_code == 302
    assert [(a, label) for a, label, _, _ in _events(session)] == [
        ("login.failed", user.email), ("login.succeeded", user.email), ("session.end_all", user.email)]
    actor_types = set(session.scalars(select(AuditEntry.actor_type).where(AuditEntry.action.like("login.%"))))
    assert actor_types == {"supplier"}


def test_an_admin_filters_the_audit_log_for_logins(app: Any, client: Any, session: Session) -> None:
    victim = make_staff_user(session, "viewer", email="victim@stockwise.test")
    other = app.test_client()
    assert login_from(other, victim.email, WRONG, ip="198.51.100.40").status_code == 401
    login_as(client, session, "admin")
    page = client.get("/admin/audit", query_string={"action": "login.failed", "actor": "victim"})
    assert page.status_code == 200
    assert "victim@stockwise.test" in page.text and "login.failed" in page.text and "login.succeeded" not in page.text
