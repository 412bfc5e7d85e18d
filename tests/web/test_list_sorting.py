"""Sortable columns on every list (app/web/listing.py): a header sorts ascending, then
descending, with an arrow; the sort, the filters and the page live in the URL and survive
paging; a sort outside the list's whitelist is ignored with a message (a CSV: 400), never a 500."""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.admin.service import AUDIT_SORTS
from app.audit.service import record_audit
from app.counts.service import COUNT_SORTS
from app.planning.queries import RUN_SORTS
from app.purchasing.queries import ORDER_SORTS, RECEIVING_SORTS, RETURN_SORTS
from app.suppliers.portal.queries import NOTICE_SORTS
from app.suppliers.portal.queries import ORDER_SORTS as PORTAL_ORDER_SORTS
from app.suppliers.service import SUPPLIER_SORTS
from app.transfers import service as transfers
from app.transfers.service import TRANSFER_SORT_KEYS, TransferLineInput
from tests.factories import (
    TEST_ACTOR,
    make_price,
    make_product,
    make_supplier,
    make_supplier_user,
    make_warehouse,
    receive_stock,
)
from tests.factories import make_po as make_sent_po
from tests.web.clients import login_as, login_supplier, row_order, sort_state

# Every staff list, its URL and its whitelist (the services' own, so a new column is covered).
STAFF_LISTS = [
    ("/counts/", COUNT_SORTS), ("/transfers/", TRANSFER_SORT_KEYS), ("/purchase-orders", ORDER_SORTS),
    ("/receiving", RECEIVING_SORTS), ("/returns", RETURN_SORTS), ("/suppliers", SUPPLIER_SORTS),
    ("/admin/audit", AUDIT_SORTS), ("/planning/runs", RUN_SORTS),
]
PORTAL_LISTS = [("/portal/orders", PORTAL_ORDER_SORTS), ("/portal/shipments", NOTICE_SORTS)]
CSV_EXPORTS = ["/counts/export.csv", "/transfers/export.csv", "/purchase-orders.csv", "/receiving.csv",
               "/returns.csv", "/suppliers.csv", "/admin/audit/export.csv"]




@pytest.mark.parametrize(("url", "keys"), STAFF_LISTS)
def test_every_staff_list_sorts_by_each_of_its_columns_both_ways(
        client: Any, session: Session, url: str, keys: Any) -> None:
    login_as(client, session, "admin")
    assert 'class="sortable' in client.get(url).text
    for key in keys:
        for direction, aria in (("", "ascending"), ("-", "descending")):
            resp = client.get(f"{url}?sort={direction}{key}")
            assert resp.status_code == 200, (url, key, resp.status_code)
            assert sort_state(resp.text, key) == aria, (url, key)


@pytest.mark.parametrize(("url", "keys"), PORTAL_LISTS)
def test_the_portal_lists_sort_by_each_of_their_columns(client: Any, session: Session, url: str, keys: Any) -> None:
    user = make_supplier_user(session, make_supplier(session))
    assert login_supplier(client, user.email).status_code == 302
    for key in keys:
        resp = client.get(f"{url}?sort=-{key}")
        assert resp.status_code == 200 and sort_state(resp.text, key) == "descending", (url, key)


def test_suppliers_sort_by_name_and_a_second_click_reverses(client: Any, session: Session) -> None:
    for name in ("Mango Ltd", "Apple Co", "Zebra Inc"):
        make_supplier(session, name=name)
    login_as(client, session, "viewer")
    names = ["Apple Co", "Mango Ltd", "Zebra Inc"]
    asc = client.get("/suppliers?sort=name").text
    assert row_order(asc, names) == names
    # the header of the current column now links to the other direction
    link = re.search(r'<a href="([^"]+)">[^<]*Name<span class="sort-arrow"[^>]*>▲', asc)
    assert link and "sort=-name" in link.group(1)
    desc = client.get(link.group(1).replace("&amp;", "&")).text
    assert row_order(desc, names) == names[::-1]
    assert re.search(r'aria-sort="descending"><a [^>]+>[^<]*Name<span class="sort-arrow" aria-hidden="true">▼', desc)


def test_purchase_orders_sort_by_supplier_and_the_csv_follows(client: Any, session: Session) -> None:
    wh = make_warehouse(session)
    product = make_product(session)
    for name in ("Beta Trading", "Alpha Goods", "Gamma Supply"):
        supplier = make_supplier(session, name=name)
        make_price(session, supplier, product)
        make_sent_po(session, supplier, [(product, 5)], warehouse=wh)
    login_as(client, session, "viewer")
    names = ["Alpha Goods", "Beta Trading", "Gamma Supply"]
    assert row_order(client.get("/purchase-orders?sort=supplier").text, names) == names
    assert row_order(client.get("/purchase-orders?sort=-supplier").text, names) == names[::-1]
    csv = client.get("/purchase-orders.csv?sort=-supplier").text
    assert row_order(csv, names) == names[::-1]


def test_transfers_sort_by_destination(client: Any, session: Session) -> None:
    cloud = make_warehouse(session, code="CLOUD-S", kind="cloud")
    product = make_product(session)
    receive_stock(session, product, cloud, 30)
    for code in ("FWD-B", "FWD-A", "FWD-C"):
        dest = make_warehouse(session, code=code)
        transfers.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=dest.id,
                                  lines=[TransferLineInput(product.id, 1)])
    login_as(client, session, "viewer")
    codes = ["FWD-A", "FWD-B", "FWD-C"]
    assert row_order(client.get("/transfers/?sort=to").text, codes) == codes
    assert row_order(client.get("/transfers/?sort=-to").text, codes) == codes[::-1]


def test_audit_log_sorts_by_action(client: Any, session: Session) -> None:
    for action in ("zz.sorted", "aa.sorted", "mm.sorted"):
        record_audit(session, TEST_ACTOR, action, "thing", 1)
    login_as(client, session, "admin")
    actions = ["aa.sorted", "mm.sorted", "zz.sorted"]
    assert row_order(client.get("/admin/audit?entity=thing&sort=action").text, actions) == actions
    assert row_order(client.get("/admin/audit?entity=thing&sort=-action").text, actions) == actions[::-1]


@pytest.mark.parametrize(("url", "_keys"), STAFF_LISTS)
def test_an_unknown_sort_is_ignored_with_a_message(client: Any, session: Session, url: str, _keys: Any) -> None:
    login_as(client, session, "admin")
    resp = client.get(f"{url}?sort=password_hash")
    assert resp.status_code == 200
    assert "cannot be sorted by “password_hash”" in resp.text
    assert 'aria-sort="ascending"' not in resp.text and 'aria-sort="descending"' not in resp.text


@pytest.mark.parametrize("url", CSV_EXPORTS)
def test_a_csv_export_with_an_unknown_sort_is_a_400(client: Any, session: Session, url: str) -> None:
    login_as(client, session, "admin")
    assert client.get(f"{url}?sort=-nope").status_code == 400
    assert client.get(url).status_code == 200


def test_the_portal_ignores_an_unknown_sort_with_a_message(client: Any, session: Session) -> None:
    user = make_supplier_user(session, make_supplier(session))
    login_supplier(client, user.email)
    resp = client.get("/portal/orders?sort=;drop")
    assert resp.status_code == 200 and "cannot be sorted by" in resp.text


def test_filters_and_sort_survive_paging(client: Any, session: Session) -> None:
    """Page 2 of a filtered, sorted list: the pager's links keep both; the headers keep the
    filters and go back to page 1; page 2 continues page 1's order."""
    for i in range(55):
        make_supplier(session, name=f"Paged {i:02d}")
    make_supplier(session, name="Other supplier")
    login_as(client, session, "viewer")
    first = client.get("/suppliers?q=Paged&sort=-name").text
    assert "Other supplier" not in first
    nxt = re.search(r'<a href="([^"]+)">[^<]*Next', first)
    assert nxt, "no pager"
    href = nxt.group(1).replace("&amp;", "&")
    assert "q=Paged" in href and "sort=-name" in href and "page=2" in href
    second = client.get(href).text
    on_first = re.findall(r"Paged (\d\d)", first)
    on_second = re.findall(r"Paged (\d\d)", second)
    assert on_first[0] == "54" and len(on_second) == 5 and on_second == ["04", "03", "02", "01", "00"]
    assert min(on_first) > max(on_second)
    header = re.search(r'<a href="([^"]+)">[^<]*Code<span', second)
    assert header
    header_href = header.group(1).replace("&amp;", "&")
    assert "q=Paged" in header_href and "sort=code" in header_href and "page=" not in header_href


def test_products_headers_use_the_product_sort(client: Any, session: Session) -> None:
    """The product list already had a sort field; its headers drive it (quantities: most first)."""
    for sku in ("SRT-B", "SRT-A", "SRT-C"):
        make_product(session, sku=sku)
    login_as(client, session, "viewer")
    skus = ["SRT-A", "SRT-B", "SRT-C"]
    asc = client.get("/products?q=SRT").text
    assert row_order(asc, skus) == skus and sort_state(asc, "sku") == "ascending"
    desc = client.get("/products?q=SRT&sort=-sku").text
    assert row_order(desc, skus) == skus[::-1] and sort_state(desc, "sku") == "descending"
    assert sort_state(client.get("/products?sort=on_hand").text, "on_hand") == "descending"
    assert client.get("/products?sort=bogus").status_code == 422  # the form's choices, as before
