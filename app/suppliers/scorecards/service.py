"""Scorecards for pages and exports: rules from settings, events from the database,
arithmetic from `scorecard`. Read-only except `update_scorecard_settings`."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.catalog.models import Product
from app.errors import N_, NotFound, ValidationFailed, joined
from app.paging import Sort, sorted_rows
from app.settings.service import get_setting, set_setting
from app.suppliers.models import Supplier, SupplierPrice
from app.suppliers.scorecards.details import PriceLine, deliveries_in, prices_in, receipts_in
from app.suppliers.scorecards.queries import gather_events
from app.suppliers.scorecards.scoring import (
    Events,
    Period,
    ReceiptEvent,
    Rules,
    Scorecard,
    compute_scorecards,
    percentile_rank,
)

WINDOWS = (1, 3, 12)


def scorecard_rules(session: Session, *, as_of: dt.date) -> Rules:
    return Rules(as_of=as_of, grace_days=int(get_setting(session, "on_time_grace_days")),
                 weights=get_setting(session, "scorecard_weights"), thresholds=get_setting(session, "scorecard_thresholds"))


def update_scorecard_settings(
    session: Session, actor: Actor, *, weights: dict[str, int], thresholds: dict[str, int], grace_days: int,
) -> None:
    """Admin: weights (on_time, quality, price ≥ 0, not all 0), thresholds (0 ≤ B ≤ A ≤ 100), grace (0–30 days)."""
    errors = []
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        errors.append({"field": "weights", "message": N_("weights must be ≥ 0 and not all zero")})
    if not 0 <= thresholds["B"] <= thresholds["A"] <= 100:
        errors.append({"field": "threshold_a", "message": N_("need 0 ≤ B ≤ A ≤ 100")})
    if not 0 <= grace_days <= 30:
        errors.append({"field": "grace_days", "message": N_("0–30 days")})
    if errors:
        raise ValidationFailed(joined([e["message"] for e in errors], "; "), errors)
    for key, value in (("scorecard_weights", weights), ("scorecard_thresholds", thresholds),
                       ("on_time_grace_days", grace_days)):
        if get_setting(session, key) != value:
            set_setting(session, actor, key, value)


def _now(today: dt.date) -> dt.datetime:
    return dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC) + dt.timedelta(days=1)


def _all_cards(session: Session, periods: Sequence[Period], today: dt.date,
               supplier_ids: Sequence[int] | None = None) -> tuple[dict[tuple[int, Period], Scorecard], Events, Rules]:
    start, end = min(p.start for p in periods), max(p.end for p in periods)
    events = gather_events(session, start=start, end=end, as_of=_now(today), supplier_ids=supplier_ids)
    rules = scorecard_rules(session, as_of=today)
    ids = supplier_ids if supplier_ids is not None else list(
        session.scalars(select(Supplier.id).where(Supplier.is_active.is_(True))))
    return compute_scorecards(events, periods, rules, ids), events, rules


@dataclass(frozen=True)
class RankedRow:
    rank: int | None  # None: no delivery evaluated in the period ("no data"), listed after the ranked
    supplier_id: int
    code: str
    name: str
    card: Scorecard


def _card(attr: str) -> Callable[[RankedRow], Any]:
    return lambda r: getattr(r.card, attr)


# The ranking's sortable columns (key → the row's value; suppliers without that figure last
# either way, ties in rank order). The rank itself stays the rank by overall score.
RANKING_SORTS: dict[str, Callable[[RankedRow], Any]] = {
    "rank": lambda r: r.rank, "supplier": lambda r: r.name.casefold(), "lines": _card("lines_evaluated"),
    "on_time": _card("on_time_rate"), "in_full": _card("in_full_rate"), "lead_time": _card("lead_time_median_days"),
    "quality": _card("quality_rate"), "dpmo": _card("defects_per_million"), "price_index": _card("price_index"),
    "response": _card("response_hours_mean"), "overall": _card("overall"),
}


def ranking(session: Session, *, month: dt.date, months: int, today: dt.date,
            sort: Sort | None = None) -> list[RankedRow]:
    """Every active supplier's scorecard for the window, best overall first; suppliers with no
    delivery evaluated in the window (no score) follow, unranked. `sort` (a key of
    RANKING_SORTS) reorders the rows; the rank numbers stay."""
    period = Period.ending(month, months)
    cards, _events, _rules = _all_cards(session, [period], today)
    names = {s.id: (s.code, s.name) for s in session.scalars(select(Supplier).where(Supplier.is_active.is_(True)))}
    rows = sorted((cards[sid, period] for sid in names),
                  key=lambda c: (c.overall is None, -(c.overall or 0), names[c.supplier_id][0]))
    return sorted_rows([RankedRow(i if c.overall is not None else None, c.supplier_id, *names[c.supplier_id], card=c)
                        for i, c in enumerate(rows, start=1)], sort, RANKING_SORTS)


@dataclass(frozen=True)
class SupplierScorecards:
    monthly: list[Scorecard]  # oldest first
    rolling: dict[int, Scorecard]  # window in months → card ending this month
    percentile: float | None  # rolling 3 months, among suppliers with a score
    rules: Rules

    @property
    def monthly_rows(self) -> list[tuple[str, Scorecard]]:
        """(label, card) newest month first, for tables."""
        return [(c.period.label, c) for c in reversed(self.monthly)]


def supplier_scorecards(session: Session, *, supplier_id: int, today: dt.date, months: int = 12) -> SupplierScorecards:
    """One supplier's monthly cards, rolling windows and percentile (only its own figures)."""
    this_month = today.replace(day=1)
    monthly = [Period.ending(_shift(this_month, -i)) for i in range(months - 1, -1, -1)]
    rolling = {w: Period.ending(this_month, w) for w in WINDOWS}
    cards, _events, rules = _all_cards(session, [*monthly, *rolling.values()], today, [supplier_id])
    peers, _e, _r = _all_cards(session, [rolling[3]], today)
    scored = [c.overall for c in peers.values() if c.overall is not None]
    mine = cards[supplier_id, rolling[3]].overall
    return SupplierScorecards(
        monthly=[cards[supplier_id, p] for p in monthly],
        rolling={w: cards[supplier_id, p] for w, p in rolling.items()},
        percentile=None if mine is None else percentile_rank(mine, scored),
        rules=rules,
    )


def _shift(month: dt.date, by: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + by
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Headline:
    standing: str | None
    overall: float | None
    on_time_rate: float | None
    quality_rate: float | None
    percentile: float | None


def supplier_headline(session: Session, *, supplier_id: int, today: dt.date) -> Headline:
    """Rolling 3 months ending this month, and the percentile among all suppliers."""
    period = Period.ending(today, 3)
    cards, _events, _rules = _all_cards(session, [period], today)
    mine = cards.get((supplier_id, period))
    if mine is None:
        return Headline(None, None, None, None, None)
    scored = [c.overall for c in cards.values() if c.overall is not None]
    return Headline(mine.standing, mine.overall, mine.on_time_rate, mine.quality_rate,
                    None if mine.overall is None else percentile_rank(mine.overall, scored))


@dataclass(frozen=True)
class DrillDown:
    card: Scorecard
    deliveries: list[tuple[Any, str, bool]]
    receipts: list[ReceiptEvent]
    prices: list[PriceLine]


def drill_down(session: Session, *, supplier_id: int, month: dt.date, months: int, today: dt.date) -> DrillDown:
    """The events behind each figure of one supplier's scorecard for a window."""
    period = Period.ending(month, months)
    cards, events, rules = _all_cards(session, [period], today, [supplier_id])
    return DrillDown(cards[supplier_id, period], deliveries_in(events, supplier_id, period, rules),
                     receipts_in(events, supplier_id, period), prices_in(events, supplier_id, period))


@dataclass(frozen=True)
class BackupOption:
    sku: str
    product_name: str
    supplier_code: str
    supplier_name: str
    unit_price: Any
    lead_time_days: int
    overall: float | None
    standing: str | None


def backup_suppliers(session: Session, *, supplier_id: int, today: dt.date) -> dict[str, list[BackupOption]]:
    """For each SKU the supplier offers today: the other suppliers offering it, best score first."""
    valid = [SupplierPrice.valid_from <= today, or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= today)]
    mine = select(SupplierPrice.product_id).where(SupplierPrice.supplier_id == supplier_id, *valid)
    rows = session.execute(
        select(Product.sku, Product.name, Supplier.id, Supplier.code, Supplier.name, SupplierPrice.unit_price,
               SupplierPrice.lead_time_days)
        .join(Product, Product.id == SupplierPrice.product_id)
        .join(Supplier, Supplier.id == SupplierPrice.supplier_id)
        .where(SupplierPrice.product_id.in_(mine), *valid, Supplier.is_active.is_(True))
        .order_by(Product.sku)
    ).all()
    period = Period.ending(today, 3)
    others = sorted({r[2] for r in rows if r[2] != supplier_id})
    cards, _e, _r = _all_cards(session, [period], today, others) if others else ({}, None, None)
    result: dict[str, list[BackupOption]] = {}
    for sku, pname, sid, code, name, price, lead in rows:
        result.setdefault(sku, [])
        if sid == supplier_id:
            continue
        card = cards.get((sid, period))
        result[sku].append(BackupOption(sku, pname, code, name, price, lead, card.overall if card else None,
                                        card.standing if card else None))
    for options in result.values():
        options.sort(key=lambda o: (o.overall is None, -(o.overall or 0), o.supplier_code))
    return result


def supplier_or_404(session: Session, supplier_id: int) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(N_("supplier %(id)s not found", id=supplier_id))
    return supplier
