"""A staff user or supplier who chose Chinese sees Chinese headings, messages and formats on every main page."""
from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import SupplierUser
from app.purchasing.models import PurchaseOrder
from tests.factories import (
    PASSWORD,
    make_po,
    make_price,
    make_product,
    make_supplier,
    make_supplier_user,
    make_warehouse,
    receive_stock,
)
from tests.web.clients import csrf_token as csrf
from tests.web.clients import login_as

# Words that are the same in both languages: codes, units, acronyms and the product name.
ALLOWED_LATIN = {"SKU", "MOQ", "CSV", "MASE", "DPMO", "API", "ASN", "Stockwise", "UTC", "UTF", "Webhook"}


class _Headings(HTMLParser):
    """Collects the text of headings, table headers, field labels and buttons, skipping codes
    (`.mono`, `.tag`) and values that are data (the `who` badge, selects' options)."""

    WATCHED = {"h1", "h2", "h3", "th", "button", "summary", "label"}
    SKIPPED = {"option", "select", "script", "style"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []
        self.h1: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "input", "img", "meta", "link"}:
            return
        cls = dict(attrs).get("class") or ""
        skip = tag in self.SKIPPED or bool({"mono", "tag", "who", "muted"} & set(cls.split()))
        self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not data.strip() or any(skip for _, skip in self.stack):
            return
        tags = {t for t, _ in self.stack}
        if tags & self.WATCHED:
            self.texts.append(data.strip())
        if "h1" in tags:
            self.h1.append(data.strip())


def english_leftovers(html: str) -> list[str]:
    parser = _Headings()
    parser.feed(html)
    words = [w for text in parser.texts for w in re.findall(r"[A-Za-z][A-Za-z']{2,}", text)]
    return [w for w in words if w not in ALLOWED_LATIN]


def h1_of(html: str) -> str:
    parser = _Headings()
    parser.feed(html)
    return " ".join(parser.h1)


@pytest.fixture
def zh_admin(client: Any, session: Session) -> Any:
    cloud = make_warehouse(session, code="CLOUD-1", kind="cloud")
    supplier = make_supplier(session, code="NB1", name="Ningbo Textiles")
    towel = make_product(session, sku="HL-TOWEL")
    make_price(session, supplier, towel, unit_price=Decimal("3.20"), moq=10, pack_size=5, lead_time_days=14)
    receive_stock(session, towel, cloud, 12345)
    make_po(session, supplier, [(towel, 1500)], warehouse=cloud)
    user = login_as(client, session, "admin")
    user.locale = "zh"
    session.flush()
    return {"cloud": cloud, "supplier": supplier, "towel": towel}


# (page, a Chinese heading the page must show)
PAGES = [
    ("/dashboard", "总览"),
    ("/stock", "库存总览"),
    ("/products", "商品"),
    ("/suppliers", "供应商"),
    ("/purchase-orders", "采购订单"),
    ("/purchase-orders/new", "新建采购订单"),
    ("/receiving", "收货"),
    ("/returns", "退供应商"),
    ("/transfers/", "调拨"),
    ("/transfers/new", "新建调拨单"),
    ("/counts/", "盘点"),
    ("/counts/new", "发起盘点"),
    ("/alerts/", "预警"),
    ("/planning/suggestions", "补货建议"),
    ("/planning/runs", "预测任务"),
    ("/suppliers/scorecards", "供应商评分卡"),
    ("/admin/users", "系统管理"),
    ("/admin/settings", "系统管理"),
    ("/admin/audit", "系统管理"),
    ("/admin/api-clients", "系统管理"),
    ("/import/", "导入"),
]


@pytest.mark.parametrize(("url", "heading"), PAGES, ids=[p for p, _ in PAGES])
def test_zh_staff_user_sees_chinese_headings_and_no_english_labels(client: Any, zh_admin: Any, url: str,
                                                                   heading: str) -> None:
    resp = client.get(url)
    assert resp.status_code == 200, url
    assert '<html lang="zh">' in resp.text
    assert heading in h1_of(resp.text), h1_of(resp.text)
    assert english_leftovers(resp.text) == [], url


def test_zh_numbers_and_dates_are_formatted_for_the_locale(client: Any, zh_admin: Any) -> None:
    page = client.get("/purchase-orders").text
    assert "1,500" in page or "4,800.00" in page
    order = client.get("/stock").text
    assert "12,345" in order
    detail = client.get(f"/suppliers/{zh_admin['supplier'].code}").text
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", detail), "dates written the Chinese way"


def test_a_form_error_from_a_service_is_shown_in_chinese(client: Any, zh_admin: Any) -> None:
    token = csrf(client.get("/purchase-orders/new").text)
    lines = {f"lines-{i}-{f}": "" for i in range(5) for f in ("sku", "quantity", "unit_price", "promised_date")}
    lines |= {"lines-0-sku": "HL-TOWEL", "lines-0-quantity": "12"}
    resp = client.post("/purchase-orders/new", data={"csrf_token": token, "supplier": "NB1",
                                                     "warehouse": str(zh_admin["cloud"].id), **lines})
    assert resp.status_code == 422
    assert "第 1 行（HL-TOWEL）：数量 12 不是包装规格 5 的整数倍（可改为 10 或 15）" in resp.text
    assert "is not a multiple" not in resp.text


def test_a_refused_state_change_is_flashed_in_chinese(client: Any, session: Session, zh_admin: Any) -> None:
    po = session.scalar(select(PurchaseOrder))
    po.status = "received"
    session.flush()
    token = csrf(client.get(f"/purchase-orders/{po.number}").text)
    resp = client.post(f"/purchase-orders/{po.number}/cancel", data={"csrf_token": token}, follow_redirects=True)
    assert f"{po.number} 状态为“已收货”，已无法取消" in resp.text


def test_wtforms_own_validator_messages_are_chinese(client: Any, zh_admin: Any) -> None:
    token = csrf(client.get("/transfers/new").text)
    resp = client.post("/transfers/new", data={"csrf_token": token})
    assert resp.status_code == 422
    assert "必填" in resp.text or "此字段是必填项" in resp.text or "必须" in resp.text


def test_zh_supplier_sees_the_portal_in_chinese(client: Any, session: Session) -> None:
    cloud = make_warehouse(session, code="CLOUD-1", kind="cloud")
    supplier = make_supplier(session, code="ACME", name="Acme Textiles")
    towel = make_product(session, sku="HL-TOWEL")
    make_price(session, supplier, towel)
    po = make_po(session, supplier, [(towel, 2400)], warehouse=cloud)
    user = make_supplier_user(session, supplier)
    session.get(SupplierUser, user.id).locale = "zh"
    session.flush()
    login_page = client.get("/portal/login")
    client.post("/portal/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf(login_page.text)})
    for url, heading in [("/portal/", "欢迎"), ("/portal/orders", "采购订单"), ("/portal/shipments", "发货通知"),
                         ("/portal/stock", "您所供应商品在我方的库存"), (f"/portal/orders/{po.id}", "采购订单"),
                         ("/portal/scorecard", "您的评分卡")]:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert heading in h1_of(resp.text), (url, h1_of(resp.text))
        assert english_leftovers(resp.text) == [], url
    order = client.get(f"/portal/orders/{po.id}").text
    assert "2,400" in order and "已发送" in order
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", order), "promised date written the Chinese way"


def test_staff_login_error_is_chinese_for_a_chinese_browser(client: Any, session: Session) -> None:
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "登录" in page.text
    again = client.post("/login", data={"email": "nobody@stockwise.test", "password": "wrong password",
                                        "csrf_token": csrf(page.text)}, headers={"Accept-Language": "zh-CN"})
    assert "邮箱或密码错误。" in again.text and "Wrong e-mail" not in again.text


def test_the_leftover_detector_flags_english_labels_and_ignores_codes() -> None:
    html = ('<h1>Purchase orders <span class="mono">PO-2026-00001</span></h1><table><tr><th>SKU</th>'
            '<th>采购订单</th><th>On hand</th></tr></table><button>保存</button>')
    assert english_leftovers(html) == ["Purchase", "orders", "hand"]
