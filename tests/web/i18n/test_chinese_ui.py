"""A user who chose Chinese sees Chinese labels and locale-formatted numbers and dates."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from app.auth.models import StaffUser
from app.transfers import service
from app.transfers.service import TransferLineInput
from tests.factories import TEST_ACTOR, make_product, make_warehouse, receive_stock
from tests.web.clients import login_as, post_form


def test_language_switch_is_remembered_and_pages_are_in_chinese(client: Any, session: Session) -> None:
    cloud, fwd = make_warehouse(session, kind="cloud"), make_warehouse(session)
    towel = make_product(session)
    receive_stock(session, towel, cloud, 12345)
    t = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                lines=[TransferLineInput(towel.id, 2500)])
    user = login_as(client, session, "warehouse")
    resp = post_form(client, "/dashboard", "/language", {"locale": "zh"}, headers={"Referer": "/transfers/"})
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(StaffUser, user.id).locale == "zh"
    page = client.get(f"/transfers/{t.id}")
    assert '<html lang="zh">' in page.text
    assert "发货" in page.text and "草稿" in page.text and "全部调拨单" in page.text
    assert "2,500" in page.text
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page.text), "dates in Chinese format"
    stock = client.get("/stock")
    assert "库存总览" in stock.text and "12,345" in stock.text
    dash = client.get("/dashboard")
    assert "库存周转天数" in dash.text and "需求与库存：最近 12 个完整月及本月至今" in dash.text
