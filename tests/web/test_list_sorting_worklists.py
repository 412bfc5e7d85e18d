"""Sortable columns on the lists that had none: stock overview, alerts (each tab), the
suggestions worklist, the scorecard ranking, admin users, a supplier's price list and the
portal's stock. Each test proves the rows really change order (real database and HTTP
stack), that sort and filters stay in the URL (filter forms, headers, after a POST's
redirect), and that a sort outside a list's whitelist is ignored with a message."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session

from app.admin.service import API_CLIENT_SORTS, USER_SORTS
from app.alerts.models import Alert
from app.alerts.service import ALERT_SORTS
from app.catalog.service import MOVEMENT_SORTS
from app.db import utcnow
from app.planning.models import ReplenishmentSuggestion
from app.planning.queries import SUGGESTION_SORTS
from app.purchasing.models import PurchaseOrder, PurchaseOrderLine
from app.stock.overview import STOCK_SORTS
from app.suppliers.portal.stock_visibility import STOCK_SORTS as PORTAL_STOCK_SORTS
from app.suppliers.scorecards.service import RANKING_SORTS
from app.suppliers.service import PRICE_SORTS
from tests.factories import (
    make_api_client,
    make_price,
    make_product,
    make_staff_user,
    make_supplier,
    make_supplier_user,
    make_warehouse,
    receive_stock,
)
from tests.planning_data import make_run, make_suggestion
from tests.web.clients import csrf_token, login_as, login_staff, login_supplier, post_form, row_order, sort_state

STAFF_LISTS: list[tuple[str, Any]] = [
    ("/stock", STOCK_SORTS), ("/planning/suggestions", SUGGESTION_SORTS), ("/suppliers/scorecards", RANKING_SORTS),
    ("/admin/users", USER_SORTS), ("/admin/api-clients", API_CLIENT_SORTS),
    *[(f"/alerts/?kind={kind}", keys) for kind, keys in ALERT_SORTS.items()],
]




def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.mark.parametrize(("url", "keys"), STAFF_LISTS)
def test_each_new_list_sorts_by_each_of_its_columns_both_ways(client: Any, session: Session, url: str,
                                                             keys: Any) -> None:
    login_as(client, session, "admin")
    join = "&" if "?" in url else "?"
    for key in keys:
        for direction, aria in (("", "ascending"), ("-", "descending")):
            resp = client.get(f"{url}{join}sort={direction}{key}")
            assert resp.status_code == 200, (url, key, resp.status_code)
            assert sort_state(resp.text, key) == aria, (url, key)
            if 'class="filters' in resp.text:   # the filter form carries the sort along
                assert f'<input type="hidden" name="sort" value="{direction}{key}">' in resp.text, (url, key)


@pytest.mark.parametrize(("url", "_keys"), STAFF_LISTS)
def test_an_unknown_sort_on_a_new_list_is_ignored_with_a_message(client: Any, session: Session, url: str,
                                                                 _keys: Any) -> None:
    login_as(client, session, "admin")
    resp = client.get(f"{url}{'&' if '?' in url else '?'}sort=-password_hash")
    assert resp.status_code == 200
    assert "cannot be sorted by “-password_hash”" in resp.text
    assert 'aria-sort="ascending"' not in resp.text and 'aria-sort="descending"' not in resp.text


def test_stock_overview_sorts_by_on_hand_and_keeps_the_filter(client: Any, session: Session) -> None:
    wh = make_warehouse(session, code="SRT-WH")
    for sku, qty in (("OVR-A", 5), ("OVR-B", 30), ("OVR-C", 10)):
        receive_stock(session, make_product(session, sku=sku), wh, qty)
    receive_stock(session, make_product(session, sku="ELSE-1"), wh, 99)
    login_as(client, session, "viewer")
    skus = ["OVR-A", "OVR-B", "OVR-C"]
    assert row_order(client.get("/stock?q=OVR").text, skus) == skus
    most = client.get("/stock?q=OVR&sort=-on_hand").text
    assert row_order(most, skus) == ["OVR-B", "OVR-C", "OVR-A"] and "ELSE-1" not in most
    assert row_order(client.get("/stock?q=OVR&sort=on_hand").text, skus) == ["OVR-A", "OVR-C", "OVR-B"]
    header = re.search(r'<a href="([^"]+)">Available<span', most)
    assert header and _query(header.group(1).replace("&amp;", "&")) == {"q": ["OVR"], "sort": ["available"]}


def _late_po(session: Session, number: str, supplier_name: str, wh: Any, days_late: int) -> None:
    supplier = make_supplier(session, name=supplier_name)
    product = make_product(session)
    session.add(PurchaseOrder(number=number, supplier_id=supplier.id, warehouse_id=wh.id, status="sent", lines=[
        PurchaseOrderLine(line_no=1, product_id=product.id, quantity=10, unit_price=Decimal(1),
                          promised_date=utcnow().date() - dt.timedelta(days=days_late))]))
    session.flush()


def test_late_purchase_orders_sort_by_supplier_and_the_csv_follows(client: Any, session: Session) -> None:
    wh = make_warehouse(session)
    _late_po(session, "PO-2026-990001", "Beta Trading", wh, 3)
    _late_po(session, "PO-2026-990002", "Alpha Goods", wh, 9)
    _late_po(session, "PO-2026-990003", "Gamma Supply", wh, 5)
    login_as(client, session, "viewer")
    names = ["Alpha Goods", "Beta Trading", "Gamma Supply"]
    usual = client.get("/alerts/?kind=late_po").text    # most days late first
    assert row_order(usual, names) == ["Alpha Goods", "Gamma Supply", "Beta Trading"]
    assert row_order(client.get("/alerts/?kind=late_po&sort=supplier").text, names) == names
    desc = client.get("/alerts/?kind=late_po&sort=-supplier").text
    assert row_order(desc, names) == names[::-1]
    assert "/alerts/export.csv?kind=late_po&amp;sort=-supplier" in desc
    assert row_order(client.get("/alerts/export.csv?kind=late_po&sort=-supplier").text, names) == names[::-1]
    assert row_order(client.get("/alerts/export.csv?kind=late_po&sort=days_late").text, names) == \
        ["Beta Trading", "Gamma Supply", "Alpha Goods"]
    assert client.get("/alerts/export.csv?kind=late_po&sort=nope").status_code == 400


def test_resolving_a_count_alert_returns_to_the_sorted_list(client: Any, session: Session) -> None:
    codes = ["FWD-SB", "FWD-SA", "FWD-SC"]
    alerts = []
    for code in codes:
        alert = Alert(kind="count_below_reserved", warehouse_id=make_warehouse(session, code=code).id,
                      message=f"below reserved at {code}")
        session.add(alert)
        alerts.append(alert)
    session.flush()
    login_as(client, session, "warehouse")
    page = client.get("/alerts/?kind=stored&sort=-warehouse").text
    assert row_order(page, codes) == ["FWD-SC", "FWD-SB", "FWD-SA"]
    action = f"/alerts/{alerts[0].id}/resolve?sort=-warehouse"
    assert f'action="{action}"' in page
    resp = post_form(client, "/alerts/?kind=stored", action, {})
    assert resp.status_code == 302 and _query(resp.headers["Location"]) == {"kind": ["stored"], "sort": ["-warehouse"]}
    after = client.get(resp.headers["Location"]).text
    assert row_order(after, ["FWD-SC", "FWD-SA"]) == ["FWD-SC", "FWD-SA"] and "below reserved at FWD-SB" not in after


def _worklist(session: Session) -> tuple[Any, dict[str, ReplenishmentSuggestion]]:
    """Three open suggestions in one group (one supplier → one warehouse), each with a price."""
    wh, supplier, run = make_warehouse(session, code="SG-WH", kind="cloud"), make_supplier(session), make_run(session)
    rows = {}
    for sku, quantity, days in (("SG-B", 30, 1.0), ("SG-A", 10, 4.0), ("SG-C", 20, 2.0)):
        product = make_product(session, sku=sku)
        make_price(session, supplier, product)
        rows[sku] = make_suggestion(session, run, product, wh, supplier=supplier, quantity=quantity,
                                    days_until_stockout=days)
    return supplier, rows


def _skus_in(html: str) -> list[str]:
    return re.findall(r'<a class="mono" href="/planning/series/\d+/\d+">([^<]+)</a>', html)


def test_suggestions_sort_within_the_group_and_approval_returns_to_the_same_list(
        client: Any, session: Session) -> None:
    supplier, rows = _worklist(session)
    login_staff(client, make_staff_user(session, "purchasing").email)
    assert _skus_in(client.get("/planning/suggestions").text) == ["SG-B", "SG-C", "SG-A"]   # most urgent first
    assert _skus_in(client.get("/planning/suggestions?sort=sku").text) == ["SG-A", "SG-B", "SG-C"]
    assert _skus_in(client.get("/planning/suggestions?sort=-quantity").text) == ["SG-B", "SG-C", "SG-A"]
    query = f"?supplier={supplier.code}&sort=-sku"
    page = client.get(f"/planning/suggestions{query}").text
    assert _skus_in(page) == ["SG-C", "SG-B", "SG-A"]
    assert f'action="/planning/suggestions?supplier={supplier.code}&amp;sort=-sku"' in page
    data: dict[str, Any] = {"csrf_token": csrf_token(page), "approve": "1", "reason": ""}
    for index, sid in re.findall(r'name="rows-(\d+)-id" type="hidden" value="(\d+)"', page):
        data[f"rows-{index}-id"], data[f"rows-{index}-quantity"] = sid, "5"
        if int(sid) == rows["SG-B"].id:
            data[f"rows-{index}-selected"] = "y"
    resp = client.post(f"/planning/suggestions{query}", data=data)
    assert resp.status_code == 302, resp.text
    assert _query(resp.headers["Location"]) == {"supplier": [supplier.code], "sort": ["-sku"]}
    after = client.get(resp.headers["Location"]).text
    assert "Approved: 1 draft purchase order(s)" in after and _skus_in(after) == ["SG-C", "SG-A"]
    session.refresh(rows["SG-B"])
    assert rows["SG-B"].status == "approved"


def test_scorecard_ranking_sorts_by_supplier_name_and_keeps_the_window(client: Any, session: Session) -> None:
    for name in ("Mango Mills", "Apple Textiles", "Zebra Plastics"):
        make_supplier(session, name=name)
    login_as(client, session, "viewer")
    names = ["Apple Textiles", "Mango Mills", "Zebra Plastics"]
    asc = client.get("/suppliers/scorecards?window=12&sort=supplier").text
    assert row_order(asc, names) == names
    desc = client.get("/suppliers/scorecards?window=12&sort=-supplier").text
    assert row_order(desc, names) == names[::-1]
    header = re.search(r'<a href="([^"]+)">Overall<span', desc)
    assert header and _query(header.group(1).replace("&amp;", "&")) == {"window": ["12"], "sort": ["overall"]}


def test_admin_users_sort_by_email_and_a_role_change_returns_to_the_sorted_list(
        client: Any, session: Session) -> None:
    emails = ["anna@sort.test", "mia@sort.test", "zoe@sort.test"]
    users = {e: make_staff_user(session, "viewer", email=e) for e in ("mia@sort.test", "zoe@sort.test",
                                                                       "anna@sort.test")}
    login_as(client, session, "admin", email="boss@stockwise.test")
    assert row_order(client.get("/admin/users?sort=email").text, emails) == emails
    desc = client.get("/admin/users?sort=-email").text
    assert row_order(desc, emails) == emails[::-1]
    action = f"/admin/users/{users['mia@sort.test'].id}/role?sort=-email"
    assert f'action="{action}"' in desc
    resp = post_form(client, "/admin/users?sort=-email", action, {"role": "warehouse"})
    assert resp.status_code == 302 and _query(resp.headers["Location"]) == {"sort": ["-email"]}
    assert row_order(client.get(resp.headers["Location"]).text, emails) == emails[::-1]
    assert client.get("/admin/users?sort=role").status_code == 200


def test_a_supplier_price_list_sorts_by_unit_price(client: Any, session: Session) -> None:
    supplier = make_supplier(session, code="SUP-SRT")
    for sku, price in (("PR-A", "7.50"), ("PR-B", "2.25"), ("PR-C", "12.00")):
        make_price(session, supplier, make_product(session, sku=sku), unit_price=Decimal(price))
    login_as(client, session, "viewer")
    skus = ["PR-A", "PR-B", "PR-C"]
    assert row_order(client.get("/suppliers/SUP-SRT").text, skus) == skus
    cheap = client.get("/suppliers/SUP-SRT?sort=unit_price").text
    assert row_order(cheap, skus) == ["PR-B", "PR-A", "PR-C"]
    assert sort_state(cheap, "unit_price") == "ascending"
    assert row_order(client.get("/suppliers/SUP-SRT?sort=-unit_price&q=PR").text, skus) == ["PR-C", "PR-A", "PR-B"]
    for key in PRICE_SORTS:
        assert client.get(f"/suppliers/SUP-SRT?sort=-{key}").status_code == 200
    assert "cannot be sorted by" in client.get("/suppliers/SUP-SRT?sort=supplier_id").text


def test_the_portal_stock_sorts_by_on_hand_and_shows_only_the_suppliers_skus(
        client: Any, session: Session) -> None:
    wh = make_warehouse(session)
    ours, theirs = make_supplier(session), make_supplier(session)
    for sku, qty in (("PS-A", 5), ("PS-B", 30), ("PS-C", 10)):
        product = make_product(session, sku=sku)
        make_price(session, ours, product)
        receive_stock(session, product, wh, qty)
    other = make_product(session, sku="PS-OTHER")
    make_price(session, theirs, other)
    receive_stock(session, other, wh, 500)
    assert login_supplier(client, make_supplier_user(session, ours).email).status_code == 302
    skus = ["PS-A", "PS-B", "PS-C"]
    most = client.get("/portal/stock?sort=-on_hand").text
    assert row_order(most, skus) == ["PS-B", "PS-C", "PS-A"] and "PS-OTHER" not in most
    assert sort_state(most, "on_hand") == "descending"
    assert row_order(client.get("/portal/stock?sort=available").text, skus) == ["PS-A", "PS-C", "PS-B"]
    assert row_order(client.get("/portal/stock?sort=-sku&q=PS").text, skus) == skus[::-1]
    for key in PORTAL_STOCK_SORTS:
        resp = client.get(f"/portal/stock?sort={key}")
        assert resp.status_code == 200 and "PS-OTHER" not in resp.text
    assert "cannot be sorted by" in client.get("/portal/stock?sort=supplier_id").text


def _movements(client: Any, query: str) -> str:
    """The product page from its movement history on (the stock table above lists warehouses too)."""
    html = client.get(f"/products/MV-1{query}").text
    return html[html.index('id="movements"'):]


def test_a_products_movement_history_sorts_by_quantity_and_the_csv_follows(client: Any, session: Session) -> None:
    product = make_product(session, sku="MV-1")
    for code, qty in (("MV-WB", 7), ("MV-WA", 40), ("MV-WC", 15)):
        receive_stock(session, product, make_warehouse(session, code=code), qty)
    login_as(client, session, "viewer")
    codes = ["MV-WA", "MV-WB", "MV-WC"]
    assert row_order(_movements(client, ""), codes) == ["MV-WC", "MV-WA", "MV-WB"]   # newest first
    most = _movements(client, "?sort=-quantity")
    assert row_order(most, codes) == ["MV-WA", "MV-WC", "MV-WB"] and sort_state(most, "quantity") == "descending"
    assert row_order(_movements(client, "?sort=warehouse&kind=receipt"), codes) == codes
    assert row_order(client.get("/products/MV-1/movements.csv?sort=quantity").text, codes) == ["MV-WB", "MV-WC", "MV-WA"]
    assert client.get("/products/MV-1/movements.csv?sort=user_id").status_code == 400
    for key in MOVEMENT_SORTS:
        assert sort_state(_movements(client, f"?sort={key}"), key) == "ascending"


def test_api_clients_sort_by_name(client: Any, session: Session) -> None:
    for name in ("shop-mango", "shop-apple", "shop-zebra"):
        make_api_client(session, name=name)
    login_as(client, session, "admin")
    names = ["shop-apple", "shop-mango", "shop-zebra"]
    assert row_order(client.get("/admin/api-clients?sort=name").text, names) == names
    assert row_order(client.get("/admin/api-clients?sort=-name").text, names) == names[::-1]


def test_saving_scorecard_rules_returns_to_the_ranking_as_it_was(client: Any, session: Session) -> None:
    login_as(client, session, "admin")
    page = client.get("/suppliers/scorecards?window=12&sort=-overall").text
    action = "/suppliers/scorecards/settings?window=12&amp;sort=-overall"
    assert f'action="{action}"' in page
    data = {"csrf_token": csrf_token(page), "weight_on_time": "50", "weight_quality": "30", "weight_price": "20",
            "threshold_a": "90", "threshold_b": "75", "grace_days": "1"}
    resp = client.post(action.replace("&amp;", "&"), data=data)
    assert resp.status_code == 302 and _query(resp.headers["Location"]) == {"window": ["12"], "sort": ["-overall"]}


@pytest.mark.parametrize(("url", "sort"), [
    ("/counts/", "-number"), ("/transfers/", "-number"), ("/purchase-orders", "-number"), ("/receiving", "-number"),
    ("/returns", "-number"), ("/suppliers", "-name"), ("/admin/audit", "-action")])
def test_the_older_lists_filter_forms_keep_the_sort_too(client: Any, session: Session, url: str, sort: str) -> None:
    """Submitting a filter used to drop the sort; the form now carries it."""
    login_as(client, session, "admin")
    page = client.get(f"{url}?sort={sort}").text
    form = page[page.index('<form method="get" class="filters'):]
    assert f'<input type="hidden" name="sort" value="{sort}">' in form[:form.index("</form>")], url


def test_the_portal_order_filter_keeps_the_sort(client: Any, session: Session) -> None:
    assert login_supplier(client, make_supplier_user(session, make_supplier(session)).email).status_code == 302
    page = client.get("/portal/orders?sort=-sent&status=open").text
    assert '<input type="hidden" name="sort" value="-sent">' in page
