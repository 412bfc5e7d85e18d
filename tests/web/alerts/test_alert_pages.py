"""Alerts computed from the ledger, POs and settings; each links to its resolving action."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.alerts import service
from app.alerts.models import Alert
from app.db import utcnow
from app.purchasing.models import PurchaseOrder, PurchaseOrderLine
from app.stock.service import StockEffect, post_stock_effects
from tests.factories import make_product, make_supplier, make_warehouse, receive_stock
from tests.web.clients import count_statements, login_as, post_form

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def sell(session: Session, product: Any, warehouse: Any, quantity: int, days_ago: int) -> None:
    at = utcnow() - dt.timedelta(days=days_ago)
    post_stock_effects(session, [StockEffect(product.id, warehouse.id, "shipment", -quantity, occurred_at=at)],
                       source="tests", now=at)


def test_board_finds_low_stock_stock_outs_overstock_slow_movers_and_late_pos(session: Session) -> None:
    cloud = make_warehouse(session, kind="cloud", code="CLOUD")
    fwd = make_warehouse(session, code="FWD", replenished_from_id=cloud.id)
    low, out, over = (make_product(session, created_at=LONG_AGO) for _ in range(3))
    slow = make_product(session, created_at=LONG_AGO)
    receive_stock(session, low, fwd, 31)
    sell(session, low, fwd, 28, 3)               # 1/day, 3 left < 7 days of cover
    receive_stock(session, out, fwd, 5)
    sell(session, out, fwd, 5, 2)                # nothing left, recent demand
    receive_stock(session, over, cloud, 1000)
    sell(session, over, cloud, 28, 5)            # 972 on hand / 1 a day > 120 days
    receive_stock(session, slow, cloud, 50)      # no sales for months
    supplier = make_supplier(session)
    po = PurchaseOrder(number="PO-2026-000001", supplier_id=supplier.id, warehouse_id=cloud.id, status="sent",
                       lines=[PurchaseOrderLine(line_no=1, product_id=over.id, quantity=10, unit_price=Decimal(1),
                                                promised_date=utcnow().date() - dt.timedelta(days=4))])
    session.add(po)
    session.flush()
    board = service.alert_board(session, today=utcnow().date())
    assert [(a.sku, a.warehouse_code, a.replenish_from) for a in board.low_stock] == \
        sorted([(low.sku, "FWD", "CLOUD"), (out.sku, "FWD", "CLOUD")])
    assert [a.sku for a in board.stock_out] == [out.sku]
    assert [a.sku for a in board.overstock] == [over.sku]
    assert [s.sku for s in board.slow_mover if s.sku == slow.sku] == [slow.sku]
    assert [(p.number, p.days_late, p.open_units) for p in board.late_po] == [("PO-2026-000001", 4, 10)]
    on_order = {a.sku: a.on_order for a in board.overstock}
    assert on_order[over.sku] == 10


def test_low_stock_row_links_to_a_prefilled_transfer_for_warehouse_staff(client: Any, session: Session) -> None:
    cloud = make_warehouse(session, kind="cloud", code="CLOUD")
    fwd = make_warehouse(session, code="FWD", replenished_from_id=cloud.id)
    p = make_product(session, sku="HL-CUP-1")
    receive_stock(session, p, fwd, 30)
    sell(session, p, fwd, 28, 1)
    login_as(client, session, "warehouse")
    page = client.get("/alerts/?kind=low_stock")
    assert "HL-CUP-1" in page.text
    assert "/transfers/new?dest=FWD&amp;sku=HL-CUP-1&amp;qty=12&amp;source=CLOUD" in page.text


def test_stored_alert_is_resolved_by_warehouse_staff_not_by_viewers(app: Any, client: Any, session: Session) -> None:
    wh = make_warehouse(session, code="FWD-X")
    alert = Alert(kind="count_below_reserved", warehouse_id=wh.id, message="on hand 2 is below reserved 5")
    session.add(alert)
    session.flush()
    login_as(client, session, "viewer")
    page = client.get("/alerts/?kind=stored")
    assert "on hand 2 is below reserved 5" in page.text and "Resolve" not in page.text
    assert post_form(client, "/alerts/", f"/alerts/{alert.id}/resolve", {}).status_code == 403
    staff = app.test_client()
    login_as(staff, session, "warehouse")
    assert "/counts/new?warehouse=FWD-X" in staff.get("/alerts/?kind=stored").text
    assert post_form(staff, "/alerts/", f"/alerts/{alert.id}/resolve", {}).status_code == 302
    session.refresh(alert)
    assert alert.resolved_at is not None


def test_alert_page_query_count_does_not_grow_with_skus(app: Any, client: Any, session: Session) -> None:
    wh = make_warehouse(session)

    def make(n: int) -> None:
        for _ in range(n):
            p = make_product(session)
            receive_stock(session, p, wh, 2)
            sell(session, p, wh, 2, 1)

    login_as(client, session, "viewer")
    make(5)
    with count_statements(app) as few:
        assert client.get("/alerts/").status_code == 200
    make(25)
    with count_statements(app) as many:
        page = client.get("/alerts/")
    assert len(few) == len(many)
    assert page.text.count('class="mono"') == 30
    export = client.get("/alerts/export.csv?kind=low_stock")
    assert len(export.text.strip().splitlines()) == 31
