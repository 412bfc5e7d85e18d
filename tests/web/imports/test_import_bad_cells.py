"""Cells that used to give a 500 (NaN money, NUL bytes, numbers past the columns) are per-row
errors naming row and column, at preview and at confirm (issue 9 item 8)."""
from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.db import utcnow
from app.errors import ValidationFailed
from app.imports import service
from app.suppliers.models import SupplierPrice
from tests.factories import TEST_ACTOR, make_product, make_supplier, make_warehouse
from tests.web.clients import csrf_token, login_as


def _upload(client: Any, kind: str, content: bytes) -> Any:
    token = csrf_token(client.get("/import/").text)
    return client.post("/import/", data={"csrf_token": token, "kind": kind,
                                         "file": (io.BytesIO(content), "file.csv")},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("value", ["NaN", "sNaN", "-sNaN", "Infinity", "1E+400", "100000000"])
def test_unit_cost_that_is_not_a_storable_number_is_a_row_error_over_http(
        client: Any, session: Session, value: str) -> None:
    login_as(client, session, "purchasing")
    resp = _upload(client, "products", f"sku,name,unit_cost\nHL-1,Towel,1\nHL-2,Soap,{value}\n".encode())
    assert resp.status_code == 422, resp.text[:500]
    assert "Row 3" in resp.text and "<code>unit_cost</code>" in resp.text
    assert session.scalar(select(func.count()).select_from(Product)) == 0


@pytest.mark.parametrize("value", ["NaN", "sNaN"])
def test_unit_price_nan_is_a_row_error(session: Session, value: str) -> None:
    make_supplier(session, code="ACME")
    make_product(session, sku="HL-1")
    data = f"supplier,sku,unit_price\nACME,HL-1,{value}\n".encode()
    checked = service.preview_import(session, kind="supplier_prices", data=data, now=utcnow())
    assert [(e.row, e.column) for e in checked.errors] == [(2, "unit_price")]
    with pytest.raises(ValidationFailed) as err:
        service.run_import(session, TEST_ACTOR, kind="supplier_prices", data=data, now=utcnow())
    assert err.value.data["errors"][0]["field"] == "row 2, unit_price"
    assert session.scalar(select(func.count()).select_from(SupplierPrice)) == 0


def test_a_nul_byte_in_a_name_is_a_row_error_at_preview_and_confirm(client: Any, session: Session) -> None:
    login_as(client, session, "purchasing")
    data = b"sku,name,unit_cost\nHL-1,Towel,1\nHL-2,So\x00ap,2\n"
    resp = _upload(client, "products", data)
    assert resp.status_code == 422 and "Row 3" in resp.text and "<code>name</code>" in resp.text
    with pytest.raises(ValidationFailed) as err:
        service.run_import(session, TEST_ACTOR, kind="products", data=data, now=utcnow())
    assert err.value.data["errors"][0]["field"] == "row 3, name"
    assert session.scalar(select(func.count()).select_from(Product)) == 0


def test_nul_bytes_in_lookup_columns_are_row_errors_not_database_errors(session: Session) -> None:
    make_warehouse(session, code="WH-1")
    make_product(session, sku="HL-1")
    for kind, data, column in (
        ("opening_stock", b"warehouse,sku,quantity\nWH\x00-1,HL-1,5\n", "warehouse"),
        ("sales", b"date,warehouse,sku,quantity\n2026-01-02,WH-1,HL\x00-1,5\n", "sku"),
        ("supplier_prices", b"supplier,sku,unit_price\nAC\x00ME,HL-1,1\n", "supplier"),
    ):
        checked = service.preview_import(session, kind=kind, data=data, now=utcnow())
        assert (2, column) in [(e.row, e.column) for e in checked.errors], (kind, checked.errors)


@pytest.mark.parametrize("column,value", [("pack_size", "99999999999"), ("pack_size", "9" * 30)])
def test_whole_numbers_past_the_column_are_row_errors(session: Session, column: str, value: str) -> None:
    data = f"sku,name,{column}\nHL-1,Towel,{value}\n".encode()
    checked = service.preview_import(session, kind="products", data=data, now=utcnow())
    assert [(e.row, e.column) for e in checked.errors] == [(2, column)]


def test_opening_stock_quantity_past_the_column_is_a_row_error(session: Session) -> None:
    make_warehouse(session, code="WH-1")
    make_product(session, sku="HL-1")
    data = b"warehouse,sku,quantity\nWH-1,HL-1,5000000000\n"
    checked = service.preview_import(session, kind="opening_stock", data=data, now=utcnow())
    assert [(e.row, e.column) for e in checked.errors] == [(2, "quantity")]
