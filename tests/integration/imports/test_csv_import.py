"""CSV imports: all rows or nothing, errors naming row and column, idempotent stock imports."""
from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.db import utcnow
from app.errors import ValidationFailed
from app.imports import service
from app.imports.parse import Columns, parse_csv
from app.stock.models import StockBalance, StockMovement
from app.suppliers.models import SupplierPrice
from tests.factories import TEST_ACTOR, make_product, make_supplier, make_warehouse


def test_parse_refuses_non_utf8_and_names_missing_and_unknown_columns() -> None:
    cols = Columns(("sku", "name"), ("unit",))
    assert "not UTF-8" in parse_csv("sku,name\nA,毛巾\n".encode("gb18030"), cols).errors[0].message
    errors = parse_csv(b"sku,colour\nA,red\n", cols).errors
    assert [(e.row, e.column, e.message) for e in errors] == [(1, "name", "required column is missing"),
                                                               (1, "colour", "unknown column")]
    ok = parse_csv("\ufeffSKU,Name\n A , Towel \n\n".encode(), cols)
    assert ok.errors == [] and ok.rows == [{"_row": "2", "sku": "A", "name": "Towel"}]


def test_products_import_writes_nothing_when_one_row_is_bad(session: Session) -> None:
    data = b"sku,name,unit_cost,pack_size\nHL-1,Towel,3.50,1\nHL-2,Soap,abc,1\nHL-3,Cup,1,0\n"
    checked = service.preview_import(session, kind="products", data=data, now=utcnow())
    assert [(e.row, e.column) for e in checked.errors] == [(3, "unit_cost"), (4, "pack_size")]
    with pytest.raises(ValidationFailed) as err:
        service.run_import(session, TEST_ACTOR, kind="products", data=data, now=utcnow())
    assert err.value.data["errors"][0]["field"] == "row 3, unit_cost"
    assert session.scalar(select(func.count()).select_from(Product).where(Product.sku.like("HL-%"))) == 0


def test_products_import_creates_and_updates_with_categories(session: Session) -> None:
    make_product(session, sku="HL-1", name="Old name")
    data = "sku,name,category,unit_cost\nHL-1,浴巾,bath,3.50\nHL-2,Soap,bath,1\n".encode()
    result = service.run_import(session, TEST_ACTOR, kind="products", data=data, now=utcnow())
    assert result.written == 2
    towel = session.scalars(select(Product).where(Product.sku == "HL-1")).one()
    assert towel.name == "浴巾" and towel.category is not None and towel.category.code == "bath"


def test_supplier_prices_need_known_supplier_and_sku(session: Session) -> None:
    make_supplier(session, code="ACME")
    make_product(session, sku="HL-1")
    data = b"supplier,sku,unit_price,moq,valid_from\nACME,HL-1,2.5,10,2026-01-01\nNOPE,HL-9,1,1,2026-01-01\n"
    checked = service.preview_import(session, kind="supplier_prices", data=data, now=utcnow())
    assert [(e.row, e.column) for e in checked.errors] == [(3, "supplier"), (3, "sku")]
    service.run_import(session, TEST_ACTOR, kind="supplier_prices", data=data.split(b"NOPE")[0], now=utcnow())
    assert session.scalars(select(SupplierPrice)).one().moq == 10


def test_opening_stock_and_sales_history_go_through_the_ledger_and_reimport_is_idempotent(session: Session) -> None:
    make_warehouse(session, code="CLOUD")
    make_product(session, sku="HL-1")
    opening = b"warehouse,sku,quantity,date\nCLOUD,HL-1,100,2025-01-01\n"
    sales = b"date,warehouse,sku,quantity\n2025-02-01,CLOUD,HL-1,30\n2025-02-02,CLOUD,HL-1,20\n"
    service.run_import(session, TEST_ACTOR, kind="opening_stock", data=opening, now=utcnow())
    service.run_import(session, TEST_ACTOR, kind="sales", data=sales, now=utcnow())
    again = service.run_import(session, TEST_ACTOR, kind="sales", data=sales, now=utcnow())
    service.run_import(session, TEST_ACTOR, kind="opening_stock", data=opening, now=utcnow())
    assert (again.written, again.skipped) == (0, 2)
    assert session.scalars(select(StockBalance.on_hand)).one() == 50
    sales_movements = select(func.count()).select_from(StockMovement).where(StockMovement.source == service.SOURCES["sales"])
    assert session.scalar(sales_movements) == 2


def test_sales_that_would_empty_the_shelf_are_refused_naming_the_row(session: Session) -> None:
    make_warehouse(session, code="CLOUD")
    make_product(session, sku="HL-1")
    sales = b"date,warehouse,sku,quantity\n2025-02-01,CLOUD,HL-1,3\n2099-01-01,CLOUD,HL-1,1\n"
    checked = service.preview_import(session, kind="sales", data=sales, now=utcnow())
    assert [(e.row, e.column) for e in checked.errors] == [(2, "quantity"), (3, "date")]


def test_a_stock_import_over_the_balance_limit_is_refused_naming_the_row_and_writes_nothing(session: Session) -> None:
    # An import is one transaction; over 1,000 balances it holds the stock gate exclusively, so
    # every other stock writer waits for its COMMIT: a file over the limit must be split.
    limit = service.MAX_BALANCES_PER_IMPORT
    make_warehouse(session, code="CLOUD")
    session.execute(insert(Product), [{"sku": f"LIM-{i:05d}", "name": f"SKU {i}", "unit": "pcs", "pack_size": 1}
                                      for i in range(limit + 1)])
    session.flush()
    lines = ["warehouse,sku,quantity,date"] + [f"CLOUD,LIM-{i:05d},5,2025-01-01" for i in range(limit + 1)]
    data = ("\n".join(lines) + "\n").encode()
    checked = service.preview_import(session, kind="opening_stock", data=data, now=utcnow())
    assert [(e.row, e.column) for e in checked.errors] == [(limit + 2, "sku")]
    assert "split the file" in checked.errors[0].message
    with pytest.raises(ValidationFailed):
        service.run_import(session, TEST_ACTOR, kind="opening_stock", data=data, now=utcnow())
    assert session.scalar(select(func.count()).select_from(StockMovement)) == 0
    # exactly at the limit the file goes through
    data_ok = ("\n".join(lines[:-1]) + "\n").encode()
    result = service.run_import(session, TEST_ACTOR, kind="opening_stock", data=data_ok, now=utcnow())
    assert result.written == limit
