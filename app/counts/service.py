"""Cycle counts and the year-end full count: open (snapshot) → count (blind) → submit → approve.

Opening a count snapshots each line's on-hand figure (`system_quantity`). Counters never see
it. On approval each line's correction is `counted − system snapshot`, applied as a delta to
the current balance. Why not "set on hand to counted"? Movements recorded after the snapshot
(shipments, receipts while the count ran) are real and must stay: the count measured the
stock as it was at the snapshot, so only the difference between that and the snapshot is an
error of the books. A correction may leave on hand below reserved (the count records reality;
the stock core raises a `count_below_reserved` alert).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app import numbering
from app.audit.service import Actor, record_audit
from app.catalog.models import Category, Product
from app.counts.models import CountKind, CountScope, CountStatus, CycleCount, CycleCountLine
from app.counts.variance import line_variance
from app.errors import N_, Conflict, InvalidState, NotFound, ValidationFailed, word
from app.paging import AnySelect, Page, Sort, clamp_page, sorted_by
from app.settings.service import get_setting
from app.stock.models import MovementKind, StockBalance, Warehouse
from app.stock.service import StockEffect, post_stock_effects
from app.stock.totals import balance_totals

SOURCE = "count"
ACTIVE = (CountStatus.OPEN.value, CountStatus.SUBMITTED.value)


def get_count(session: Session, count_id: int, *, for_update: bool = False) -> CycleCount:
    stmt = select(CycleCount).where(CycleCount.id == count_id).options(
        selectinload(CycleCount.lines).selectinload(CycleCountLine.product), selectinload(CycleCount.warehouse),
        selectinload(CycleCount.category))
    if for_update:
        stmt = stmt.with_for_update(of=CycleCount)
    count = session.scalar(stmt)
    if count is None:
        raise NotFound(N_("count %(id)s not found", id=count_id), count_id=count_id)
    return count


MAX_TOP_VALUE = 500


def _parse_skus(raw: Sequence[str]) -> list[str]:
    """Distinct SKUs in the order given (blank entries dropped)."""
    seen: dict[str, None] = {}
    for sku in raw:
        if sku.strip():
            seen.setdefault(sku.strip(), None)
    return list(seen)


def _snapshot_rows(
    session: Session, *, warehouse_id: int, scope: str, category_id: int | None, skus: Sequence[str],
    top_value: int | None,
) -> list[tuple[int, int]]:
    """(product id, on hand) of the products the count covers, by SKU."""
    totals = balance_totals(StockBalance.warehouse_id == warehouse_id)
    snapshot = (
        select(totals.c.product_id, totals.c.on_hand)
        .join(Product, Product.id == totals.c.product_id)
    )
    if scope == CountScope.CATEGORY:
        snapshot = snapshot.where(Product.category_id == category_id)
    elif scope == CountScope.SKUS:
        snapshot = snapshot.where(Product.sku.in_(skus))
    elif scope == CountScope.TOP_VALUE:
        # Value at risk = on hand × unit cost: what a wrong book figure could be worth.
        top = (snapshot.where(totals.c.on_hand > 0)
               .order_by((totals.c.on_hand * Product.unit_cost).desc(), Product.sku).limit(top_value))
        ids = [pid for pid, _ in session.execute(top).all()]
        snapshot = snapshot.where(totals.c.product_id.in_(ids))
    rows = session.execute(snapshot.order_by(Product.sku)).all()
    return [(pid, on_hand) for pid, on_hand in rows]


def open_count(
    session: Session, actor: Actor, *, warehouse_id: int, category_id: int | None = None, kind: str = "cycle",
    skus: Sequence[str] = (), top_value: int | None = None, today: dt.date | None = None,
) -> CycleCount:
    """Open a count of the products with a balance in the warehouse: all of them, one category,
    the SKUs picked (`skus`), or the `top_value` SKUs with the largest value at risk.

    A `full` count ignores the scope arguments and covers everything. Picked SKUs win over
    `top_value`, which wins over the category. Raises `Conflict` when an unfinished count in the
    warehouse already covers one of these products, `ValidationFailed` naming the field when a
    SKU is unknown or has no balance there, or when there is nothing to count.
    """
    if kind not in {k.value for k in CountKind}:
        raise ValidationFailed(f"unknown count kind {kind!r}", [{"field": "kind", "message": N_("unknown kind")}])
    picked = _parse_skus(skus)
    if kind == CountKind.FULL:
        category_id, picked, top_value = None, [], None
    scope = (CountScope.SKUS if picked else CountScope.TOP_VALUE if top_value
             else CountScope.CATEGORY if category_id is not None else CountScope.WAREHOUSE)
    if top_value is not None and not 1 <= top_value <= MAX_TOP_VALUE:
        raise ValidationFailed(N_("between 1 and %(n)s", n=MAX_TOP_VALUE),
                               [{"field": "top_value", "message": N_("between 1 and %(n)s", n=MAX_TOP_VALUE)}])
    if session.get(Warehouse, warehouse_id) is None:
        raise ValidationFailed(N_("unknown warehouse"), [{"field": "warehouse", "message": N_("unknown warehouse")}])
    rows = _snapshot_rows(session, warehouse_id=warehouse_id, scope=scope, category_id=category_id, skus=picked,
                          top_value=top_value)
    if scope == CountScope.SKUS:
        found = set(session.scalars(select(Product.sku).where(Product.id.in_([pid for pid, _ in rows]))))
        missing = [sku for sku in picked if sku not in found]
        if missing:
            message = N_("no balance in this warehouse for: %(skus)s", skus=", ".join(missing))
            raise ValidationFailed(message, [{"field": "skus", "message": message}])
    if not rows:
        raise ValidationFailed(N_("nothing to count: no product has a balance there"),
                               [{"field": "warehouse", "message": N_("no stock to count")}])
    clash = session.scalar(
        select(CycleCount.number).join(CycleCountLine, CycleCountLine.cycle_count_id == CycleCount.id)
        .where(CycleCount.warehouse_id == warehouse_id, CycleCount.status.in_(ACTIVE),
               CycleCountLine.product_id.in_([pid for pid, _ in rows]))
        .limit(1))
    if clash:
        raise Conflict(N_("count %(number)s already covers this stock; finish or cancel it first", number=clash),
                       count=clash)
    count = CycleCount(
        warehouse_id=warehouse_id, category_id=category_id if scope == CountScope.CATEGORY else None, kind=kind,
        scope=scope.value, status=CountStatus.OPEN.value, created_by_id=actor.staff_id,
        lines=[CycleCountLine(product_id=pid, system_quantity=on_hand) for pid, on_hand in rows],
    )
    numbering.assign_number(session, count, numbering.CYCLE_COUNT, today or dt.datetime.now(dt.UTC).date())
    record_audit(session, actor, "count.open", "cycle_count", count.id, number=count.number, kind=kind,
                 scope=scope.value, warehouse_id=warehouse_id, category_id=category_id, lines=len(rows))
    return count


def sku_choices(session: Session, limit: int = 5000) -> list[tuple[str, str]]:
    """(SKU, name) of active products for the count form's SKU picker."""
    return [(sku, name) for sku, name in session.execute(
        select(Product.sku, Product.name).where(Product.is_active.is_(True)).order_by(Product.sku).limit(limit))]


def record_counts(
    session: Session, actor: Actor, *, count_id: int, counted: Mapping[int, int | None], submit: bool,
    now: dt.datetime,
) -> CycleCount:
    """Store counted quantities (line id → quantity; None = not counted yet); optionally submit.

    Submitting needs every line counted. Errors name `lines-N-counted` (N = line position).
    """
    count = get_count(session, count_id, for_update=True)
    if count.status != CountStatus.OPEN:
        raise InvalidState(N_("count %(number)s is %(status)s; counting is closed", number=count.number,
                              status=word(str(count.status))), status_now=count.status)
    errors = []
    for i, line in enumerate(count.lines):
        qty = counted.get(line.id, line.counted_quantity)
        if qty is not None and qty < 0:
            errors.append({"field": f"lines-{i}-counted", "message": N_("cannot be negative")})
        elif qty is None and submit:
            errors.append({"field": f"lines-{i}-counted", "message": N_("not counted yet")})
    if errors:
        raise ValidationFailed(N_("%(n)s line(s) need attention", n=len(errors)), errors)
    for line in count.lines:
        if line.id in counted:
            line.counted_quantity = counted[line.id]
    if submit:
        count.status = CountStatus.SUBMITTED.value
        count.submitted_at = now
        count.submitted_by_id = actor.staff_id
    record_audit(session, actor, "count.submit" if submit else "count.save", "cycle_count", count.id,
                 number=count.number, counted=sum(1 for ln in count.lines if ln.counted_quantity is not None))
    return count


def approval_blocked_for(session: Session, count: CycleCount, actor: Actor) -> bool:
    """True when separation of duties is on and `actor` submitted the count (so may not approve it)."""
    return (actor.staff_id is not None and actor.staff_id == count.submitted_by_id
            and bool(get_setting(session, "count_separation_of_duties")))


def approve_count(session: Session, actor: Actor, *, count_id: int, now: dt.datetime) -> CycleCount:
    """Approve a submitted count: each variance becomes a `count_correction` movement.

    The delta is counted − snapshot (see the module docstring). Raises `InvalidState`
    unless submitted; `StockRuleBroken` if a correction would take on hand below zero
    (stock left after the snapshot): cancel and count again.
    """
    count = get_count(session, count_id, for_update=True)
    if count.status != CountStatus.SUBMITTED:
        raise InvalidState(N_("count %(number)s is %(status)s; only a submitted count can be approved",
                              number=count.number, status=word(str(count.status))),
                           status_now=count.status)
    if approval_blocked_for(session, count, actor):
        raise Conflict(N_("separation of duties: you submitted count %(number)s, so another user must approve it",
                          number=count.number), count=count.number, rule="separation_of_duties")
    effects = []
    for line in count.lines:
        assert line.counted_quantity is not None  # noqa: S101 (narrowing: submit guarantees it)
        delta = line.counted_quantity - line.system_quantity
        if delta:
            effects.append(StockEffect(
                line.product_id, count.warehouse_id, MovementKind.COUNT_CORRECTION.value, delta, occurred_at=now,
                event_id=f"{count.number}:{line.id}", reference_type="cycle_count", reference_id=count.number,
                note=f"counted {line.counted_quantity}, system {line.system_quantity}", may_undercut_reserved=True,
            ))
    if effects:
        post_stock_effects(session, effects, source=SOURCE, now=now, user_id=actor.staff_id)
    count.status = CountStatus.APPROVED.value
    count.approved_at = now
    count.approved_by_id = actor.staff_id
    summary = review_summary(count)
    record_audit(session, actor, "count.approve", "cycle_count", count.id, number=count.number,
                 corrections=len(effects), variance_units=summary.variance_units,
                 variance_value=str(summary.variance_value))
    return count


def cancel_count(session: Session, actor: Actor, *, count_id: int) -> CycleCount:
    count = get_count(session, count_id, for_update=True)
    if count.status not in ACTIVE:
        raise InvalidState(N_("count %(number)s is %(status)s; it cannot be cancelled", number=count.number,
                              status=word(str(count.status))), status_now=count.status)
    count.status = CountStatus.CANCELLED.value
    record_audit(session, actor, "count.cancel", "cycle_count", count.id, number=count.number)
    return count


@dataclass(frozen=True)
class ReviewLine:
    position: int
    sku: str
    name: str
    system_quantity: int
    counted_quantity: int | None
    variance: int | None
    variance_value: Decimal | None


@dataclass(frozen=True)
class ReviewSummary:
    lines: list[ReviewLine]
    counted: int
    with_variance: int
    variance_units: int
    variance_value: Decimal

    @property
    def variances_first(self) -> list[ReviewLine]:
        """Lines with a variance (largest value first), then lines not counted; zero-variance lines left out."""
        differ = sorted((r for r in self.lines if r.variance), key=lambda r: (-abs(r.variance_value or Decimal(0)), r.sku))
        return differ + [r for r in self.lines if r.counted_quantity is None]

    @property
    def agreeing(self) -> list[ReviewLine]:
        """Counted lines where count and snapshot agree."""
        return [r for r in self.lines if r.variance == 0]


def review_summary(count: CycleCount) -> ReviewSummary:
    """System vs counted for every line, variances and their value (unit cost × variance)."""
    out = []
    for i, ln in enumerate(count.lines):
        v = line_variance(ln.system_quantity, ln.counted_quantity, ln.product.unit_cost)
        out.append(ReviewLine(i, ln.product.sku, ln.product.name, ln.system_quantity, ln.counted_quantity,
                              None if v is None else v.quantity, None if v is None else v.value))
    return ReviewSummary(
        lines=out,
        counted=sum(1 for r in out if r.counted_quantity is not None),
        with_variance=sum(1 for r in out if r.variance),
        variance_units=sum(r.variance or 0 for r in out),
        variance_value=sum((r.variance_value or Decimal(0) for r in out), Decimal(0)),
    )


@dataclass(frozen=True)
class CountRow:
    id: int
    number: str
    kind: str
    status: str
    warehouse_code: str
    category: str | None
    lines: int
    counted: int
    created_at: dt.datetime
    approved_at: dt.datetime | None
    scope: str = CountScope.WAREHOUSE.value
    category_zh: str | None = None


# The count list's sortable columns (the web layer's whitelist).
COUNT_SORTS = {"number": CycleCount.number, "kind": CycleCount.kind, "status": CycleCount.status,
               "warehouse": Warehouse.code, "created": CycleCount.created_at,
               "approved": CycleCount.approved_at}


def list_counts(
    session: Session, *, status: str | None = None, warehouse_id: int | None = None, page: int = 1,
    per_page: int | None = 50, sort: Sort | None = None,
) -> Page[CountRow]:
    """Counts newest first, or by `sort` (a key of COUNT_SORTS); 2 queries whatever the number
    of rows; `per_page=None` = all."""
    agg = (
        select(CycleCountLine.cycle_count_id, func.count().label("n"),
               func.count(CycleCountLine.counted_quantity).label("counted"))
        .group_by(CycleCountLine.cycle_count_id).subquery()
    )
    stmt = (
        select(CycleCount.id, CycleCount.number, CycleCount.kind, CycleCount.status, Warehouse.code, Category.name,
               func.coalesce(agg.c.n, 0), func.coalesce(agg.c.counted, 0), CycleCount.created_at,
               CycleCount.approved_at, CycleCount.scope, Category.name_zh)
        .join(Warehouse, Warehouse.id == CycleCount.warehouse_id)
        .outerjoin(Category, Category.id == CycleCount.category_id)
        .outerjoin(agg, agg.c.cycle_count_id == CycleCount.id)
    )
    if status == "active":
        stmt = stmt.where(CycleCount.status.in_(ACTIVE))
    elif status:
        stmt = stmt.where(CycleCount.status == status)
    if warehouse_id is not None:
        stmt = stmt.where(CycleCount.warehouse_id == warehouse_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = clamp_page(page)
    ordered: AnySelect = sorted_by(stmt, sort, COUNT_SORTS, CycleCount.id.desc())
    if per_page is not None:
        ordered = ordered.limit(per_page).offset((page - 1) * per_page)
    return Page([CountRow(*r) for r in session.execute(ordered).all()], total, page, per_page or max(total, 1))
