"""Purchase orders, receiving and returns through the HTTP stack: forms, actions, CSV, roles, query counts."""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.purchasing.models import PurchaseOrder, ShipmentNotice, ShipmentNoticeLine, SupplierReturn
from app.stock.models import StockBalance
from tests.factories import make_po, make_price, make_product, make_supplier, make_warehouse
from tests.web.clients import count_statements, csrf_token, login_as


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    cloud = make_warehouse(session, code="CLOUD-1", kind="cloud")
    supplier = make_supplier(session, code="NB1", name="Ningbo Textiles")
    towel, mask = make_product(session, sku="HL-TOWEL"), make_product(session, sku="HE-MASK")
    make_price(session, supplier, towel, unit_price=Decimal("3.20"), moq=10, pack_size=5, lead_time_days=14)
    make_price(session, supplier, mask, unit_price=Decimal("0.80"))
    return {"cloud": cloud, "supplier": supplier, "towel": towel, "mask": mask}


def _lines(*rows: tuple[str, str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for i in range(5):
        sku, qty = rows[i] if i < len(rows) else ("", "")
        data |= {f"lines-{i}-sku": sku, f"lines-{i}-quantity": qty, f"lines-{i}-unit_price": "",
                 f"lines-{i}-promised_date": ""}
    return data


def test_purchasing_creates_a_draft_with_two_lines_then_sends_it(client: Any, session: Session, world: dict) -> None:
    login_as(client, session, "purchasing")
    form = client.get("/purchase-orders/new?supplier=NB1")
    assert form.status_code == 200 and '<datalist id="skus">' in form.text
    assert f'<option selected value="{world["cloud"].id}">' in form.text  # the cloud warehouse is the default
    resp = client.post("/purchase-orders/new", data={
        "csrf_token": csrf_token(form.text), "supplier": "NB1", "warehouse": str(world["cloud"].id), "notes": "",
        **_lines(("HL-TOWEL", "20"), ("HE-MASK", "7"))})
    assert resp.status_code == 302
    po = session.scalar(select(PurchaseOrder).where(PurchaseOrder.supplier_id == world["supplier"].id))
    assert po is not None and po.status == "draft" and len(po.lines) == 2
    detail = client.get(resp.headers["Location"]).text
    assert po.number in detail and "Send to supplier" in detail and "data-confirm" in detail
    sent = client.post(f"/purchase-orders/{po.number}/send", data={"csrf_token": csrf_token(detail)})
    assert sent.status_code == 302
    session.refresh(po)
    assert po.status == "sent" and po.sent_at is not None
    page = client.get(f"/purchase-orders/{po.number}").text
    assert "sent to the supplier" in page and "Edit lines" not in page
    assert client.get(f"/purchase-orders/{po.number}/edit").status_code == 302  # locked


def test_line_errors_are_shown_on_the_line_and_field(client: Any, session: Session, world: dict) -> None:
    login_as(client, session, "purchasing")
    token = csrf_token(client.get("/purchase-orders/new").text)
    resp = client.post("/purchase-orders/new", data={
        "csrf_token": token, "supplier": "NB1", "warehouse": str(world["cloud"].id),
        **_lines(("HL-TOWEL", "12"), ("HE-MASK", "3"))})
    assert resp.status_code == 422
    assert 'data-field="lines-0-quantity"' in resp.text
    assert "Line 1 (HL-TOWEL): quantity 12 is not a multiple of the pack size 5" in resp.text
    assert 'value="HE-MASK"' in resp.text  # what was typed is kept
    more = client.post("/purchase-orders/new", data={"csrf_token": token, "supplier": "NB1", "more_lines": "1",
                                                     "warehouse": str(world["cloud"].id), **_lines()})
    assert more.status_code == 200 and 'name="lines-9-sku"' in more.text


def test_editing_a_draft_and_cancelling_a_sent_order(client: Any, session: Session, world: dict) -> None:
    po = make_po(session, world["supplier"], [(world["towel"], 10)], send=False)
    login_as(client, session, "purchasing")
    form = client.get(f"/purchase-orders/{po.number}/edit")
    assert 'value="HL-TOWEL"' in form.text
    resp = client.post(f"/purchase-orders/{po.number}/edit", data={
        "csrf_token": csrf_token(form.text), "supplier": "NB1", "warehouse": str(world["cloud"].id),
        **_lines(("HL-TOWEL", "50"))})
    assert resp.status_code == 302
    session.refresh(po)
    assert [ln.quantity for ln in po.lines] == [50]
    token = csrf_token(client.get(f"/purchase-orders/{po.number}").text)
    client.post(f"/purchase-orders/{po.number}/send", data={"csrf_token": token})
    client.post(f"/purchase-orders/{po.number}/cancel", data={"csrf_token": token})
    session.refresh(po)
    assert po.status == "cancelled"
    again = client.post(f"/purchase-orders/{po.number}/cancel", data={"csrf_token": token},
                        headers={"Referer": f"/purchase-orders/{po.number}"})
    assert again.status_code == 302 and "can no longer be cancelled" in client.get(again.headers["Location"]).text


def test_warehouse_receives_with_a_partial_rejection(client: Any, session: Session, world: dict) -> None:
    po = make_po(session, world["supplier"], [(world["towel"], 20), (world["mask"], 7)])
    login_as(client, session, "warehouse")
    queue = client.get("/receiving").text
    assert po.number in queue
    form = client.get(f"/receiving/{po.number}")
    assert form.status_code == 200 and 'name="lines-0-received" type="number" value="20"' in form.text
    data = {"csrf_token": csrf_token(form.text), "notice": "", "notes": "",
            "lines-0-line_id": str(po.lines[0].id), "lines-0-received": "20", "lines-0-rejected": "3",
            "lines-0-reason": "damaged",
            "lines-1-line_id": str(po.lines[1].id), "lines-1-received": "7", "lines-1-rejected": "0", "lines-1-reason": ""}
    bad = client.post(f"/receiving/{po.number}", data={**data, "lines-0-reason": ""})
    assert bad.status_code == 422 and 'data-field="lines-0-reason"' in bad.text
    over = client.post(f"/receiving/{po.number}", data={**data, "lines-1-received": "9"})
    assert over.status_code == 422 and "Line 2 (HE-MASK)" in over.text and "tolerance" in over.text
    ok = client.post(f"/receiving/{po.number}", data=data)
    assert ok.status_code == 302
    page = client.get(ok.headers["Location"]).text
    assert "Receipt GR-" in page and "Rejected goods are on return RS-" in page
    on_hand = dict(session.execute(select(StockBalance.product_id, StockBalance.on_hand)).all())
    assert on_hand == {world["towel"].id: 17, world["mask"].id: 7}
    ret = session.scalar(select(SupplierReturn))
    assert ret is not None and ret.status == "open" and ret.lines[0].quantity == 3
    ret_page = client.get(f"/returns/{ret.number}").text
    assert "Mark shipped" in ret_page and "never in stock" in ret_page
    client.post(f"/returns/{ret.number}/ship", data={"csrf_token": csrf_token(ret_page)})
    client.post(f"/returns/{ret.number}/close", data={"csrf_token": csrf_token(ret_page)})
    session.refresh(ret)
    assert ret.status == "closed"
    assert dict(session.execute(select(StockBalance.product_id, StockBalance.on_hand)).all())[world["towel"].id] == 17


WRITE_ROUTES = {
    "purchasing": [("get", "/purchase-orders/new"), ("post", "/purchase-orders/new"), ("get", "/purchase-orders/{po}/edit"),
                   ("post", "/purchase-orders/{po}/edit"), ("post", "/purchase-orders/{po}/send"),
                   ("post", "/purchase-orders/{po}/cancel")],
    "warehouse": [("get", "/receiving/{sent}"), ("post", "/receiving/{sent}"), ("post", "/returns/{ret}/ship"),
                  ("post", "/returns/{ret}/close")],
}


@pytest.mark.parametrize(("role", "owner"), [("viewer", "purchasing"), ("warehouse", "purchasing"),
                                             ("viewer", "warehouse"), ("purchasing", "warehouse")])
def test_write_routes_are_forbidden_to_other_roles(client: Any, session: Session, world: dict, role: str, owner: str) -> None:
    draft = make_po(session, world["supplier"], [(world["towel"], 10)], send=False)
    sent = make_po(session, world["supplier"], [(world["towel"], 10)])
    ret = SupplierReturn(number="RS-X-1", supplier_id=world["supplier"].id, warehouse_id=world["cloud"].id)
    session.add(ret)
    session.flush()
    login_as(client, session, role)
    token = csrf_token(client.get("/purchase-orders").text)
    for method, path in WRITE_ROUTES[owner]:
        url = path.format(po=draft.number, sent=sent.number, ret=ret.number)
        resp = client.get(url) if method == "get" else client.post(url, data={"csrf_token": token})
        assert resp.status_code == 403, (method, url)
    session.refresh(draft)
    assert draft.status == "draft"


def _csv(client: Any, path: str) -> list[list[str]]:
    resp = client.get(path)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))


def test_csv_exports_follow_the_filters(client: Any, session: Session, world: dict) -> None:
    draft = make_po(session, world["supplier"], [(world["towel"], 10)], send=False)
    sent = make_po(session, world["supplier"], [(world["mask"], 4)])
    session.add(SupplierReturn(number="RS-X-2", supplier_id=world["supplier"].id, warehouse_id=world["cloud"].id,
                               status="shipped"))
    session.add(SupplierReturn(number="RS-X-3", supplier_id=world["supplier"].id, warehouse_id=world["cloud"].id))
    session.flush()
    login_as(client, session, "viewer")
    orders = _csv(client, "/purchase-orders.csv?status=draft")
    assert orders[0][0] == "PO" and [r[0] for r in orders[1:]] == [draft.number]
    queue = _csv(client, "/receiving.csv")
    assert queue[0][0] == "PO" and [r[0] for r in queue[1:]] == [sent.number]
    rets = _csv(client, "/returns.csv?status=open")
    assert rets[0][0] == "Return" and [r[0] for r in rets[1:]] == ["RS-X-3"]


def test_list_query_counts_do_not_grow_with_rows(client: Any, session: Session, engine: Any, world: dict) -> None:
    login_as(client, session, "viewer")

    def arrange(n: int) -> None:
        for i in range(n):
            po = make_po(session, world["supplier"], [(world["towel"], 10), (world["mask"], 5)])
            session.add(SupplierReturn(number=f"RS-Q-{n}-{i}", supplier_id=world["supplier"].id,
                                       warehouse_id=world["cloud"].id))
            session.add(ShipmentNotice(number=f"ASN-{n}-{i}", purchase_order_id=po.id, supplier_id=po.supplier_id,
                                       ship_date=po.created_at.date(), expected_date=po.created_at.date(),
                                       lines=[ShipmentNoticeLine(purchase_order_line_id=po.lines[0].id, quantity=10)]))
        session.flush()

    def counts() -> list[int]:
        out = []
        for path in ("/purchase-orders", "/receiving", "/returns"):
            with count_statements(engine) as seen:
                assert client.get(path).status_code == 200
            out.append(len(seen))
        return out

    arrange(5)
    few = counts()
    arrange(25)
    assert counts() == few
