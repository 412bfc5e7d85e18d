"""Scorecard arithmetic on hand-computed cases (pure; no database)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.suppliers.scorecards.details import prices_in
from app.suppliers.scorecards.scoring import (
    DeliveryEvent,
    Events,
    LeadTimeEvent,
    ListPrice,
    Period,
    PurchaseEvent,
    ReceiptEvent,
    ResponseEvent,
    Rules,
    compute_scorecards,
    delivery_outcome,
    overall_score,
    percentile_rank,
    price_score,
    standing,
)

MARCH = Period.ending(dt.date(2026, 3, 1))
RULES = Rules(as_of=dt.date(2026, 4, 15), grace_days=2)
DUE = dt.date(2026, 3, 10)


def _line(completed: dt.date | None, *, ordered: int = 100, committed: int = 100, received: int = 100,
          supplier: int = 1, due: dt.date = DUE, n: int = 1) -> DeliveryEvent:
    return DeliveryEvent(supplier, f"PO-{n}", 1, "SKU-1", ordered, committed, due, received, completed)


@pytest.mark.parametrize(("completed", "outcome"), [
    (DUE - dt.timedelta(days=3), "on_time"),
    (DUE, "on_time"),
    (DUE + dt.timedelta(days=1), "on_time"),   # grace − 1
    (DUE + dt.timedelta(days=2), "on_time"),   # exactly the grace
    (DUE + dt.timedelta(days=3), "late"),      # grace + 1
])
def test_on_time_allows_the_grace_period_and_not_a_day_more(completed: dt.date, outcome: str) -> None:
    assert delivery_outcome(_line(completed), RULES) == outcome


def test_an_incomplete_line_is_overdue_after_the_grace_and_pending_before_it() -> None:
    line = _line(None, received=40)
    assert delivery_outcome(line, Rules(as_of=DUE + dt.timedelta(days=2), grace_days=2)) == "pending"
    assert delivery_outcome(line, Rules(as_of=DUE + dt.timedelta(days=3), grace_days=2)) == "overdue"


def test_on_time_and_in_full_rates_over_partial_receipts() -> None:
    events = Events(deliveries=[
        _line(DUE, n=1),                                                     # on time, in full
        _line(DUE + dt.timedelta(days=5), n=2),                              # late, in full
        _line(None, received=60, n=3),                                       # partial: overdue, not in full
        _line(DUE, ordered=100, committed=80, received=80, n=4),             # cut at confirmation: on time, not in full
        _line(None, received=0, due=dt.date(2026, 3, 31), n=5),              # evaluated: as_of is mid-April
    ])
    card = compute_scorecards(events, [MARCH], RULES)[1, MARCH]
    assert card.lines_evaluated == 5
    assert card.lines_on_time == 2 and card.on_time_rate == pytest.approx(0.4)
    assert card.lines_in_full == 2 and card.in_full_rate == pytest.approx(0.4)


def test_lines_not_yet_due_are_left_out() -> None:
    events = Events(deliveries=[_line(DUE, n=1), _line(None, received=0, due=dt.date(2026, 3, 31), n=2)])
    card = compute_scorecards(events, [MARCH], Rules(as_of=dt.date(2026, 3, 20)))[1, MARCH]
    assert card.lines_evaluated == 1 and card.on_time_rate == 1.0


def test_quality_rate_and_defects_per_million_count_rejected_quantities() -> None:
    events = Events(receipts=[
        ReceiptEvent(1, "GR-1", "PO-1", "SKU-1", dt.date(2026, 3, 5), 1000, 990, 10, "damaged"),
        ReceiptEvent(1, "GR-2", "PO-1", "SKU-2", dt.date(2026, 3, 9), 250, 250, 0),
        ReceiptEvent(1, "GR-3", "PO-2", "SKU-1", dt.date(2026, 4, 1), 100, 0, 100, "wrong item"),  # April
    ])
    card = compute_scorecards(events, [MARCH], RULES)[1, MARCH]
    assert (card.inspected, card.accepted) == (1250, 1240)
    assert card.quality_rate == pytest.approx(0.992)
    assert card.defects_per_million == 8000  # 10 / 1250 × 1e6


def test_lead_time_mean_and_population_spread() -> None:
    events = Events(lead_times=[LeadTimeEvent(1, f"GR-{i}", "PO-1", dt.date(2026, 3, 5 + i), days)
                                for i, days in enumerate([5.0, 7.0, 9.0])])
    card = compute_scorecards(events, [MARCH], RULES)[1, MARCH]
    assert card.lead_time_mean_days == 7.0
    assert card.lead_time_std_days == pytest.approx(1.63, abs=0.01)  # sqrt(8/3)
    assert card.receipts == 3


def _prices() -> list[ListPrice]:
    start = dt.date(2025, 1, 1)
    return [
        ListPrice(1, 10, Decimal("9.00"), start, None),   # SKU A: suppliers 1, 2, 3 → median 10
        ListPrice(2, 10, Decimal("10.00"), start, None),
        ListPrice(3, 10, Decimal("12.00"), start, None),
        ListPrice(1, 20, Decimal("4.00"), start, None),   # SKU B: supplier 1 only
        ListPrice(2, 10, Decimal("30.00"), start, dt.date(2025, 12, 31)),  # expired: not in the median
    ]


def test_price_index_is_spend_weighted_against_the_median_and_one_supplier_skus_score_100() -> None:
    events = Events(list_prices=_prices(), purchases=[
        PurchaseEvent(1, "PO-1", 10, "A", dt.date(2026, 3, 2), 100, Decimal("9.00")),   # 900 spend, index 90
        PurchaseEvent(1, "PO-2", 20, "B", dt.date(2026, 3, 3), 100, Decimal("4.00")),   # 400 spend, sole supplier: 100
    ])
    card = compute_scorecards(events, [MARCH], RULES)[1, MARCH]
    assert card.spend == Decimal("1300.00")
    # (900 × 90 + 400 × 100) / 1300 = 93.08
    assert card.price_index == pytest.approx(93.1)
    lines = {pl.sku: pl for pl in prices_in(events, 1, MARCH)}
    assert lines["A"].median_price == Decimal("10.00") and lines["A"].index == 90.0
    assert lines["B"].median_price == Decimal("4.00") and lines["B"].index == 100.0


def test_price_paid_above_the_list_median_raises_the_index() -> None:
    events = Events(list_prices=_prices(), purchases=[
        PurchaseEvent(3, "PO-9", 10, "A", dt.date(2026, 3, 2), 10, Decimal("12.00")),
        PurchaseEvent(3, "PO-9", 10, "A", dt.date(2026, 3, 20), 30, Decimal("13.00")),  # avg 12.75
    ])
    assert compute_scorecards(events, [MARCH], RULES)[3, MARCH].price_index == pytest.approx(127.5)


@pytest.mark.parametrize(("index", "score"), [(80, 100), (90, 100), (100, 75), (110, 50), (120, 25), (130, 0), (150, 0)])
def test_price_index_maps_to_a_score(index: float, score: float) -> None:
    assert price_score(index) == score


def test_overall_score_weights_and_redistributes_missing_dimensions() -> None:
    weights = {"on_time": 40, "quality": 30, "price": 30}
    assert overall_score({"on_time": 90, "quality": 100, "price": 75}, weights) == 88.5
    assert overall_score({"on_time": 90, "quality": 100, "price": None}, weights) == pytest.approx(94.3, abs=0.05)
    assert overall_score({"on_time": None, "quality": None, "price": None}, weights) is None


def test_standing_thresholds() -> None:
    thresholds = {"A": 85, "B": 70}
    assert [standing(v, thresholds) for v in (85, 84.9, 70, 69.9, None)] == ["A", "B", "B", "C", None]


def test_a_full_scorecard_with_rolling_windows_and_responsiveness() -> None:
    feb = dt.date(2026, 2, 10)
    events = Events(
        deliveries=[_line(DUE, n=1), _line(feb + dt.timedelta(days=10), due=feb, n=2)],
        receipts=[ReceiptEvent(1, "GR-1", "PO-1", "SKU-1", DUE, 100, 90, 10)],
        responses=[ResponseEvent(1, "PO-1", dt.date(2026, 3, 1), 10.0), ResponseEvent(1, "PO-2", feb, 30.0)],
        list_prices=_prices(),
        purchases=[PurchaseEvent(1, "PO-1", 10, "A", dt.date(2026, 3, 1), 10, Decimal("10.00"))],
    )
    q1 = Period.ending(dt.date(2026, 3, 1), 3)
    cards = compute_scorecards(events, [MARCH, q1], RULES)
    march, rolling = cards[1, MARCH], cards[1, q1]
    assert q1.label == "2026-01…2026-03" and MARCH.label == "2026-03"
    # March: on time 100, quality 90, price index 100 → score 75: 0.4×100 + 0.3×90 + 0.3×75 = 89.5
    assert (march.on_time_score, march.quality_score, march.price_score) == (100.0, 90.0, 75.0)
    assert march.overall == 89.5 and march.standing == "A"
    assert march.response_hours_mean == 10.0
    # Rolling: Feb's line was late → on time 50: 20 + 27 + 22.5 = 69.5 → C
    assert rolling.on_time_rate == 0.5 and rolling.overall == 69.5 and rolling.standing == "C"
    assert rolling.response_hours_mean == 20.0


def test_percentile_rank_is_mid_rank() -> None:
    assert percentile_rank(80, [60, 70, 80, 90]) == 62.5
    assert percentile_rank(90, [90]) == 50.0
    assert percentile_rank(50, []) is None
