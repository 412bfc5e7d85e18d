"""A period with no delivery has no score and no rank; lead time is shown as median and P10–P90."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.suppliers.scorecards.scoring import (
    DeliveryEvent,
    Events,
    LeadTimeEvent,
    ListPrice,
    Period,
    PurchaseEvent,
    ReceiptEvent,
    Rules,
    compute_scorecards,
    percentile,
)

MARCH = Period.ending(dt.date(2026, 3, 1))
RULES = Rules(as_of=dt.date(2026, 4, 15), grace_days=2)


def test_quality_and_price_without_a_delivery_give_no_score() -> None:
    # Bought cheaply and inspected in March, but no line was due: before, this scored ~A.
    events = Events(
        receipts=[ReceiptEvent(1, "GR-1", "PO-1", "A", dt.date(2026, 3, 5), 10, 10, 0)],
        purchases=[PurchaseEvent(1, "PO-1", 10, "A", dt.date(2026, 3, 2), 10, Decimal("8.00"))],
        list_prices=[ListPrice(1, 10, Decimal("8.00"), dt.date(2026, 1, 1), None),
                     ListPrice(2, 10, Decimal("10.00"), dt.date(2026, 1, 1), None)],
    )
    card = compute_scorecards(events, [MARCH], RULES, [1])[1, MARCH]
    assert card.lines_evaluated == 0 and not card.has_data
    assert card.quality_score == 100.0 and card.price_score is not None   # the figures still show
    assert card.overall is None and card.standing is None


def test_one_delivery_is_enough_for_a_score() -> None:
    line = DeliveryEvent(1, "PO-1", 1, "A", 10, 10, dt.date(2026, 3, 10), 10, dt.date(2026, 3, 9))
    card = compute_scorecards(Events(deliveries=[line]), [MARCH], RULES, [1])[1, MARCH]
    assert card.has_data and card.overall == 100.0 and card.standing == "A"


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([4.0], 10) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([0.0, 10.0], 10) == 1.0
    assert percentile([0.0, 10.0], 90) == 9.0


def test_one_same_day_receipt_moves_the_median_and_p10_p90_little() -> None:
    days = [9.0, 10.0, 10.0, 11.0, 12.0, 9.0, 10.0, 11.0, 10.0]
    base = [LeadTimeEvent(1, f"GR-{i}", f"PO-{i}", dt.date(2026, 3, 1 + i), d) for i, d in enumerate(days)]
    same_day = LeadTimeEvent(1, "GR-X", "PO-X", dt.date(2026, 3, 20), 0.0)   # legitimate, and an outlier
    before = compute_scorecards(Events(lead_times=base), [MARCH], RULES, [1])[1, MARCH]
    after = compute_scorecards(Events(lead_times=[*base, same_day]), [MARCH], RULES, [1])[1, MARCH]
    assert before.lead_time_median_days == 10.0 and after.lead_time_median_days == 10.0
    # sorted before: 9 9 10 10 10 10 11 11 12 → P10 at rank 0.8 = 9.0, P90 at rank 7.2 = 11.2
    # sorted after: 0 9 9 10 10 10 10 11 11 12 → P10 at rank 0.9 = 8.1, P90 at rank 8.1 = 11.1
    assert (before.lead_time_p10_days, before.lead_time_p90_days) == (9.0, 11.2)
    assert (after.lead_time_p10_days, after.lead_time_p90_days) == (8.1, 11.1) and after.receipts == 10
    # the standard deviation more than triples: the reason the pages show median and P10–P90
    assert after.lead_time_std_days is not None and before.lead_time_std_days is not None
    assert after.lead_time_std_days > 3 * before.lead_time_std_days
