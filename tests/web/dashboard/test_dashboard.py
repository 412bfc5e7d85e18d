"""The dashboard is the landing page and its figures come from the ledger."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.stock.service import StockEffect, post_stock_effects
from app.stock.turnover import demand_and_stock
from tests.factories import make_product, make_warehouse, receive_stock
from tests.web.clients import chart_options, count_statements, login_as, login_staff, series_data


def test_login_lands_on_the_dashboard(client: Any, session: Session) -> None:
    from tests.factories import make_staff_user
    user = make_staff_user(session, "viewer")
    resp = login_staff(client, user.email)
    assert resp.headers["Location"].endswith("/dashboard")
    assert client.get("/").headers["Location"].endswith("/dashboard")


def test_dashboard_shows_stock_value_turnover_and_a_chart(client: Any, session: Session) -> None:
    wh = make_warehouse(session, code="CLOUD")
    p = make_product(session, unit_cost=Decimal("2.00"))
    then = utcnow() - dt.timedelta(days=89)
    post_stock_effects(session, [StockEffect(p.id, wh.id, "receipt", 1000, occurred_at=then)], source="t", now=then)
    post_stock_effects(session, [StockEffect(p.id, wh.id, "shipment", -450)], source="t", now=utcnow())
    login_as(client, session, "viewer")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "¥1,100.00" in page.text                      # 550 × 2.00
    # average inventory ≈ 1000 units for 89 days and 550 on the last → (89×2000 + 1100)/90 = 1990;
    # COGS/day = 900/90 = 10 → 199.0 days
    assert "199.0" in page.text
    (chart,) = chart_options(page.text)
    months = chart["xAxis"]["data"]
    assert len(months) == 13 and months[-1].endswith("\n(to date)")  # 12 complete months + this one
    assert series_data(chart, "demand")[-1] == 450 and series_data(chart, "stock")[-1] == 550
    assert "itemStyle" in chart["series"][0]["data"][-1]               # the partial month is drawn apart
    assert [a["name"] for a in chart["yAxis"]] == ["Demand (units)", "Stock on hand at month end (units)"]
    assert 'href="/alerts/?kind=low_stock"' in page.text


def test_dashboard_query_count_does_not_grow_with_skus(app: Any, client: Any, session: Session) -> None:
    wh = make_warehouse(session)
    login_as(client, session, "viewer")

    def make(n: int) -> None:
        for _ in range(n):
            receive_stock(session, make_product(session), wh, 5)

    make(5)
    with count_statements(app) as few:
        client.get("/dashboard")
    make(30)
    with count_statements(app) as many:
        client.get("/dashboard")
    assert len(few) == len(many)


def _month_rows(html: str) -> list[list[str]]:
    table = html[html.index('id="demand-stock"'):]
    table = table[table.index("<tbody>"):table.index("</tbody>")]
    return [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in table.split("</tr>") if "<td" in row]


def test_dashboard_months_are_the_last_12_complete_ones_with_years_and_this_month_partial(
        app: Any, session: Session) -> None:

    from app.web.dashboard_chart import demand_stock_chart

    wh = make_warehouse(session)
    p = make_product(session)
    for day, kind, qty in ((dt.date(2025, 11, 20), "receipt", 1000), (dt.date(2025, 12, 10), "shipment", -30),
                           (dt.date(2026, 11, 30), "shipment", -50), (dt.date(2026, 12, 1), "shipment", -5)):
        at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        post_stock_effects(session, [StockEffect(p.id, wh.id, kind, qty, occurred_at=at)], source="t", now=at)
    today = dt.date(2026, 12, 1)
    with app.test_request_context("/dashboard"):
        rows, option = demand_stock_chart(demand_and_stock(session, today=today), today=today)
    labels = [r.label for r in rows]
    assert labels[0] == "Dec 2025" and labels[11] == "Nov 2026" and labels[12] == "Dec 2026 (to date)"
    assert [r.partial for r in rows] == [False] * 12 + [True]
    assert [r.demand for r in rows] == [30] + [0] * 10 + [50, 5]
    assert (rows[0].stock_end, rows[11].stock_end, rows[12].stock_end) == (970, 920, 915)
    assert option["xAxis"]["data"] == [*labels[:12], "Dec 2026\n(to date)"]
    assert series_data(option, "demand") == [r.demand for r in rows]
    assert series_data(option, "stock") == [r.stock_end for r in rows]
    with app.test_request_context("/dashboard", headers={"Accept-Language": "zh"}):
        from flask_babel import refresh
        refresh()
        rows_zh, _option = demand_stock_chart(demand_and_stock(session, today=today), today=today)
    assert rows_zh[0].label == "2025年12月" and rows_zh[11].label == "2026年11月"


def test_dashboard_chart_data_equals_its_table(client: Any, session: Session) -> None:
    wh = make_warehouse(session)
    p = make_product(session)
    then = utcnow() - dt.timedelta(days=40)
    post_stock_effects(session, [StockEffect(p.id, wh.id, "receipt", 300, occurred_at=then)], source="t", now=then)
    post_stock_effects(session, [StockEffect(p.id, wh.id, "shipment", -1200 // 10)], source="t", now=utcnow())
    login_as(client, session, "viewer")
    page = client.get("/dashboard")
    (chart,) = chart_options(page.text)
    rows = _month_rows(page.text)
    assert [r[0] for r in rows] == [label.replace("\n", " ") for label in chart["xAxis"]["data"]]
    assert [int(r[1].replace(",", "")) for r in rows] == series_data(chart, "demand")
    assert [int(r[2].replace(",", "")) for r in rows] == series_data(chart, "stock")
    assert series_data(chart, "demand")[-1] == 120 and series_data(chart, "stock")[-1] == 180
