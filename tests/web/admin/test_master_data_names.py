"""Categories and warehouses carry an optional Chinese name: edited by an admin, shown in the Chinese UI."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from tests.factories import make_category, make_product, make_warehouse, receive_stock
from tests.web.clients import login_as, post_form


def test_admin_sets_a_chinese_name_shown_only_in_the_chinese_ui(client: Any, session: Session) -> None:
    cat = make_category(session, code="home", name="Home living")
    wh = make_warehouse(session, code="FWD-BJ", name="Beijing Forward Warehouse")
    receive_stock(session, make_product(session, sku="HL-MUG-1", category_id=cat.id), wh, 5)
    admin = login_as(client, session, "admin")
    page = client.get("/admin/master-data")
    assert page.status_code == 200 and 'id="category-home"' in page.text and 'id="warehouse-FWD-BJ"' in page.text
    for kind, code, name, zh in (("category", "home", "Home living", "家居生活"),
                                 ("warehouse", "FWD-BJ", "Beijing Forward Warehouse", "北京前置仓")):
        resp = post_form(client, "/admin/master-data", "/admin/master-data",
                         {"kind": kind, "code": code, "name": name, "name_zh": zh})
        assert resp.status_code == 302, resp.text
    session.expire_all()
    assert (cat.name_zh, wh.name_zh) == ("家居生活", "北京前置仓")
    assert session.query(AuditEntry).filter_by(action="category.rename").count() == 1
    audit = client.get("/admin/audit?entity=category").text
    assert "Chinese name:</span> <del>—</del> → 家居生活" in audit and "code:</span> home" in audit
    english = client.get("/stock?warehouse=FWD-BJ").text
    assert "Home living" in english and "家居生活" not in english
    admin.locale = "zh"
    session.flush()
    chinese = client.get("/stock?warehouse=FWD-BJ").text
    assert "家居生活" in chinese and "北京前置仓" in chinese
    detail = client.get("/products/HL-MUG-1").text
    assert "家居生活" in detail and "北京前置仓" in detail


def test_a_blank_name_or_a_duplicate_category_name_is_refused_and_named(client: Any, session: Session) -> None:
    make_category(session, code="home", name="Home living")
    make_category(session, code="health", name="Health")
    login_as(client, session, "admin")
    blank = post_form(client, "/admin/master-data", "/admin/master-data",
                      {"kind": "category", "code": "home", "name": "", "name_zh": "家居"})
    assert blank.status_code == 422 and 'data-field="name"' in blank.text
    dup = post_form(client, "/admin/master-data", "/admin/master-data",
                    {"kind": "category", "code": "home", "name": "Health", "name_zh": ""})
    assert dup.status_code == 422 and "another category has this name" in dup.text
    missing = post_form(client, "/admin/master-data", "/admin/master-data",
                        {"kind": "warehouse", "code": "NOPE", "name": "X", "name_zh": ""})
    assert missing.status_code == 404


def test_every_page_naming_a_warehouse_or_category_uses_the_chinese_name(client: Any, session: Session) -> None:
    cat = make_category(session, code="bath", name="Bath", name_zh="卫浴")
    cloud = make_warehouse(session, code="CLOUD-Z", kind="cloud", name="Cloud Warehouse", name_zh="云仓")
    make_warehouse(session, code="FWD-Z", name="Forward Warehouse", name_zh="前置仓", replenished_from_id=cloud.id)
    receive_stock(session, make_product(session, sku="BATH-1", category_id=cat.id, name="Towel"), cloud, 5)
    user = login_as(client, session, "admin")
    user.locale = "zh"
    session.flush()
    for url in ("/transfers/new", "/transfers/", "/purchase-orders/new", "/planning/suggestions", "/products",
                "/dashboard"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "云仓" in page.text and "Cloud Warehouse" not in page.text, url
    products = client.get("/products").text
    assert "卫浴" in products and ">Bath<" not in products
