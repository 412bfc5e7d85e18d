"""A supplier confirms, changes and rejects PO lines and announces shipments in the portal."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.purchasing.models import ShipmentNotice
from tests.factories import make_product, make_supplier, make_supplier_user, make_warehouse
from tests.factories_purchasing import make_po
from tests.web.clients import csrf_token, login_supplier
from tests.web.portal.conftest import SupplierSide


def test_home_lists_what_awaits_the_supplier(client: Any, two_suppliers: tuple[SupplierSide, SupplierSide]) -> None:
    mine, theirs = two_suppliers
    login_supplier(client, mine.email)
    home = client.get("/portal/")
    assert home.status_code == 200
    assert "Awaiting your confirmation" in home.text and mine.sent_po.number in home.text
    assert mine.confirmed_po.number in home.text  # 40 of 60 still to ship
    assert theirs.sent_po.number not in home.text


def test_supplier_confirms_with_one_changed_line(client: Any, session: Session, two_suppliers: Any) -> None:
    mine = two_suppliers[0]
    po = mine.sent_po
    login_supplier(client, mine.email)
    page = client.get(f"/portal/orders/{po.id}")
    assert page.status_code == 200 and "Confirm ticked lines" in page.text
    resp = client.post(f"/portal/orders/{po.id}/confirm", data={
        "csrf_token": csrf_token(page.text),
        "lines-0-line_id": po.lines[0].id, "lines-0-include": "y", "lines-0-quantity": "100",
        "lines-0-ship_date": "2026-03-20",
        "lines-1-line_id": po.lines[1].id, "lines-1-include": "y", "lines-1-quantity": "35",
        "lines-1-ship_date": "2026-03-25",
    })
    assert resp.status_code == 302
    session.expire_all()
    assert po.status == "confirmed"
    assert [(ln.status, ln.confirmed_quantity) for ln in po.lines] == [("confirmed", 100), ("changed", 35)]
    assert po.lines[1].confirmed_date == dt.date(2026, 3, 25)
    assert session.scalar(select(Alert.message).where(Alert.kind == "supplier_update").order_by(Alert.id.desc()))
    assert "2 line(s) of" in client.get(resp.headers["Location"]).text


def test_confirming_with_a_bad_quantity_names_the_line_and_field(client: Any, two_suppliers: Any) -> None:
    mine = two_suppliers[0]
    po = mine.sent_po
    login_supplier(client, mine.email)
    page = client.get(f"/portal/orders/{po.id}")
    resp = client.post(f"/portal/orders/{po.id}/confirm", data={
        "csrf_token": csrf_token(page.text), "lines-0-line_id": po.lines[0].id, "lines-0-include": "y",
        "lines-0-quantity": "0", "lines-0-ship_date": "2026-03-20"})
    assert resp.status_code == 422
    assert 'data-field="lines-0-quantity"' in resp.text and "Line 1 · Confirmed quantity" in resp.text


def test_confirm_all_and_confirm_without_csrf(client: Any, session: Session, two_suppliers: Any) -> None:
    mine = two_suppliers[0]
    login_supplier(client, mine.email)
    assert client.post(f"/portal/orders/{mine.sent_po.id}/confirm-all").status_code == 400
    page = client.get(f"/portal/orders/{mine.sent_po.id}")
    resp = client.post(f"/portal/orders/{mine.sent_po.id}/confirm-all", data={"csrf_token": csrf_token(page.text)})
    assert resp.status_code == 302
    session.expire_all()
    assert mine.sent_po.status == "confirmed"


def test_supplier_rejects_a_line_with_a_reason(client: Any, session: Session, two_suppliers: Any) -> None:
    mine = two_suppliers[0]
    line = mine.sent_po.lines[1]
    login_supplier(client, mine.email)
    url = f"/portal/orders/{mine.sent_po.id}/lines/{line.id}/reject"
    form = client.get(url)
    assert form.status_code == 200
    empty = client.post(url, data={"csrf_token": csrf_token(form.text), "reason": ""})
    assert empty.status_code == 422 and 'data-field="reason"' in empty.text
    assert client.post(url, data={"csrf_token": csrf_token(form.text), "reason": "discontinued"}).status_code == 302
    session.expire_all()
    assert line.status == "rejected" and line.reject_reason == "discontinued"


def test_supplier_announces_a_shipment_and_too_much_is_refused_naming_the_line(
        client: Any, session: Session, two_suppliers: Any) -> None:
    mine = two_suppliers[0]
    po, line = mine.confirmed_po, mine.confirmed_po.lines[0]  # 60 confirmed, 20 already announced
    login_supplier(client, mine.email)
    url = f"/portal/orders/{po.id}/shipments/new"
    form = client.get(url)
    assert form.status_code == 200 and 'value="40"' in form.text
    data = {"csrf_token": csrf_token(form.text), "ship_date": "2026-03-11", "expected_date": "2026-03-13",
            "carrier": "SF Express", "tracking_number": "SF0002", "lines-0-line_id": line.id, "lines-0-quantity": "41"}
    too_much = client.post(url, data=data, headers={"Referer": url}, follow_redirects=True)
    assert f"line 1 ({line.product.sku}): 41 announced but only 40 open" in too_much.text
    data["lines-0-quantity"] = "40"
    ok = client.post(url, data=data)
    assert ok.status_code == 302
    notice = session.scalars(select(ShipmentNotice).where(ShipmentNotice.tracking_number == "SF0002")).one()
    detail = client.get(ok.headers["Location"])
    assert notice.number in detail.text and "SF0002" in detail.text
    assert notice.number in client.get("/portal/shipments").text


def _count_queries(app: Any, fn: Any) -> int:
    engine = app.extensions["stockwise_db"].engine
    seen: list[str] = []

    def _on(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _on)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", _on)
    return len(seen)


def test_portal_lists_do_not_grow_queries_with_rows(app: Any, client: Any, session: Session) -> None:
    warehouse = make_warehouse(session)
    counts = {}
    for n in (5, 30):
        supplier = make_supplier(session)
        user = make_supplier_user(session, supplier)
        product = make_product(session)
        for _ in range(n):
            po = make_po(session, supplier, warehouse, [(product, 10, "1", dt.date(2026, 4, 1))] * 2)
            po.lines[0].status = po.lines[1].status = "confirmed"
            po.lines[0].confirmed_quantity = po.lines[1].confirmed_quantity = 10
            po.status = "confirmed"
        session.flush()
        client.post("/portal/logout", data={"csrf_token": csrf_token(client.get("/portal/login", follow_redirects=True).text)})
        login_supplier(client, user.email)
        counts[n] = [_count_queries(app, lambda p=p: client.get(p)) for p in ("/portal/orders", "/portal/", "/portal/shipments")]
    assert counts[5] == counts[30]
