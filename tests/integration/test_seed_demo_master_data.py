"""The demo's suppliers differ in how fast they confirm; categories and warehouses carry Chinese names."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.models import Category
from app.stock.models import Warehouse
from app.suppliers.scorecards.scoring import Period
from app.suppliers.scorecards.service import ranking
from tests.integration.test_seed_demo import _seed


@pytest.mark.slow
def test_demo_suppliers_respond_at_different_speeds_and_master_data_has_chinese_names(
        app: Any, session: Session) -> None:
    assert _seed(app).exit_code == 0
    rows = ranking(session, month=dt.date(2026, 6, 1), months=3, today=dt.date(2026, 7, 1))
    hours = {r.code: r.card.response_hours_mean for r in rows if r.card.responses}
    assert len(hours) >= 5
    assert len({round(h) for h in hours.values()}) >= 5        # not 25 h for everybody
    assert max(hours.values()) > 2 * min(hours.values())
    assert Period.ending(dt.date(2026, 6, 1), 3).label == "2026-04…2026-06"
    assert all(c.name_zh for c in session.scalars(select(Category)))
    assert session.scalar(select(Warehouse.name_zh).where(Warehouse.code == "FWD-BJ")) == "北京前置仓"
