"""Supplier list and detail, the price form (validation, preferred flag), CSV, roles."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.suppliers.models import SupplierPrice
from tests.factories import make_po, make_price, make_product, make_supplier, make_warehouse
from tests.web.clients import count_statements, csrf_token, login_as


def test_supplier_list_filters_and_exports(client: Any, session: Session) -> None:
    make_supplier(session, code="NB1", name="Ningbo Textiles")
    make_supplier(session, code="GZ2", name="Guangzhou Plastics", is_active=False)
    login_as(client, session, "viewer")
    page = client.get("/suppliers?q=ningbo").text
    assert "Ningbo Textiles" in page and "Guangzhou" not in page
    inactive = client.get("/suppliers?active=no").text
    assert "Guangzhou Plastics" in inactive and "Ningbo" not in inactive
    rows = list(csv.reader(io.StringIO(client.get("/suppliers.csv?active=yes").data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Code", "Name"] and [r[0] for r in rows[1:]] == ["NB1"]


def test_supplier_detail_shows_prices_open_orders_and_the_scorecard_slot(client: Any, session: Session) -> None:
    make_warehouse(session, kind="cloud")
    supplier = make_supplier(session, code="NB1", name="Ningbo Textiles")
    p = make_product(session, sku="HL-TOWEL")
    make_price(session, supplier, p, unit_price=Decimal("3.25"))
    po = make_po(session, supplier, [(p, 10)])
    login_as(client, session, "viewer")
    html = client.get("/suppliers/NB1").text
    assert "HL-TOWEL" in html and "3.25" in html and po.number in html
    assert 'data-slot="scorecard"' in html and "Open the scorecard" in html  # slot filled by suppliers/_scorecard.html
    assert "Add a price" not in html  # a viewer cannot edit prices
    assert client.get("/suppliers/NOPE").status_code == 404


def test_purchasing_adds_a_preferred_price_which_unprefers_the_rival(client: Any, session: Session) -> None:
    supplier, rival = make_supplier(session, code="NB1"), make_supplier(session, code="RV9")
    p = make_product(session, sku="HL-TOWEL")
    rival_price = make_price(session, rival, p, is_preferred=True)
    login_as(client, session, "purchasing")
    form = client.get("/suppliers/NB1/prices/new?sku=HL-TOWEL")
    assert form.status_code == 200 and 'value="HL-TOWEL"' in form.text
    resp = client.post("/suppliers/NB1/prices/new", data={
        "csrf_token": csrf_token(form.text), "sku": "HL-TOWEL", "unit_price": "2.95", "moq": "24", "pack_size": "12",
        "lead_time_days": "10", "valid_from": "2026-01-01", "valid_to": "", "is_preferred": "y"})
    assert resp.status_code == 302
    assert "preferred supplier" in client.get(resp.headers["Location"]).text
    new = session.scalar(select(SupplierPrice).where(SupplierPrice.supplier_id == supplier.id))
    assert new is not None and new.unit_price == Decimal("2.9500") and new.moq == 24 and new.is_preferred
    session.refresh(rival_price)
    assert rival_price.is_preferred is False


@pytest.mark.parametrize(("changes", "field"), [
    ({"valid_to": "2025-01-01"}, "valid_to"), ({"moq": "0"}, "moq"), ({"pack_size": "-3"}, "pack_size"),
    ({"unit_price": "-1"}, "unit_price"), ({"sku": "NOPE"}, "sku"),
])
def test_price_form_errors_name_the_field(client: Any, session: Session, changes: dict, field: str) -> None:
    make_supplier(session, code="NB1")
    make_product(session, sku="HL-TOWEL")
    login_as(client, session, "purchasing")
    token = csrf_token(client.get("/suppliers/NB1/prices/new").text)
    data = {"csrf_token": token, "sku": "HL-TOWEL", "unit_price": "2", "moq": "1", "pack_size": "1",
            "lead_time_days": "5", "valid_from": "2026-01-01", "valid_to": "", **changes}
    resp = client.post("/suppliers/NB1/prices/new", data=data)
    assert resp.status_code == 422 and f'data-field="{field}"' in resp.text


def test_editing_a_price_keeps_it_and_changes_its_terms(client: Any, session: Session) -> None:
    supplier = make_supplier(session, code="NB1")
    price = make_price(session, supplier, make_product(session, sku="HL-TOWEL"), unit_price=Decimal("3"))
    login_as(client, session, "admin")
    form = client.get(f"/suppliers/NB1/prices/{price.id}/edit")
    assert 'value="HL-TOWEL"' in form.text
    resp = client.post(f"/suppliers/NB1/prices/{price.id}/edit", data={
        "csrf_token": csrf_token(form.text), "sku": "HL-TOWEL", "unit_price": "3.40", "moq": "5", "pack_size": "1",
        "lead_time_days": "4", "valid_from": "2026-01-01", "valid_to": "2026-12-31"})
    assert resp.status_code == 302
    session.refresh(price)
    assert price.unit_price == Decimal("3.4000") and price.valid_to == dt.date(2026, 12, 31) and not price.is_preferred


@pytest.mark.parametrize("role", ["viewer", "warehouse"])
def test_only_purchasing_and_admin_edit_prices(client: Any, session: Session, role: str) -> None:
    supplier = make_supplier(session, code="NB1")
    price = make_price(session, supplier, make_product(session))
    login_as(client, session, role)
    token = csrf_token(client.get("/suppliers").text)
    assert client.get("/suppliers/NB1/prices/new").status_code == 403
    assert client.post("/suppliers/NB1/prices/new", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/suppliers/NB1/prices/{price.id}/edit", data={"csrf_token": token}).status_code == 403


def test_supplier_list_query_count_does_not_grow_with_rows(client: Any, session: Session, engine: Any) -> None:
    login_as(client, session, "viewer")
    for _ in range(5):
        make_supplier(session)
    with count_statements(engine) as few:
        client.get("/suppliers")
    for _ in range(25):
        make_supplier(session)
    with count_statements(engine) as many:
        client.get("/suppliers")
    assert len(few) == len(many)
