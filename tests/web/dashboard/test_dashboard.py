"""The dashboard is the landing page and its figures come from the ledger."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.stock.service import StockEffect, post_stock_effects
from tests.factories import make_product, make_warehouse, receive_stock
from tests.web.clients import count_statements, login_as, login_staff


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
    assert "<svg" in page.text and page.text.count("<rect") == 12
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
