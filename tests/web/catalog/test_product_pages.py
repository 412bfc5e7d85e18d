"""Product list and detail through the HTTP stack: filters, sort, ledger, demand chart, CSV, query counts."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.stock.service import StockEffect, post_stock_effects
from tests.factories import make_category, make_price, make_product, make_supplier, make_warehouse, receive_stock
from tests.web.clients import chart_options, count_statements, login_as, series_data


def _ship(session: Session, product: Any, warehouse: Any, qty: int, days_ago: int) -> None:
    at = utcnow() - dt.timedelta(days=days_ago)
    post_stock_effects(session, [StockEffect(product.id, warehouse.id, "shipment", -qty, occurred_at=at)],
                       source="tests", now=at)


def test_products_list_searches_filters_and_sorts(client: Any, session: Session) -> None:
    cat = make_category(session, name="Bath")
    towel = make_product(session, sku="HL-TOWEL", name="Bamboo towel", category_id=cat.id)
    mask = make_product(session, sku="HE-MASK", name="Face mask")
    make_product(session, sku="ZZ-NONE", name="Never stocked")
    bj, gz = make_warehouse(session, code="BJ-01"), make_warehouse(session, code="GZ-01")
    receive_stock(session, towel, bj, 5)
    receive_stock(session, mask, gz, 50)
    login_as(client, session, "viewer")

    everything = client.get("/products")
    assert everything.status_code == 200 and all(s in everything.text for s in ("HL-TOWEL", "HE-MASK", "ZZ-NONE"))
    assert "HE-MASK" not in client.get("/products?q=towel").text
    by_cat = client.get(f"/products?category={cat.code}").text
    assert "HL-TOWEL" in by_cat and "HE-MASK" not in by_cat
    by_wh = client.get("/products?warehouse=GZ-01").text
    assert "HE-MASK" in by_wh and "HL-TOWEL" not in by_wh and "ZZ-NONE" not in by_wh
    by_stock = client.get("/products?sort=on_hand").text
    assert by_stock.index("HE-MASK") < by_stock.index("HL-TOWEL") < by_stock.index("ZZ-NONE")
    assert client.get("/products?warehouse=NOPE").status_code == 422


def test_products_csv_has_a_header_and_the_filtered_rows(client: Any, session: Session) -> None:
    wh = make_warehouse(session)
    receive_stock(session, make_product(session, sku="=HACK", name="x"), wh, 3)
    make_product(session, sku="OTHER", name="y")
    login_as(client, session, "viewer")
    resp = client.get("/products.csv?q=hack")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["SKU", "Name", "Category"]
    assert rows[1][0] == "'=HACK" and rows[1][4] == "3" and len(rows) == 2  # formula defused; OTHER filtered out


def test_product_detail_shows_stock_prices_demand_and_filtered_movements(client: Any, session: Session) -> None:
    p = make_product(session, sku="HL-TOWEL", name="Bamboo towel")
    cloud, bj = make_warehouse(session, code="CLOUD-1", kind="cloud"), make_warehouse(session, code="BJ-01")
    receive_stock(session, p, cloud, 100)
    receive_stock(session, p, bj, 20)
    _ship(session, p, bj, 7, days_ago=3)
    _ship(session, p, bj, 2, days_ago=400)  # outside the 12-month demand window
    supplier = make_supplier(session, name="Ningbo Textiles")
    make_price(session, supplier, p, unit_price=Decimal("3.25"), moq=50)
    login_as(client, session, "viewer")

    page = client.get("/products/HL-TOWEL")
    assert page.status_code == 200
    html = page.text
    assert "Ningbo Textiles" in html and "3.25" in html and "preferred" in html
    (chart,) = chart_options(html)
    weekly = [v for v in series_data(chart, "demand") if v]
    assert weekly == [7] and len(chart["xAxis"]["data"]) >= 52  # one week with demand; 400 days ago is outside
    assert "week of " in chart["xAxis"]["data"][0]
    assert ">-7<" in html and ">+100<" in html
    filtered = client.get("/products/HL-TOWEL?kind=shipment&warehouse=BJ-01").text
    assert ">-7<" in filtered and ">+100<" not in filtered
    daily = client.get("/products/HL-TOWEL?demand=day").text
    (day_chart,) = chart_options(daily)
    assert [v for v in series_data(day_chart, "demand") if v] == [7] and len(day_chart["xAxis"]["data"]) > 360
    bad = client.get("/products/HL-TOWEL?date_from=2026-02-01&date_to=2026-01-01")
    assert bad.status_code == 422 and 'data-field="date_to"' in bad.text
    assert client.get("/products/NOPE").status_code == 404

    movements = client.get("/products/HL-TOWEL/movements.csv?warehouse=BJ-01")
    rows = list(csv.reader(io.StringIO(movements.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Occurred at", "Warehouse", "Kind", "Quantity"]
    assert sorted(r[3] for r in rows[1:]) == ["-2", "-7", "20"]


def _statements_for(client: Any, engine: Any, path: str) -> int:
    with count_statements(engine) as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def test_product_list_and_history_query_counts_do_not_grow_with_rows(client: Any, session: Session, engine: Any) -> None:
    wh = make_warehouse(session)
    supplier = make_supplier(session)
    products = [make_product(session, sku=f"Q-{i:03d}") for i in range(30)]
    login_as(client, session, "viewer")

    def arrange(n: int) -> None:
        for p in products[:n]:
            receive_stock(session, p, wh, 1)
            make_price(session, supplier, p)
        for _ in range(n):
            receive_stock(session, products[0], wh, 1)

    arrange(5)
    few_list = _statements_for(client, engine, "/products?q=Q-")
    few_detail = _statements_for(client, engine, f"/products/{products[0].sku}")
    arrange(30)
    assert _statements_for(client, engine, "/products?q=Q-") == few_list
    assert _statements_for(client, engine, f"/products/{products[0].sku}") == few_detail


def test_products_list_pages_through_many_products(client: Any, session: Session) -> None:
    for i in range(55):
        make_product(session, sku=f"PG-{i:03d}")
    login_as(client, session, "viewer")
    first = client.get("/products?q=PG-").text
    assert "Page 1 of 2" in first and "PG-049" in first and "PG-050" not in first
    assert 'href="/products?q=PG-&amp;page=2"' in first
    second = client.get("/products?q=PG-&page=2").text
    assert "PG-054" in second and "Previous" in second
