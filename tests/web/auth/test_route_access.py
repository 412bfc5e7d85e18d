"""Every route of the app declares who may open it (app.auth.access), and the declaration is
what the app enforces: anonymous users are sent to a login, other roles and the other realm
get 403, the roles it names get in.

Run with `-s` to see the listing (path, methods, endpoint, rule) of every route.
"""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.auth.access import PUBLIC, STAFF, SUPPLIER, TOKEN, route_rules
from tests.factories import make_supplier, make_supplier_user
from tests.web.clients import csrf_token, login_as, login_supplier

# The routes anyone may open. A new public route must be added here on purpose.
PUBLIC_ENDPOINTS = {
    "static", "web.index", "auth.login", "auth.logout", "auth.set_language", "ops.healthz",
    "portal.login", "portal.logout", "portal.accept_invite", "api.docs", "api.openapi",
}


def _url(path: str) -> str:
    """A concrete URL for a rule: ids that exist nowhere (access is checked before the lookup)."""
    path = re.sub(r"<int:[^>]+>", "999999", path)
    path = re.sub(r"<path:[^>]+>", "none.txt", path)
    return re.sub(r"<[^>]+>", "NONE", path)


def _requests(app: Any, realm: str | None = None) -> list[tuple[str, str, Any]]:
    """(method, url, rule) of every route (one per method), optionally of one realm."""
    out = []
    for path, methods, _endpoint, rule in route_rules(app):
        if realm is None or (rule is not None and rule.realm == realm):
            out += [(m, _url(path), rule) for m in methods.split(",")]
    return out


def _send(client: Any, method: str, url: str, token: str) -> Any:
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": token})


def test_every_route_declares_who_may_open_it(app: Any) -> None:
    rows = route_rules(app)
    for path, methods, endpoint, rule in rows:
        print(f"{path:58} {methods:9} {endpoint:36} {rule}")
    missing = [f"{methods} {path} ({endpoint})" for path, methods, endpoint, rule in rows if rule is None]
    assert not missing, "routes without a declared access rule: " + ", ".join(missing)
    assert len(rows) > 100  # the whole app, not a blueprint
    assert {endpoint for _p, _m, endpoint, rule in rows if rule and rule.realm == PUBLIC} == PUBLIC_ENDPOINTS
    for path, _methods, endpoint, rule in rows:
        assert rule is not None
        if path.startswith("/admin"):
            assert (rule.realm, rule.roles) == (STAFF, ("admin",)), endpoint
        if path.startswith("/portal") and endpoint not in PUBLIC_ENDPOINTS:
            assert rule.realm == SUPPLIER, endpoint
        if path.startswith("/api/v1") and endpoint not in PUBLIC_ENDPOINTS:
            # the contract's scopes: stock:read / stock:write / stock:sync, and admin (e.g. hot-SKU mode)
            assert rule.realm == TOKEN and all(s.startswith("stock:") or s == "admin" for s in rule.roles), endpoint
        assert "viewer" not in rule.roles, endpoint  # viewers only read: no rule names them


def test_anonymous_users_are_sent_to_a_login_or_refused(app: Any, client: Any) -> None:
    token = csrf_token(client.get("/login").text)
    checked = 0
    for method, url, rule in _requests(app):
        if rule.realm == PUBLIC:
            continue
        resp = _send(client, method, url, token)
        if rule.realm == STAFF:
            assert resp.status_code == 302 and "/login" in resp.headers["Location"], (method, url, resp.status_code)
            assert "/portal/" not in resp.headers["Location"]
        elif rule.realm == SUPPLIER:
            assert resp.status_code == 302 and "/portal/login" in resp.headers["Location"], (method, url)
        else:
            assert resp.status_code == 401, (method, url, resp.status_code)
        checked += 1
    assert checked > 90


def test_a_viewer_is_refused_every_route_that_names_roles_and_every_portal_route(
        app: Any, client: Any, session: Session) -> None:
    login_as(client, session, "viewer")
    token = csrf_token(client.get("/account").text)
    refused = 0
    for method, url, rule in _requests(app, STAFF) + _requests(app, SUPPLIER):
        if rule.realm == STAFF and not rule.roles:
            continue
        resp = _send(client, method, url, token)
        assert resp.status_code == 403, (method, url, resp.status_code)
        refused += 1
    assert refused > 50


def test_a_supplier_user_is_refused_every_staff_route(app: Any, client: Any, session: Session) -> None:
    user = make_supplier_user(session, make_supplier(session))
    assert login_supplier(client, user.email).status_code == 302
    token = csrf_token(client.get("/portal/account").text)
    for method, url, _rule in _requests(app, STAFF):
        resp = _send(client, method, url, token)
        assert resp.status_code == 403, (method, url, resp.status_code)


@pytest.mark.parametrize("role", ["viewer", "purchasing", "warehouse"])
def test_the_roles_a_page_names_get_in(app: Any, client: Any, session: Session, role: str) -> None:
    """Every staff page without parameters opens (200) for a role its rule admits."""
    login_as(client, session, role)
    opened = 0
    for method, url, rule in _requests(app, STAFF):
        if method != "GET" or "NONE" in url or "999999" in url or (rule.roles and role not in rule.roles):
            continue
        resp = client.get(url)
        assert resp.status_code == 200, (role, url, resp.status_code)
        opened += 1
    assert opened >= 10
