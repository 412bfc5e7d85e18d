"""Alerts → Slow movers: the rule on the page, where the stock lies, its value, last sale, turnover
days per SKU, and marking a slow mover for clearance (audited, shown on the product page)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.clearance.models import Clearance
from app.db import utcnow
from app.stock.service import StockEffect, post_stock_effects
from tests.factories import make_product, make_warehouse
from tests.web.clients import login_as, post_form

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _book(session: Session, product: Any, warehouse: Any, kind: str, qty: int, days_ago: int) -> None:
    at = utcnow() - dt.timedelta(days=days_ago)
    post_stock_effects(session, [StockEffect(product.id, warehouse.id, kind, qty, occurred_at=at)], source="t", now=at)


def _slow(session: Session) -> Any:
    cloud = make_warehouse(session, code="CLOUD-S", kind="cloud", name="Cloud", name_zh="云仓")
    fwd = make_warehouse(session, code="BJ-S", name="Beijing", name_zh="北京仓")
    p = make_product(session, sku="SLOW-1", unit_cost=Decimal("4.00"), created_at=LONG_AGO)
    _book(session, p, cloud, "receipt", 200, 400)
    _book(session, p, fwd, "receipt", 30, 400)
    _book(session, p, cloud, "shipment", -10, 200)  # the last sale, long before the three months
    return p


def _row(html: str, sku: str) -> str:
    start = html.index(f'id="slow-{sku}"')
    return html[start:html.index("</tr>", start)]


def test_slow_movers_show_rule_warehouses_value_last_sale_and_turnover(client: Any, session: Session) -> None:
    p = _slow(session)
    login_as(client, session, "purchasing")
    html = client.get("/alerts/?kind=slow_mover").text
    assert "sold fewer than 5 units in each of the last three full months" in html
    row = _row(html, p.sku)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert "CLOUD-S</span> 190" in cells[2] and "BJ-S</span> 30" in cells[2]    # most stock first
    assert cells[3] == "220" and cells[4] == "¥880.00"                          # 220 × 4.00
    last = (utcnow() - dt.timedelta(days=200)).date()
    assert cells[8].strip() == format_medium(last)
    assert cells[9] == "—"                                                     # nothing sold in 90 days
    assert "Mark for clearance…" in cells[10]
    exported = client.get("/alerts/export.csv?kind=slow_mover").text.splitlines()
    assert exported[0].endswith("warehouses,stock_value,last_sale,turnover_days,clearance,clearance_target_date")
    assert "CLOUD-S:190 BJ-S:30,880.00," + last.isoformat() in exported[1]


def format_medium(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def test_turnover_days_per_sku_follow_the_dashboard_rule(client: Any, session: Session) -> None:
    wh = make_warehouse(session)
    p = make_product(session, sku="SLOW-T", unit_cost=Decimal("1.00"), created_at=LONG_AGO)
    _book(session, p, wh, "receipt", 100, 400)
    _book(session, p, wh, "shipment", -3, 45)  # 3 sold within 90 days (and < 5 a month)
    login_as(client, session, "viewer")
    row = _row(client.get("/alerts/?kind=slow_mover").text, "SLOW-T")
    # average stock over 90 days: 100 for the 45 days before the sale, 97 after → 98.5 (±1 day)
    # COGS per day 3/90 → about 2,955 days
    turnover = re.findall(r'<td class="num">([\d,]+\.\d)</td>', row)
    assert turnover and 2900 <= float(turnover[-1].replace(",", "")) <= 3000
    assert "Mark for clearance" not in row  # a viewer may not mark
    assert post_form(client, "/alerts/?kind=slow_mover", "/clearance/",
                     {"sku": p.sku, "action": "markdown", "markdown_pct": "10",
                      "target_date": utcnow().date().isoformat()}).status_code == 403


def test_marking_for_clearance_is_audited_and_shown_on_the_product_page(client: Any, session: Session) -> None:
    p = _slow(session)
    login_as(client, session, "purchasing")
    target = utcnow().date() + dt.timedelta(days=91)
    resp = post_form(client, "/alerts/?kind=slow_mover", "/clearance/",
                     {"sku": p.sku, "action": "markdown", "markdown_pct": "30", "target_date": target.isoformat(),
                      "note": "618 sale"}, headers={"Referer": "/alerts/?kind=slow_mover"})
    assert resp.status_code == 302
    row = session.scalar(select(Clearance).where(Clearance.product_id == p.id))
    assert row is not None and (row.status, row.action, row.markdown_pct, row.target_date) == \
        ("open", "markdown", 30, target)
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "clearance.mark"))
    assert audit is not None and "SLOW-1" in audit.details and "markdown" in audit.details
    listed = _row(client.get("/alerts/?kind=slow_mover").text, p.sku)
    assert "markdown −30%" in listed and "Mark for clearance" not in listed
    product = client.get(f"/products/{p.sku}").text
    assert 'id="clearance"' in product and "Marked for clearance: markdown" in product and "618 sale" in product
    # a second open clearance for the same SKU is refused
    again = post_form(client, "/alerts/?kind=slow_mover", "/clearance/",
                      {"sku": p.sku, "action": "transfer_back", "target_date": target.isoformat()})
    assert again.status_code == 302
    assert session.query(Clearance).filter_by(product_id=p.id).count() == 1
    done = post_form(client, f"/products/{p.sku}", f"/clearance/{row.id}/close", {"outcome": "done"})
    assert done.status_code == 302
    session.refresh(row)
    assert row.status == "done" and row.closed_at is not None
    assert session.query(AuditEntry).filter_by(action="clearance.close").count() == 1
    assert 'id="clearance"' not in client.get(f"/products/{p.sku}").text


def test_clearance_needs_a_markdown_percentage_and_a_future_date(client: Any, session: Session) -> None:
    p = _slow(session)
    login_as(client, session, "purchasing")
    past = (utcnow().date() - dt.timedelta(days=1)).isoformat()
    resp = post_form(client, "/alerts/?kind=slow_mover", "/clearance/",
                     {"sku": p.sku, "action": "markdown", "target_date": past}, follow_redirects=True)
    assert "A markdown needs its percentage" in resp.text and "The target date is in the past" in resp.text
    assert session.query(Clearance).count() == 0
