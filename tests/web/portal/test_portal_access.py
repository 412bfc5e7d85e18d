"""Portal sessions and staff sessions never mix; every id-taking portal route checks ownership."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_staff_user
from tests.web.clients import csrf_token, login_staff, login_supplier
from tests.web.portal.conftest import SupplierSide


def test_portal_pages_send_anonymous_visitors_to_the_portal_login(client: Any) -> None:
    resp = client.get("/portal/orders")
    assert resp.status_code == 302 and "/portal/login" in resp.headers["Location"]


def test_supplier_logs_in_and_sees_only_its_own_orders(client: Any, two_suppliers: tuple[SupplierSide, SupplierSide]) -> None:
    mine, theirs = two_suppliers
    assert login_supplier(client, mine.email).status_code == 302
    page = client.get("/portal/orders")
    assert page.status_code == 200
    assert mine.sent_po.number in page.text and theirs.sent_po.number not in page.text


def test_staff_login_page_refuses_supplier_credentials(client: Any, two_suppliers: Any) -> None:
    mine, _ = two_suppliers
    resp = login_staff(client, mine.email)
    assert resp.status_code == 401


@pytest.mark.parametrize("path", ["/stock", "/"])
def test_a_supplier_session_cannot_open_staff_pages(client: Any, two_suppliers: Any,
                                                    path: str) -> None:
    login_supplier(client, two_suppliers[0].email)
    resp = client.get(path)
    if path == "/":
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/portal/")
    else:
        assert resp.status_code == 403


def test_a_supplier_session_cannot_open_any_staff_route(app: Any, client: Any, two_suppliers: Any) -> None:
    login_supplier(client, two_suppliers[0].email)
    staff_rules = [r for r in app.url_map.iter_rules()
                   if "GET" in r.methods and not r.arguments and r.endpoint.split(".")[0] not in
                   {"portal", "static", "auth", "ops"} and r.endpoint != "web.index" and not r.rule.startswith("/api/")]
    assert staff_rules, "no staff page found to check"
    for rule in staff_rules:
        assert client.get(rule.rule).status_code == 403, rule.rule


def test_a_staff_session_does_not_open_the_portal(client: Any, session: Session) -> None:
    staff = make_staff_user(session, "admin")
    login_staff(client, staff.email)
    assert client.get("/stock").status_code == 200
    for path in ("/portal/", "/portal/orders", "/portal/shipments"):
        assert client.get(path).status_code == 403, path


def test_portal_login_refuses_staff_credentials(client: Any, session: Session) -> None:
    staff = make_staff_user(session, "admin")
    assert login_supplier(client, staff.email).status_code == 401


def test_portal_login_without_csrf_is_refused(client: Any, two_suppliers: Any) -> None:
    resp = client.post("/portal/login", data={"email": two_suppliers[0].email, "password": PASSWORD})
    assert resp.status_code == 400


def test_portal_login_is_throttled_per_account(client: Any, two_suppliers: Any) -> None:
    email = two_suppliers[0].email
    for _ in range(5):
        assert login_supplier(client, email, "wrong password!").status_code == 401
    resp = login_supplier(client, email)  # right password, but the account is throttled
    assert resp.status_code == 429 and "Too many failed logins" in resp.text


def test_portal_login_is_throttled_per_address(client: Any, two_suppliers: Any) -> None:
    for i in range(20):  # 20 different unknown accounts from one address
        assert login_supplier(client, f"nobody{i}@example.test", "wrong password!").status_code == 401
    assert login_supplier(client, two_suppliers[1].email).status_code == 429


def test_staff_failures_do_not_throttle_the_portal(client: Any, two_suppliers: Any) -> None:
    email = two_suppliers[0].email
    for _ in range(5):
        page = client.get("/login")
        client.post("/login", data={"email": email, "password": "wrong password!", "csrf_token": csrf_token(page.text)})
    assert login_supplier(client, email).status_code == 302


def _id_routes(theirs: SupplierSide, mine: SupplierSide) -> list[tuple[str, str]]:
    po, line = theirs.sent_po, theirs.sent_po.lines[0]
    return [
        ("GET", f"/portal/orders/{po.id}"),
        ("GET", f"/portal/orders/{theirs.confirmed_po.id}"),
        ("POST", f"/portal/orders/{po.id}/confirm-all"),
        ("POST", f"/portal/orders/{po.id}/confirm"),
        ("GET", f"/portal/orders/{po.id}/lines/{line.id}/reject"),
        ("POST", f"/portal/orders/{po.id}/lines/{line.id}/reject"),
        # my PO with their line: the line must belong to the PO in the URL
        ("GET", f"/portal/orders/{mine.sent_po.id}/lines/{line.id}/reject"),
        ("POST", f"/portal/orders/{mine.sent_po.id}/lines/{line.id}/reject"),
        ("GET", f"/portal/orders/{theirs.confirmed_po.id}/shipments/new"),
        ("POST", f"/portal/orders/{theirs.confirmed_po.id}/shipments/new"),
        ("GET", f"/portal/shipments/{theirs.notice.id}"),
    ]


def test_every_id_route_is_404_for_another_suppliers_objects(app: Any, client: Any, session: Session,
                                                             two_suppliers: tuple[SupplierSide, SupplierSide]) -> None:
    mine, theirs = two_suppliers
    login_supplier(client, mine.email)
    token = csrf_token(client.get("/portal/").text)
    routes = _id_routes(theirs, mine)
    # Every portal rule that takes an id is covered here (new routes must be added).
    id_rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("portal.") and r.arguments
                and r.endpoint != "portal.accept_invite"}  # a secret token, not an object id (tested apart)
    covered = {path for _, path in routes}
    for rule in id_rules:
        pattern = rule.replace("<int:po_id>", "{po}").replace("<int:line_id>", "{line}").replace(
            "<int:notice_id>", "{notice}")
        assert any(_matches(pattern, p) for p in covered), f"{rule} has no isolation check"
    for method, path in routes:
        data = {"csrf_token": token, "reason": "no", "ship_date": "2026-03-10", "expected_date": "2026-03-12",
                "lines-0-line_id": str(theirs.sent_po.lines[0].id), "lines-0-include": "y",
                "lines-0-quantity": "1"}
        resp = client.get(path) if method == "GET" else client.post(path, data=data)
        assert resp.status_code == 404, (method, path, resp.status_code)
        assert theirs.supplier.name not in resp.text
    session.expire_all()
    assert theirs.sent_po.status == "sent" and all(ln.status == "open" for ln in theirs.sent_po.lines)
    assert len(theirs.confirmed_po.lines) == 1


def _matches(pattern: str, path: str) -> bool:
    import re

    regex = "^" + re.escape(pattern).replace(r"\{po\}", r"\d+").replace(r"\{line\}", r"\d+").replace(
        r"\{notice\}", r"\d+") + "$"
    return re.match(regex, path) is not None
