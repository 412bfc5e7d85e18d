"""Warehouse operations in Chromium: ship and receive a transfer, a blind cycle count, a CSV
import with a bad row; screenshots of every page to tests/artifacts/."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.catalog.models import Product
from app.db import transaction, utcnow
from app.stock.models import StockBalance
from app.stock.service import StockEffect, post_stock_effects
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_category, make_product, make_staff_user, make_warehouse, receive_stock


def _world(s: Any) -> dict[str, Any]:
    cat = make_category(s, code="bath", name="Bath")
    cloud = make_warehouse(s, code="CLOUD-SH", name="Shanghai cloud", kind="cloud", region="east", city="Shanghai")
    fwd = make_warehouse(s, code="FWD-BJ", name="Beijing forward", region="north", city="Beijing",
                         replenished_from_id=cloud.id)
    towel = make_product(s, sku="HL-TOWEL-1", name="Bamboo bath towel", category_id=cat.id, unit_cost=Decimal("18.50"))
    soap = make_product(s, sku="HL-SOAP-2", name="Olive soap", category_id=cat.id, unit_cost=Decimal("6.20"))
    receive_stock(s, towel, cloud, 240)
    receive_stock(s, soap, cloud, 90)
    month_ago, then = utcnow() - dt.timedelta(days=30), utcnow() - dt.timedelta(days=10)
    post_stock_effects(s, [StockEffect(soap.id, fwd.id, "receipt", 25, occurred_at=month_ago)], source="t",
                       now=month_ago)
    post_stock_effects(s, [StockEffect(soap.id, fwd.id, "shipment", -23, occurred_at=then)], source="t", now=then)
    return {"cloud": cloud.id, "fwd": fwd.id, "towel": towel.id, "soap": soap.id}


def _balance(product_id: int, warehouse_id: int) -> tuple[int, int]:
    with transaction() as s:
        bal = s.scalars(select(StockBalance).where(StockBalance.product_id == product_id,
                                                   StockBalance.warehouse_id == warehouse_id)).one()
        return bal.on_hand, bal.in_transit


def test_ship_and_receive_a_transfer(live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        ids = _world(s)
        email = make_staff_user(s, "warehouse").email
    login_in_browser(page, live_server.url, email, PASSWORD)
    shot(page, "dashboard")
    page.goto(f"{live_server.url}/transfers/new")
    page.select_option("select[name=source]", "CLOUD-SH")
    page.select_option("select[name=dest]", "FWD-BJ")
    page.fill("input[name='lines-0-sku']", "HL-TOWEL-1")
    page.fill("input[name='lines-0-quantity']", "40")
    page.fill("input[name='lines-1-sku']", "HL-SOAP-2")
    page.fill("input[name='lines-1-quantity']", "12")
    shot(page, "transfer-new")
    page.click("button[type=submit].primary")
    assert "created as a draft" in page.locator(".flash").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())  # Ship asks for confirmation
    page.click("#ship")
    assert "in transit" in page.locator(".flash").inner_text()
    assert _balance(ids["towel"], ids["fwd"]) == (0, 40)
    assert _balance(ids["towel"], ids["cloud"]) == (200, 0)
    page.goto(f"{live_server.url}/stock?warehouse=FWD-BJ")
    towel_row = page.locator("table.data tbody tr", has_text="HL-TOWEL-1")
    assert towel_row.locator("td").nth(7).inner_text() == "40"   # in transit column
    page.go_back()
    page.fill("input[name='lines-0-received']", "38")
    page.click("#receive")
    assert page.locator("[data-field='lines-0-note']").count() == 1   # a difference needs a note
    shot(page, "transfer-receive-error")
    page.fill("input[name='lines-0-note']", "2 towels wet, refused")
    page.click("#receive")
    assert "received" in page.locator(".flash").inner_text()
    shot(page, "transfer-received")
    assert _balance(ids["towel"], ids["fwd"]) == (38, 0)
    page.goto(f"{live_server.url}/transfers/")
    shot(page, "transfers-list")


def test_blind_cycle_count_with_a_variance_corrects_stock(live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        ids = _world(s)
        email = make_staff_user(s, "warehouse").email
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/counts/new")
    page.select_option("select[name=warehouse]", "CLOUD-SH")
    shot(page, "count-new")
    page.click("button[type=submit].primary")
    sheet = page.locator("table.sheet").inner_text()
    assert "HL-TOWEL-1" in sheet and "240" not in sheet and "90" not in sheet   # blind
    shot(page, "count-sheet")
    page.fill("input[name='lines-0-counted']", "88")    # soap (sorted by SKU): 90 in the books
    page.fill("input[name='lines-1-counted']", "240")
    page.click("#submit-count")
    review = page.locator("#variances").inner_text()
    assert "90" in review and "88" in review and "-2" in review
    shot(page, "count-review")
    page.once("dialog", lambda dialog: dialog.accept())  # Approve asks for confirmation
    page.click("#approve")
    assert "approved" in page.locator(".flash").inner_text()
    assert _balance(ids["soap"], ids["cloud"]) == (88, 0)
    page.goto(f"{live_server.url}/counts/")
    shot(page, "counts-list")


def test_csv_import_with_a_bad_row_writes_nothing(live_server: LiveServer, page: Any, committed_app: Any,
                                                  tmp_path: Path) -> None:
    with transaction() as s:
        make_product(s, sku="EXISTING-1")
        email = make_staff_user(s, "admin").email
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("sku,name,category,unit_cost\nHL-NEW-1,竹纤维毛巾,bath,12.5\nHL-NEW-2,Soap,bath,-3\n"
                        "HL-NEW-3,Cup,bath,4\n", encoding="utf-8")
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/import/")
    shot(page, "import-upload")
    page.select_option("select[name=kind]", "products")
    page.set_input_files("input[name=file]", str(csv_file))
    page.click("button[type=submit].primary")
    errors = page.locator("#import-errors").inner_text()
    assert "Row 3" in errors and "unit_cost" in errors
    assert page.locator("#confirm-import").count() == 0
    shot(page, "import-preview-error")
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(Product).where(Product.sku.like("HL-NEW-%"))) == 0


def test_screenshots_of_alerts_dashboard_and_admin(live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        _world(s)
        email = make_staff_user(s, "admin").email
    login_in_browser(page, live_server.url, email, PASSWORD)
    for name, path in (("dashboard-admin", "/dashboard"), ("alerts-low-stock", "/alerts/?kind=low_stock"),
                       ("alerts-slow", "/alerts/?kind=slow_mover"), ("admin-users", "/admin/users"),
                       ("admin-settings", "/admin/settings"), ("admin-audit", "/admin/audit"),
                       ("admin-api-clients", "/admin/api-clients")):
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1
        shot(page, name)
    page.goto(live_server.url + "/dashboard")
    with page.expect_navigation():
        page.select_option("select[name=locale]", "zh")
    assert page.locator("h1").inner_text() == "总览"
    shot(page, "dashboard-zh")
