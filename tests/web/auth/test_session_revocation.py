"""Sessions end on the server: after logout, a password change, a deactivation or "log out
everywhere", a copy of the session cookie taken before no longer opens any page."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.auth import invites
from app.db import utcnow
from tests.factories import PASSWORD, make_staff_user, make_supplier, make_supplier_user
from tests.web.clients import csrf_token, login_as, login_staff, login_supplier, post_form

NEW_PASSWORD = "a brand new passphrase"


def copy_of(client: Any, app: Any) -> Any:
    """Another browser holding a copy of `client`'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def opens(client: Any, path: str) -> bool:
    resp = client.get(path)
    return resp.status_code == 200


def test_staff_logout_ends_every_copy_of_the_session(app: Any, client: Any, session: Session) -> None:
    login_as(client, session, "viewer")
    stolen = copy_of(client, app)
    assert opens(stolen, "/dashboard")
    resp = post_form(client, "/dashboard", "/logout", {})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert not opens(client, "/dashboard")
    after = stolen.get("/dashboard")
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_supplier_logout_ends_every_copy_of_the_session(app: Any, client: Any, session: Session) -> None:
    user = make_supplier_user(session, make_supplier(session))
    assert login_supplier(client, user.email).status_code == 302
    stolen = copy_of(client, app)
    assert opens(stolen, "/portal/orders")
    assert post_form(client, "/portal/orders", "/portal/logout", {}).status_code == 302
    after = stolen.get("/portal/orders")
    assert after.status_code == 302 and "/portal/login" in after.headers["Location"]


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app: Any, client: Any, session: Session) -> None:
    user = login_as(client, session, "purchasing")
    elsewhere = app.test_client()
    assert login_staff(elsewhere, user.email).status_code == 302
    stolen = copy_of(client, app)
    resp = post_form(client, "/account", "/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                       "confirm": NEW_PASSWORD})
    assert resp.status_code == 302
    assert opens(client, "/dashboard")
    assert not opens(stolen, "/dashboard") and not opens(elsewhere, "/dashboard")
    fresh = app.test_client()
    assert login_staff(fresh, user.email, PASSWORD).status_code == 401
    assert login_staff(fresh, user.email, NEW_PASSWORD).status_code == 302


def test_a_password_change_needs_the_current_password_and_names_the_field(client: Any, session: Session) -> None:
    login_as(client, session, "viewer")
    resp = post_form(client, "/account", "/account", {"current_password": "not it at all", "new_password": NEW_PASSWORD,
                                                       "confirm": NEW_PASSWORD})
    assert resp.status_code == 422 and 'data-field="current_password"' in resp.text
    short = post_form(client, "/account", "/account", {"current_password": PASSWORD, "new_password": "short",
                                                        "confirm": "short"})
    assert short.status_code == 422 and 'data-field="new_password"' in short.text
    assert opens(client, "/dashboard")


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(app: Any, client: Any,
                                                                         session: Session) -> None:
    user = make_staff_user(session, "viewer")
    assert login_staff(client, user.email).status_code == 302
    stolen = copy_of(client, app)
    admin = app.test_client()
    login_as(admin, session, "admin")
    assert post_form(admin, "/admin/users", f"/admin/users/{user.id}/active", {}).status_code == 302
    assert not opens(stolen, "/dashboard")
    assert post_form(admin, "/admin/users", f"/admin/users/{user.id}/active", {"active": "y"}).status_code == 302
    assert not opens(stolen, "/dashboard") and not opens(client, "/dashboard")
    assert login_staff(app.test_client(), user.email).status_code == 302


def test_log_out_everywhere_from_the_users_own_page(app: Any, client: Any, session: Session) -> None:
    user = login_as(client, session, "warehouse")
    phone = app.test_client()
    assert login_staff(phone, user.email).status_code == 302
    page = client.get("/account")
    assert page.status_code == 200 and "/account/end-sessions" in page.text
    assert 'href="/account"' in client.get("/dashboard").text  # reachable from the header
    resp = client.post("/account/end-sessions", data={"csrf_token": csrf_token(page.text.split("end-sessions")[1])})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert not opens(client, "/dashboard") and not opens(phone, "/dashboard")


def test_a_supplier_logs_out_everywhere_from_the_portal(app: Any, client: Any, session: Session) -> None:
    user = make_supplier_user(session, make_supplier(session))
    assert login_supplier(client, user.email).status_code == 302
    laptop = app.test_client()
    assert login_supplier(laptop, user.email).status_code == 302
    assert 'href="/portal/account"' in client.get("/portal/").text
    resp = post_form(client, "/portal/account", "/portal/account/end-sessions", {})
    assert resp.status_code == 302 and "/portal/login" in resp.headers["Location"]
    assert not opens(client, "/portal/orders") and not opens(laptop, "/portal/orders")


def test_a_supplier_changes_the_password_on_the_portal(app: Any, client: Any, session: Session) -> None:
    user = make_supplier_user(session, make_supplier(session))
    assert login_supplier(client, user.email).status_code == 302
    stolen = copy_of(client, app)
    resp = post_form(client, "/portal/account", "/portal/account",
                     {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/portal/account")
    assert opens(client, "/portal/orders") and not opens(stolen, "/portal/orders")


def test_an_admin_logs_a_user_out_everywhere(app: Any, client: Any, session: Session) -> None:
    user = make_staff_user(session, "viewer")
    assert login_staff(client, user.email).status_code == 302
    admin = app.test_client()
    login_as(admin, session, "admin")
    assert f"/admin/users/{user.id}/end-sessions" in admin.get("/admin/users").text
    assert post_form(admin, "/admin/users", f"/admin/users/{user.id}/end-sessions", {}).status_code == 302
    assert not opens(client, "/dashboard")
    assert opens(admin, "/dashboard")


def test_a_new_password_from_a_reinvitation_ends_the_suppliers_old_sessions(app: Any, client: Any,
                                                                           session: Session) -> None:
    supplier = make_supplier(session)
    user = make_supplier_user(session, supplier)
    assert login_supplier(client, user.email).status_code == 302
    _user, token = invites.invite_supplier_user(session, Actor.system("tests"), supplier_code=supplier.code,
                                               email=user.email, now=utcnow())
    invites.accept_invite(session, token=token, password=NEW_PASSWORD, now=utcnow())
    session.flush()
    assert not opens(client, "/portal/orders")
