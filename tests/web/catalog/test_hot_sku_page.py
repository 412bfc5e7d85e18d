"""Hot-SKU mode on the product page: shown to everyone, set and turned off by admins only."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.stock.models import StockBalance
from tests.factories import make_product, make_warehouse, receive_stock
from tests.web.clients import csrf_token, login_as


def _rows(session: Session, product_id: int) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(StockBalance).where(StockBalance.product_id == product_id)))


def test_an_admin_sets_hot_sku_mode_on_the_product_page_and_everyone_sees_it(client: Any, session: Session) -> None:
    towel = make_product(session, sku="HOT-PAGE")
    receive_stock(session, towel, make_warehouse(session, code="BJ-HOT"), 30)
    login_as(client, session, "admin")
    page = client.get("/products/HOT-PAGE")
    assert page.status_code == 200 and "Hot-SKU mode is off" in page.text
    resp = client.post("/products/HOT-PAGE/hot", data={"buckets": "6", "csrf_token": csrf_token(page.text)})
    assert resp.status_code == 302
    shown = client.get("/products/HOT-PAGE").text
    assert "split into 6 buckets" in shown and "Turn off" in shown and _rows(session, towel.id) == 6
    assert '<td class="num">30</td>' in shown  # the stock table shows the total, not a bucket

    bad = client.post("/products/HOT-PAGE/hot", data={"buckets": "99", "csrf_token": csrf_token(shown)},
                      follow_redirects=True)
    assert "must be a whole number from 1 to 32" in bad.text and _rows(session, towel.id) == 6
    off = client.post("/products/HOT-PAGE/hot", data={"buckets": "1", "csrf_token": csrf_token(shown)},
                      follow_redirects=True)
    assert "Hot-SKU mode off" in off.text and _rows(session, towel.id) == 1


def test_a_buyer_sees_hot_sku_mode_but_cannot_change_it(client: Any, session: Session) -> None:
    towel = make_product(session, sku="HOT-VIEW")
    receive_stock(session, towel, make_warehouse(session, code="GZ-HOT"), 8)
    login_as(client, session, "purchasing")
    page = client.get("/products/HOT-VIEW")
    assert "Hot-SKU mode is off" in page.text and "Set hot-SKU mode" not in page.text
    resp = client.post("/products/HOT-VIEW/hot", data={"buckets": "4", "csrf_token": csrf_token(page.text)})
    assert resp.status_code == 403 and _rows(session, towel.id) == 1
