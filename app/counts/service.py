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
from app.audit.models import AuditEntry
from app.audit.service import Actor, get_setting, record_audit
from app.catalog.models import Category, Product
from app.counts.models import CountKind, CountStatus, CycleCount, CycleCountLine
from app.counts.variance import line_variance
from app.errors import N_, Conflict, Forbidden, InvalidState, NotFound, ValidationFailed, word
from app.paging import Page, clamp_page
from app.stock.models import MovementKind, StockBalance, Warehouse
from app.stock.service import StockEffect, post_stock_effects

SOURCE = "count"
ACTIVE = (CountStatus.OPEN.value, CountStatus.SUBMITTED.value)


def get_count(session: Session, count_id: int, *, for_update: bool = False) -> CycleCount:
    stmt = select(CycleCount).where(CycleCount.id == count_id).options(
        selectinload(CycleCount.lines).selectinload(CycleCountLine.product), selectinload(CycleCount.warehouse))
    if for_update:
        stmt = stmt.with_for_update(of=CycleCount)
    count = session.scalar(stmt)
    if count is None:
        raise NotFound(N_("count %(id)s not found", id=count_id), count_id=count_id)
    return count


def open_count(
    session: Session, actor: Actor, *, warehouse_id: int, category_id: int | None = None, kind: str = "cycle",
    today: dt.date | None = None, skus: Sequence[str] = (), top_value: int | None = None,
) -> CycleCount:
    """Open a count of every product with a balance in the warehouse (or one category of them),
    or only of the chosen `skus`, or of the `top_value` products with the largest stock value
    there (on hand × unit cost: the value at risk).

    A `full` count ignores `category_id`, `skus` and `top_value`. Raises `Conflict` when an
    unfinished count already covers the same warehouse, `ValidationFailed` (field `skus`) for
    unknown SKUs, or when there is nothing to count.
    """
    if kind not in {k.value for k in CountKind}:
        raise ValidationFailed(f"unknown count kind {kind!r}", [{"field": "kind", "message": N_("unknown kind")}])
    if kind == CountKind.FULL:
        category_id, skus, top_value = None, (), None
    wanted = sorted({sku.strip() for sku in skus if sku.strip()})
    chosen: set[int] | None = None
    if wanted:
        found = {sku: pid for sku, pid in session.execute(select(Product.sku, Product.id).where(Product.sku.in_(wanted)))}
        unknown = [sku for sku in wanted if sku not in found]
        if unknown:
            raise ValidationFailed(N_("unknown SKU(s): %(skus)s", skus=", ".join(unknown)),
                                   [{"field": "skus", "message": N_("unknown SKU(s): %(skus)s", skus=", ".join(unknown))}])
        chosen = set(found.values())
    if session.get(Warehouse, warehouse_id) is None:
        raise ValidationFailed(N_("unknown warehouse"), [{"field": "warehouse", "message": N_("unknown warehouse")}])
    overlapping = select(CycleCount.number).where(CycleCount.warehouse_id == warehouse_id,
                                                  CycleCount.status.in_(ACTIVE))
    if category_id is not None:
        overlapping = overlapping.where((CycleCount.category_id.is_(None)) | (CycleCount.category_id == category_id))
    clash = session.scalar(overlapping.limit(1))
    if clash:
        raise Conflict(N_("count %(number)s already covers this stock; finish or cancel it first", number=clash),
                       count=clash)
    snapshot = (
        select(StockBalance.product_id, StockBalance.on_hand)
        .join(Product, Product.id == StockBalance.product_id)
        .where(StockBalance.warehouse_id == warehouse_id)
        .order_by(Product.sku)
    )
    if category_id is not None:
        snapshot = snapshot.where(Product.category_id == category_id)
    if chosen is not None:
        snapshot = snapshot.where(Product.id.in_(chosen))
    if top_value:
        top = (select(Product.id).join(StockBalance, StockBalance.product_id == Product.id)
               .where(StockBalance.warehouse_id == warehouse_id, StockBalance.on_hand > 0)
               .order_by((StockBalance.on_hand * Product.unit_cost).desc(), Product.sku).limit(top_value))
        if category_id is not None:
            top = top.where(Product.category_id == category_id)
        snapshot = snapshot.where(Product.id.in_(top.scalar_subquery()))
    rows = session.execute(snapshot).all()
    if not rows:
        raise ValidationFailed(N_("nothing to count: no product has a balance there"),
                               [{"field": "warehouse", "message": N_("no stock to count")}])
    count = CycleCount(
        warehouse_id=warehouse_id, category_id=category_id, kind=kind, status=CountStatus.OPEN.value,
        created_by_id=actor.staff_id,
        lines=[CycleCountLine(product_id=pid, system_quantity=on_hand) for pid, on_hand in rows],
    )
    numbering.assign_number(session, count, numbering.CYCLE_COUNT, today or dt.datetime.now(dt.UTC).date())
    record_audit(session, actor, "count.open", "cycle_count", count.id, number=count.number, kind=kind,
                 warehouse_id=warehouse_id, category_id=category_id, lines=len(rows))
    return count


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
    record_audit(session, actor, "count.submit" if submit else "count.save", "cycle_count", count.id,
                 number=count.number, counted=sum(1 for ln in count.lines if ln.counted_quantity is not None))
    return count


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
    if get_setting(session, "count_separate_approver") and actor.staff_id is not None \
            and submitted_by(session, count) == actor.staff_id:
        raise Forbidden(N_("you submitted count %(number)s: another person must approve it (separation of duties)",
                           number=count.number))
    effects = []
    for line in count.lines:
        assert line.counted_quantity is not None  # submit guarantees it
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


def submitted_by(session: Session, count: CycleCount) -> int | None:
    """The staff user who submitted the count, from its audit trail (the `count.submit` entry)."""
    return session.scalar(
        select(AuditEntry.actor_id).where(AuditEntry.entity_type == "cycle_count",
                                          AuditEntry.entity_id == str(count.id), AuditEntry.action == "count.submit",
                                          AuditEntry.actor_type == "staff")
        .order_by(AuditEntry.id.desc()).limit(1))


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


def review_summary(count: CycleCount) -> ReviewSummary:
    """System vs counted for every line, variances and their value (unit cost × variance)."""
    out = []
    for i, ln in enumerate(count.lines):
        v = line_variance(ln.system_quantity, ln.counted_quantity, ln.product.unit_cost)
        out.append(ReviewLine(i, ln.product.sku, ln.product.name, ln.system_quantity, ln.counted_quantity,
                              v and v.quantity, v and v.value))
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


def list_counts(
    session: Session, *, status: str | None = None, warehouse_id: int | None = None, page: int = 1,
    per_page: int | None = 50,
) -> Page[CountRow]:
    """Counts newest first (2 queries whatever the number of rows; `per_page=None` = all)."""
    agg = (
        select(CycleCountLine.cycle_count_id, func.count().label("n"),
               func.count(CycleCountLine.counted_quantity).label("counted"))
        .group_by(CycleCountLine.cycle_count_id).subquery()
    )
    stmt = (
        select(CycleCount.id, CycleCount.number, CycleCount.kind, CycleCount.status, Warehouse.code, Category.name,
               func.coalesce(agg.c.n, 0), func.coalesce(agg.c.counted, 0), CycleCount.created_at,
               CycleCount.approved_at)
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
    stmt = stmt.order_by(CycleCount.id.desc())
    if per_page is not None:
        stmt = stmt.limit(per_page).offset((page - 1) * per_page)
    return Page([CountRow(*r) for r in session.execute(stmt).all()], total, page, per_page or max(total, 1))
