"""Supplier users are invited through a single-use, time-limited link (CLI or admin button)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.invites import accept_invite, invite_supplier_user
from app.auth.models import SupplierUser
from app.auth.service import hash_token
from app.db import transaction, utcnow
from tests.factories import TEST_ACTOR, make_staff_user, make_supplier
from tests.web.clients import csrf_token, login_staff, login_supplier

NEW_PASSWORD = "a brand new secret"


def _set_password(client: Any, path: str) -> Any:
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={"csrf_token": csrf_token(page.text), "password": NEW_PASSWORD,
                                   "confirm": NEW_PASSWORD})


def test_invite_link_sets_the_password_once_and_only_the_hash_is_stored(client: Any, session: Session) -> None:
    supplier = make_supplier(session, code="ACME")
    user, token = invite_supplier_user(session, TEST_ACTOR, supplier_code="ACME", email="Rep@Acme.test", now=utcnow())
    assert user.email == "rep@acme.test" and user.password_hash is None and user.supplier_id == supplier.id
    assert user.invite_token_hash == hash_token(token) and token not in user.invite_token_hash
    resp = _set_password(client, f"/portal/invite/{token}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/portal/")
    assert client.get("/portal/").status_code == 200  # logged in
    client.post("/portal/logout", data={"csrf_token": csrf_token(client.get("/portal/").text)})
    again = client.get(f"/portal/invite/{token}")
    assert again.status_code == 404 and "not valid" in again.text
    assert login_supplier(client, "rep@acme.test", NEW_PASSWORD).status_code == 302


def test_an_expired_invitation_is_refused(client: Any, session: Session) -> None:
    make_supplier(session, code="OLD")
    _user, token = invite_supplier_user(session, TEST_ACTOR, supplier_code="OLD", email="old@sup.test",
                                        now=utcnow() - dt.timedelta(hours=73))
    assert client.get(f"/portal/invite/{token}").status_code == 404
    page = client.get("/portal/login")
    resp = client.post(f"/portal/invite/{token}", data={"csrf_token": csrf_token(page.text), "password": NEW_PASSWORD,
                                                        "confirm": NEW_PASSWORD})
    assert resp.status_code == 404
    assert session.scalar(select(SupplierUser.password_hash).where(SupplierUser.email == "old@sup.test")) is None


def test_a_mismatched_password_names_the_field(client: Any, session: Session) -> None:
    make_supplier(session, code="MIS")
    _user, token = invite_supplier_user(session, TEST_ACTOR, supplier_code="MIS", email="m@sup.test", now=utcnow())
    page = client.get(f"/portal/invite/{token}")
    resp = client.post(f"/portal/invite/{token}", data={"csrf_token": csrf_token(page.text), "password": NEW_PASSWORD,
                                                        "confirm": "something else!"})
    assert resp.status_code == 422 and 'data-field="confirm"' in resp.text


def test_an_email_of_another_suppliers_user_cannot_be_invited(session: Session) -> None:
    import pytest

    from app.errors import Conflict

    make_supplier(session, code="ONE")
    make_supplier(session, code="TWO")
    invite_supplier_user(session, TEST_ACTOR, supplier_code="ONE", email="x@sup.test", now=utcnow())
    with pytest.raises(Conflict):
        invite_supplier_user(session, TEST_ACTOR, supplier_code="TWO", email="x@sup.test", now=utcnow())


def test_reinviting_replaces_the_earlier_link(session: Session) -> None:
    import pytest

    from app.auth.invites import InviteInvalid

    make_supplier(session, code="RE")
    _u, first = invite_supplier_user(session, TEST_ACTOR, supplier_code="RE", email="r@sup.test", now=utcnow())
    _u, second = invite_supplier_user(session, TEST_ACTOR, supplier_code="RE", email="r@sup.test", now=utcnow())
    with pytest.raises(InviteInvalid):
        accept_invite(session, token=first, password=NEW_PASSWORD, now=utcnow())
    assert accept_invite(session, token=second, password=NEW_PASSWORD, now=utcnow()).password_hash


def test_admin_invites_from_the_supplier_page_and_others_cannot(client: Any, session: Session) -> None:
    supplier = make_supplier(session, code="BTN", name="Button Supplies")
    for role, expected in (("purchasing", 403), ("admin", 302)):
        user = make_staff_user(session, role)
        login_staff(client, user.email)
        detail = client.get(f"/suppliers/scorecards/{supplier.id}")
        assert ("Create invitation link" in detail.text) == (role == "admin")
        resp = client.post(f"/suppliers/scorecards/{supplier.id}/invite",
                           data={"csrf_token": csrf_token(detail.text), "email": "new@btn.test"})
        assert resp.status_code == expected
        client.post("/logout", data={"csrf_token": csrf_token(detail.text)})
    shown = client.get(f"/suppliers/scorecards/{supplier.id}")  # logged out now: flash is kept for the next page
    assert shown.status_code == 302
    assert session.scalar(select(SupplierUser).where(SupplierUser.email == "new@btn.test")).invite_token_hash


def test_cli_prints_a_working_invitation_link(committed_app: Any) -> None:
    with transaction() as s:
        make_supplier(s, code="CLI1")
    result = committed_app.test_cli_runner().invoke(args=["supplier", "invite", "cli@sup.test", "--supplier", "CLI1",
                                                          "--base-url", "https://portal.example"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("https://portal.example/portal/invite/")
    client = committed_app.test_client()
    assert _set_password(client, link.removeprefix("https://portal.example")).status_code == 302
    bad = committed_app.test_cli_runner().invoke(args=["supplier", "invite", "x@sup.test", "--supplier", "NOPE"])
    assert bad.exit_code == 1 and "no supplier with code 'NOPE'" in bad.output
