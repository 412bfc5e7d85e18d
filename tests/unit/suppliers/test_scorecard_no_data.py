"""A period without deliveries is "no data": prices alone do not make a score (issue 11 #13)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.suppliers.scorecard import DeliveryEvent, Events, ListPrice, Period, PurchaseEvent, Rules, compute_scorecards

MARCH = Period.ending(dt.date(2026, 3, 1))
RULES = Rules(as_of=dt.date(2026, 4, 15), grace_days=2)


def test_a_month_with_purchases_but_no_delivery_has_no_overall_score() -> None:
    prices = [ListPrice(1, 10, Decimal("10.00"), dt.date(2026, 1, 1), None),
              ListPrice(2, 10, Decimal("10.00"), dt.date(2026, 1, 1), None)]
    events = Events(list_prices=prices, purchases=[
        PurchaseEvent(1, "PO-1", 10, "A", dt.date(2026, 3, 2), 100, Decimal("9.00"))])
    card = compute_scorecards(events, [MARCH], RULES)[1, MARCH]
    assert card.price_score == 100 and card.lines_evaluated == 0
    assert card.overall is None and card.standing is None


def test_a_month_with_a_delivery_is_scored() -> None:
    events = Events(deliveries=[DeliveryEvent(1, "PO-1", 1, "SKU-1", 100, 100, dt.date(2026, 3, 10), 100,
                                              dt.date(2026, 3, 10))])
    card = compute_scorecards(events, [MARCH], RULES)[1, MARCH]
    assert card.overall == 100.0 and card.standing == "A"
