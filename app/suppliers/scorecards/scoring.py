"""Supplier scorecards: pure arithmetic on plain events (no SQLAlchemy, no Flask, no clock).

The events come from `queries`; the rules (grace days, weights, thresholds)
from settings. docs/scorecards.md states every definition used here; keep them in step.

Periods are calendar months, or rolling windows of 3 or 12 months ending with a month.
Each event is bucketed once per (supplier, month) into additive sums, so any window is
the sum of its months' buckets (that is what keeps 100 suppliers × 24 months fast).
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

ON_TIME, LATE, OVERDUE, PENDING = "on_time", "late", "overdue", "pending"


# ---- events --------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeliveryEvent:
    """One PO line due in the window. `committed_quantity` is the confirmed quantity when the
    supplier confirmed (or changed) the line, else the ordered one; `due_date` likewise.
    `completed_on` is the day the cumulative received quantity reached `committed_quantity`."""

    supplier_id: int
    po_number: str
    line_no: int
    sku: str
    ordered_quantity: int
    committed_quantity: int
    due_date: dt.date
    received_quantity: int
    completed_on: dt.date | None


@dataclass(frozen=True)
class ReceiptEvent:
    """One inspected receipt line: `inspected` = received = accepted + rejected."""

    supplier_id: int
    receipt_number: str
    po_number: str
    sku: str
    received_on: dt.date
    inspected: int
    accepted: int
    rejected: int
    reject_reason: str | None = None


@dataclass(frozen=True)
class LeadTimeEvent:
    """One receipt: days from the PO being sent to the goods arriving."""

    supplier_id: int
    receipt_number: str
    po_number: str
    received_on: dt.date
    lead_time_days: float


@dataclass(frozen=True)
class PurchaseEvent:
    """One PO line as ordered (bucketed by the day the PO was sent): what we paid them."""

    supplier_id: int
    po_number: str
    product_id: int
    sku: str
    ordered_on: dt.date
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class ListPrice:
    supplier_id: int
    product_id: int
    unit_price: Decimal
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class ResponseEvent:
    """A PO answered by the supplier: hours from sent to confirmed."""

    supplier_id: int
    po_number: str
    sent_on: dt.date
    response_hours: float


@dataclass(frozen=True)
class Events:
    deliveries: Sequence[DeliveryEvent] = ()
    receipts: Sequence[ReceiptEvent] = ()
    lead_times: Sequence[LeadTimeEvent] = ()
    purchases: Sequence[PurchaseEvent] = ()
    list_prices: Sequence[ListPrice] = ()
    responses: Sequence[ResponseEvent] = ()


# ---- periods and rules ---------------------------------------------------------------------
def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """[start, end) over whole months; `months` is 1 (a month), 3 or 12 (rolling)."""

    start: dt.date
    end: dt.date
    months: int

    @classmethod
    def ending(cls, month: dt.date, months: int = 1) -> Period:
        last = month_start(month)
        return cls(add_months(last, -(months - 1)), add_months(last, 1), months)

    @property
    def label(self) -> str:
        last = add_months(self.end, -1)
        if self.months == 1:
            return f"{last:%Y-%m}"
        return f"{self.start:%Y-%m}…{last:%Y-%m}"

    def month_keys(self) -> range:
        return range(_key(self.start), _key(self.end))

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end


def _key(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


@dataclass(frozen=True)
class Rules:
    as_of: dt.date
    grace_days: int = 2
    weights: Mapping[str, float] = field(default_factory=lambda: {"on_time": 40, "quality": 30, "price": 30})
    thresholds: Mapping[str, float] = field(default_factory=lambda: {"A": 85, "B": 70})


# ---- per-event rules (shared by the figures and their drill-down) ---------------------------
def delivery_outcome(event: DeliveryEvent, rules: Rules) -> str:
    """on_time: complete by due + grace; late: complete after it; overdue: not complete and
    the deadline has passed (counts as not on time); pending: not complete, not yet due."""
    deadline = event.due_date + dt.timedelta(days=rules.grace_days)
    if event.completed_on is not None:
        return ON_TIME if event.completed_on <= deadline else LATE
    return OVERDUE if rules.as_of > deadline else PENDING


def is_in_full(event: DeliveryEvent) -> bool:
    """In full = everything we *ordered* arrived (a quantity cut at confirmation is not in full)."""
    return event.received_quantity >= event.ordered_quantity


def price_score(index: float) -> float:
    """Price index → 0–100: 10 % below the median or cheaper scores 100, the median 75,
    each point above costs 2.5 points, 30 % above the median or dearer scores 0."""
    return max(0.0, min(100.0, 100.0 - 2.5 * (index - 90.0)))


def standing(overall: float | None, thresholds: Mapping[str, float]) -> str | None:
    if overall is None:
        return None
    if overall >= thresholds["A"]:
        return "A"
    return "B" if overall >= thresholds["B"] else "C"


def overall_score(scores: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """Weighted mean of the available 0–100 scores; a missing dimension's weight is
    spread over the others (no data is not a zero)."""
    parts = [(weights.get(k, 0), v) for k, v in scores.items() if v is not None and weights.get(k, 0) > 0]
    total = sum(w for w, _ in parts)
    return None if total == 0 else round(sum(w * v for w, v in parts) / total, 1)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def percentile_rank(value: float, population: Iterable[float]) -> float | None:
    """Mid-rank percentile: share of the population below `value`, plus half of the ties."""
    values = list(population)
    if not values:
        return None
    below = sum(1 for v in values if v < value)
    equal = sum(1 for v in values if v == value)
    return round(100.0 * (below + 0.5 * equal) / len(values), 1)


# ---- aggregation ---------------------------------------------------------------------------
@dataclass
class _Bucket:
    evaluated: int = 0
    on_time: int = 0
    in_full: int = 0
    lt_n: int = 0
    lt_sum: float = 0.0
    lt_sumsq: float = 0.0
    lt_values: list[float] = field(default_factory=list)  # for the median and P10–P90
    inspected: int = 0
    accepted: int = 0
    resp_n: int = 0
    resp_sum: float = 0.0
    spend: dict[int, list[Decimal]] = field(default_factory=dict)  # product id → [spend, quantity]

    def add(self, other: _Bucket) -> None:
        for name in ("evaluated", "on_time", "in_full", "lt_n", "lt_sum", "lt_sumsq", "inspected", "accepted",
                     "resp_n", "resp_sum"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lt_values.extend(other.lt_values)
        for pid, (spend, qty) in other.spend.items():
            mine = self.spend.setdefault(pid, [Decimal(0), Decimal(0)])
            mine[0] += spend
            mine[1] += qty


@dataclass(frozen=True)
class Scorecard:
    supplier_id: int
    period: Period
    lines_evaluated: int
    lines_on_time: int
    lines_in_full: int
    on_time_rate: float | None
    in_full_rate: float | None
    lead_time_mean_days: float | None
    lead_time_std_days: float | None
    receipts: int
    inspected: int
    accepted: int
    quality_rate: float | None
    defects_per_million: float | None
    spend: Decimal
    price_index: float | None
    responses: int
    response_hours_mean: float | None
    on_time_score: float | None
    quality_score: float | None
    price_score: float | None
    overall: float | None
    standing: str | None
    lead_time_median_days: float | None = None
    lead_time_p10_days: float | None = None
    lead_time_p90_days: float | None = None

    @property
    def has_data(self) -> bool:
        """A period without an evaluated delivery has no score and is not ranked."""
        return self.lines_evaluated > 0


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


class ReferencePrices:
    """Median over suppliers of their list price for a product in a window (cached)."""

    def __init__(self, list_prices: Iterable[ListPrice]) -> None:
        self.by_product: dict[int, list[ListPrice]] = defaultdict(list)
        for lp in list_prices:
            self.by_product[lp.product_id].append(lp)
        self.cache: dict[tuple[int, Period], Decimal | None] = {}

    def median(self, product_id: int, period: Period) -> Decimal | None:
        key = (product_id, period)
        if key not in self.cache:
            latest: dict[int, ListPrice] = {}  # per supplier, the row valid latest in the window
            for lp in self.by_product.get(product_id, ()):
                valid = lp.valid_from < period.end and (lp.valid_to is None or lp.valid_to >= period.start)
                if valid and (lp.supplier_id not in latest or lp.valid_from > latest[lp.supplier_id].valid_from):
                    latest[lp.supplier_id] = lp
            prices = [lp.unit_price for lp in latest.values()]
            self.cache[key] = statistics.median(prices) if prices else None
        return self.cache[key]


def _buckets(events: Events, rules: Rules) -> dict[tuple[int, int], _Bucket]:
    buckets: dict[tuple[int, int], _Bucket] = defaultdict(_Bucket)
    for d in events.deliveries:
        outcome = delivery_outcome(d, rules)
        if outcome == PENDING:
            continue
        b = buckets[d.supplier_id, _key(d.due_date)]
        b.evaluated += 1
        b.on_time += outcome == ON_TIME
        b.in_full += is_in_full(d)
    for r in events.receipts:
        b = buckets[r.supplier_id, _key(r.received_on)]
        b.inspected += r.inspected
        b.accepted += r.accepted
    for lt in events.lead_times:
        b = buckets[lt.supplier_id, _key(lt.received_on)]
        b.lt_n += 1
        b.lt_sum += lt.lead_time_days
        b.lt_sumsq += lt.lead_time_days ** 2
        b.lt_values.append(lt.lead_time_days)
    for p in events.purchases:
        b = buckets[p.supplier_id, _key(p.ordered_on)]
        mine = b.spend.setdefault(p.product_id, [Decimal(0), Decimal(0)])
        mine[0] += p.unit_price * p.quantity
        mine[1] += p.quantity
    for resp in events.responses:
        b = buckets[resp.supplier_id, _key(resp.sent_on)]
        b.resp_n += 1
        b.resp_sum += resp.response_hours
    return buckets


def _price_index(spend: Mapping[int, list[Decimal]], period: Period, refs: ReferencePrices) -> tuple[Decimal, float | None]:
    total = Decimal(0)
    weighted = Decimal(0)
    weight = Decimal(0)
    for pid, (money, qty) in spend.items():
        total += money
        median = refs.median(pid, period)
        if median is None or median <= 0 or qty <= 0 or money <= 0:
            continue
        weighted += money * (Decimal(100) * (money / qty) / median)
        weight += money
    return total, (None if weight == 0 else round(float(weighted / weight), 1))


def _card(supplier_id: int, period: Period, b: _Bucket, refs: ReferencePrices, rules: Rules) -> Scorecard:
    on_time_rate = _ratio(b.on_time, b.evaluated)
    quality_rate = _ratio(b.accepted, b.inspected)
    mean = b.lt_sum / b.lt_n if b.lt_n else None
    std = math.sqrt(max(0.0, b.lt_sumsq / b.lt_n - mean ** 2)) if mean is not None else None
    spend, index = _price_index(b.spend, period, refs)
    scores = {
        "on_time": None if on_time_rate is None else round(100 * on_time_rate, 1),
        "quality": None if quality_rate is None else round(100 * quality_rate, 1),
        "price": None if index is None else round(price_score(index), 1),
    }
    # No delivery evaluated in the period: quality or price alone must not earn a rank (a month
    # with 0 lines would otherwise score on price and come first).
    overall = overall_score(scores, rules.weights) if b.evaluated else None

    def _days(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return Scorecard(
        supplier_id=supplier_id, period=period, lines_evaluated=b.evaluated, lines_on_time=b.on_time,
        lines_in_full=b.in_full, on_time_rate=on_time_rate, in_full_rate=_ratio(b.in_full, b.evaluated),
        lead_time_mean_days=None if mean is None else round(mean, 2),
        lead_time_std_days=None if std is None else round(std, 2), receipts=b.lt_n,
        inspected=b.inspected, accepted=b.accepted, quality_rate=quality_rate,
        defects_per_million=None if not b.inspected else round(1e6 * (b.inspected - b.accepted) / b.inspected),
        spend=spend, price_index=index, responses=b.resp_n,
        response_hours_mean=None if not b.resp_n else round(b.resp_sum / b.resp_n, 1),
        on_time_score=scores["on_time"], quality_score=scores["quality"], price_score=scores["price"],
        overall=overall, standing=standing(overall, rules.thresholds),
        lead_time_median_days=_days(percentile(b.lt_values, 50)),
        lead_time_p10_days=_days(percentile(b.lt_values, 10)), lead_time_p90_days=_days(percentile(b.lt_values, 90)),
    )


def compute_scorecards(
    events: Events, periods: Sequence[Period], rules: Rules, supplier_ids: Iterable[int] | None = None,
) -> dict[tuple[int, Period], Scorecard]:
    """A scorecard per supplier × period. Suppliers default to those with any event."""
    buckets = _buckets(events, rules)
    by_supplier: dict[int, dict[int, _Bucket]] = defaultdict(dict)
    for (sid, month), b in buckets.items():
        by_supplier[sid][month] = b
    ids = sorted(set(supplier_ids) if supplier_ids is not None else set(by_supplier))
    refs = ReferencePrices(events.list_prices)
    cards: dict[tuple[int, Period], Scorecard] = {}
    for sid in ids:
        months = by_supplier.get(sid, {})
        for period in periods:
            total = _Bucket()
            for key in period.month_keys():
                if key in months:
                    total.add(months[key])
            cards[sid, period] = _card(sid, period, total, refs, rules)
    return cards
