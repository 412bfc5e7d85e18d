"""Admin pages: admin only; users, API clients (token shown once), settings validated, audit log."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record_audit
from app.auth.models import ApiClient, StaffUser
from app.settings.service import get_setting
from tests.factories import TEST_ACTOR, make_staff_user
from tests.web.clients import count_statements, login_as, post_form


@pytest.mark.parametrize("role", ["viewer", "purchasing", "warehouse"])
def test_admin_pages_are_for_admins_only(client: Any, session: Session, role: str) -> None:
    login_as(client, session, role)
    for url in ("/admin/", "/admin/users", "/admin/api-clients", "/admin/settings", "/admin/audit",
                "/admin/audit/export.csv"):
        assert client.get(url).status_code == 403, url
    assert post_form(client, "/stock", "/admin/settings", {"key": "service_level", "service_level": "0.9"}).status_code == 403


def test_admin_creates_a_user_changes_the_role_and_deactivates(client: Any, session: Session) -> None:
    login_as(client, session, "admin")
    resp = post_form(client, "/admin/users", "/admin/users", {"email": "li.wei@stockwise.test", "name": "Li Wei",
                                                              "role": "warehouse", "password": "a long password"})
    assert resp.status_code == 302
    user = session.scalars(select(StaffUser).where(StaffUser.email == "li.wei@stockwise.test")).one()
    assert post_form(client, "/admin/users", f"/admin/users/{user.id}/role", {"role": "purchasing"}).status_code == 302
    assert post_form(client, "/admin/users", f"/admin/users/{user.id}/active", {}).status_code == 302
    session.refresh(user)
    assert (user.role, user.is_active) == ("purchasing", False)
    bad = post_form(client, "/admin/users", "/admin/users", {"email": "nope", "role": "viewer", "password": "short"})
    assert bad.status_code == 422 and 'data-field="email"' in bad.text and 'data-field="password"' in bad.text


def test_api_client_token_and_webhook_secret_are_shown_once_then_revoked(client: Any, session: Session) -> None:
    login_as(client, session, "admin")
    resp = post_form(client, "/admin/api-clients", "/admin/api-clients",
                     {"name": "shop", "scopes": ["stock:read", "stock:write"], "webhook_url": "https://shop.test/hook"})
    assert resp.status_code == 200 and 'id="new-token"' in resp.text and 'id="new-secret"' in resp.text
    token = resp.text.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("sw_") and token not in client.get("/admin/api-clients").text
    api_client = session.scalars(select(ApiClient).where(ApiClient.name == "shop")).one()
    assert post_form(client, "/admin/api-clients", f"/admin/api-clients/{api_client.id}/revoke", {}).status_code == 302
    session.refresh(api_client)
    assert api_client.is_active is False


def test_settings_are_validated_and_saved(client: Any, session: Session) -> None:
    login_as(client, session, "admin")
    bad = post_form(client, "/admin/settings", "/admin/settings", {"key": "service_level", "service_level": "1.5"})
    assert bad.status_code == 422 and 'data-field="service_level"' in bad.text
    weights = post_form(client, "/admin/settings", "/admin/settings", {
        "key": "scorecard_weights", "scorecard_weights.on_time": "50", "scorecard_weights.quality": "30",
        "scorecard_weights.price": "30"})
    assert weights.status_code == 422 and "add up to 100" in weights.text
    ok = post_form(client, "/admin/settings", "/admin/settings", {"key": "overstock_days_of_cover",
                                                                  "overstock_days_of_cover": "90"})
    assert ok.status_code == 302
    assert get_setting(session, "overstock_days_of_cover") == 90
    reasons = post_form(client, "/admin/settings", "/admin/settings", {"key": "inspection_reasons",
                                                                       "inspection_reasons": "damaged\nwrong colour\n"})
    assert reasons.status_code == 302 and get_setting(session, "inspection_reasons") == ["damaged", "wrong colour"]


def test_audit_log_filters_and_its_query_count_does_not_grow(app: Any, client: Any, session: Session) -> None:
    admin = login_as(client, session, "admin")
    for i in range(5):
        record_audit(session, TEST_ACTOR, "transfer.ship", "transfer", i)
    make_staff_user(session, "viewer", email="zhang@stockwise.test")
    with count_statements(app) as few:
        assert client.get("/admin/audit").status_code == 200
    for i in range(30):
        record_audit(session, TEST_ACTOR, "transfer.ship", "transfer", 100 + i)
    session.flush()
    with count_statements(app) as many:
        page = client.get("/admin/audit?entity=transfer&action=transfer.")
    assert len(few) == len(many)
    assert "zhang@stockwise.test" not in page.text and page.text.count("transfer.ship") >= 30
    by_entity = client.get("/admin/audit?entity=staff_user")
    assert "zhang@stockwise.test" in by_entity.text and admin.email in by_entity.text
