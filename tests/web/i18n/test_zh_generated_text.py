"""In the Chinese UI, the words the system itself writes are Chinese too: movement kinds in the
filter, movement sources, units, generated notes (stored in English), settings and import errors."""
from __future__ import annotations

import io
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.stock.service import StockEffect, post_stock_effects
from tests.factories import make_product, make_warehouse
from tests.web.clients import login_as, post_form


def _zh(client: Any, session: Session) -> Any:
    user = login_as(client, session, "admin")
    user.locale = "zh"
    session.flush()
    return user


def test_movement_kinds_sources_units_and_generated_notes_are_chinese(client: Any, session: Session) -> None:
    wh = make_warehouse(session, code="FWD-GZ")
    p = make_product(session, sku="HL-TOWEL-9", unit="pcs")
    now = utcnow()
    post_stock_effects(session, [StockEffect(p.id, wh.id, "receipt", 40, occurred_at=now, note="PO-2026-000123 line 2",
                                             reference_type="receipt", reference_id="GR-1")], source="receipt", now=now)
    post_stock_effects(session, [StockEffect(p.id, wh.id, "shipment", -3, occurred_at=now)], source="orders", now=now)
    post_stock_effects(session, [StockEffect(p.id, wh.id, "customer_return", 1, occurred_at=now)], source="returns",
                       now=now)
    _zh(client, session)
    page = client.get("/products/HL-TOWEL-9").text
    assert "PO-2026-000123 第 2 行" in page and " line 2" not in page
    assert ">订单<" in page and ">退货<" in page
    assert "件" in page.split("单位", 1)[1][:40] and "pcs" not in page
    kinds = page.split('name="kind"', 1)[1].split("</select>", 1)[0]
    assert "收货" in kinds and "调拨出库" in kinds and "transfer out" not in kinds and "receipt<" not in kinds


def test_settings_and_import_errors_are_chinese(client: Any, session: Session) -> None:
    _zh(client, session)
    bad = post_form(client, "/admin/settings", "/admin/settings", {"key": "service_level", "service_level": "abc"})
    assert bad.status_code == 422 and "不是数字" in bad.text and "not a number" not in bad.text
    weights = post_form(client, "/admin/settings", "/admin/settings", {
        "key": "scorecard_weights", "scorecard_weights.on_time": "50", "scorecard_weights.quality": "30",
        "scorecard_weights.price": "30"})
    assert "add up to 100" not in weights.text
    csv = b"sku,name,pack_size\nHL-A,Towel,zero\nHL-A,Towel,2\n"
    page = client.get("/import/")
    from tests.web.clients import csrf_token
    resp = client.post("/import/", data={"csrf_token": csrf_token(page.text), "kind": "products",
                                         "file": (io.BytesIO(csv), "products.csv")},
                       content_type="multipart/form-data")
    errors = resp.text.split('id="import-errors"', 1)[1].split("</ul>", 1)[0]
    assert "不是整数" in errors and "is not a whole number" not in errors
    assert "在文件中出现了两次" in errors
