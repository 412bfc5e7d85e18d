"""Scorecards computed from recorded events (POs, confirmations, receipts, price lists)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.suppliers.scorecards.queries import gather_events
from app.suppliers.scorecards.scoring import Period
from app.suppliers.scorecards.service import drill_down, ranking, supplier_headline
from tests.factories import make_price, make_product, make_supplier, make_warehouse
from tests.factories_purchasing import NOW, confirm_as_ordered, make_po, make_receipt

MARCH = Period.ending(dt.date(2026, 3, 1))
TODAY = dt.date(2026, 4, 10)


def _at(day: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    wh = make_warehouse(session, kind="cloud")
    acme, rival = make_supplier(session, name="Acme"), make_supplier(session, name="Rival")
    shared, only_acme = make_product(session), make_product(session)
    make_price(session, acme, shared, unit_price=Decimal("9.00"))
    make_price(session, rival, shared, unit_price=Decimal("11.00"))  # median of 9 and 11 = 10
    make_price(session, acme, only_acme, unit_price=Decimal("4.00"))
    po = make_po(session, acme, wh, [(shared, 100, "9.00", dt.date(2026, 3, 10)),
                                     (only_acme, 50, "4.00", dt.date(2026, 3, 8))])
    confirm_as_ordered(po, _at(2))  # answered 30 hours after sending (Mar 1 09:00 → Mar 2 15:00)
    make_receipt(session, po, [(po.lines[0], 60, 60), (po.lines[1], 50, 45)], received_at=_at(8))
    make_receipt(session, po, [(po.lines[0], 40, 40)], received_at=_at(13))  # complete 3 days after due
    rival_po = make_po(session, rival, wh, [(shared, 10, "11.00", dt.date(2026, 3, 20))])
    confirm_as_ordered(rival_po, _at(1, 3))
    make_receipt(session, rival_po, [(rival_po.lines[0], 10, 10)], received_at=_at(19))
    return {"acme": acme, "rival": rival, "po": po}


def test_scorecard_figures_come_from_the_recorded_events(session: Session, world: dict[str, Any]) -> None:
    dd = drill_down(session, supplier_id=world["acme"].id, month=MARCH.start, months=1, today=TODAY)
    card = dd.card
    outcomes = {(d.line_no, outcome, in_full) for d, outcome, in_full in dd.deliveries}
    # line 1: due 10th, complete on the 13th: late by grace (2) + 1; line 2: complete on the 8th
    assert outcomes == {(1, "late", True), (2, "on_time", True)}
    assert card.on_time_rate == 0.5 and card.in_full_rate == 1.0
    assert (card.inspected, card.accepted) == (150, 145) and card.defects_per_million == 33333
    assert [r.rejected for r in dd.receipts if r.rejected] == [5]
    # lead times: Mar 1 09:00 → Mar 8 15:00 = 7.25 days; → Mar 13 15:00 = 12.25 days
    assert card.lead_time_mean_days == 9.75 and card.lead_time_std_days == 2.5
    assert card.response_hours_mean == 30.0
    # price: shared SKU 900 spend at index 90; the one-supplier SKU 200 spend at 100 → 91.8
    assert card.price_index == pytest.approx(91.8)
    assert {p.sku: p.index for p in dd.prices} == {world["po"].lines[0].product.sku: 90.0,
                                                  world["po"].lines[1].product.sku: 100.0}


def test_the_ranking_puts_the_better_supplier_first(session: Session, world: dict[str, Any]) -> None:
    rows = ranking(session, month=MARCH.start, months=1, today=TODAY)
    assert [r.name for r in rows] == ["Rival", "Acme"]
    assert rows[0].card.on_time_rate == 1.0 and rows[0].card.price_index == 110.0


def test_the_headline_percentile_places_the_supplier_among_its_peers(session: Session, world: dict[str, Any]) -> None:
    head = supplier_headline(session, supplier_id=world["acme"].id, today=dt.date(2026, 3, 31))
    assert head.percentile == 25.0  # 2 suppliers, Acme below Rival
    assert head.on_time_rate == 0.5


def test_gathering_events_takes_a_fixed_number_of_queries(app: Any, session: Session, world: dict[str, Any]) -> None:
    engine = app.extensions["stockwise_db"].engine
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        events = gather_events(session, start=dt.date(2025, 4, 1), end=dt.date(2026, 4, 1), as_of=NOW.replace(month=4))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 3
    assert len(events.deliveries) == 3 and len(events.receipts) == 4 and len(events.lead_times) == 3
