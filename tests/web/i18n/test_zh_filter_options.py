"""Filter options of code lists (movement kinds, PO and return statuses) read in Chinese."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests.factories import make_product
from tests.web.clients import login_as


def test_movement_kind_and_status_options_are_translated(client: Any, session: Session) -> None:
    make_product(session, sku="HL-TOWEL")
    user = login_as(client, session, "admin")
    user.locale = "zh"
    session.flush()
    product = client.get("/products/HL-TOWEL").text
    assert '<option value="transfer_out">调拨出库</option>' in product
    assert ">transfer out<" not in product and ">customer return<" not in product
    orders = client.get("/purchase-orders").text
    assert '<option value="partially_received">部分收货</option>' in orders


def test_the_unit_pcs_reads_in_chinese(client: Any, session: Session) -> None:
    make_product(session, sku="HL-SOAP", unit="pcs")
    user = login_as(client, session, "admin")
    user.locale = "zh"
    session.flush()
    html = client.get("/products/HL-SOAP").text
    assert "单位 件" in html and "单位 pcs" not in html


def test_generated_po_notes_read_in_chinese(client: Any, session: Session) -> None:
    import datetime as dt

    from tests.factories import make_supplier, make_warehouse
    from tests.factories_purchasing import make_po

    p = make_product(session, sku="HL-NOTE")
    po = make_po(session, make_supplier(session), make_warehouse(session, kind="cloud"),
                 [(p, 5, "1", dt.date(2026, 12, 20))], notes="from replenishment suggestions\n"
                 "Closed short on 2026-12-01: rejected goods will not be replaced")
    user = login_as(client, session, "admin")
    user.locale = "zh"
    session.flush()
    html = client.get(f"/purchase-orders/{po.number}").text
    assert "from replenishment suggestions" not in html and "Closed short on" not in html
    assert "由补货建议生成" in html and "rejected goods will not be replaced" in html  # typed text stays
