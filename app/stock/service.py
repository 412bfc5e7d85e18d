"""Every stock effect in the product goes through here: lock → plan (pure) → write.

`stock_change` is the one entry point that changes balances:

    with stock_change(session, keys=..., source=..., now=...) as change:  # 1. lock
        change.add(StockEffect(...))                                        # 2. plan (pure)
    change.changed                                                          # 3. written on exit

1. on entry it locks the balance rows (by key, or every row of some products) in the
   global order and hands back a `StockPlan` over their positions;
2. the body plans against that `StockPlan`: each `add` applies the pure rules of
   `app.stock.ledger` at once (the positions it shows already include the earlier
   effects: a later count in the same batch sees the earlier lines), and
   `require_available` names every shortage (`InsufficientStock`). The body may write its
   own rows (a reservation's, a transfer's) while the locks are held;
3. on a clean exit it appends the movements and stores the planned positions with their
   change-log rows (`repository.write_balances`) — the positions are applied once, here
   nothing is re-computed. On an exception nothing is written; a `NegativeStock` that
   escapes the body becomes `StockRuleBroken`.

`post_stock_effects` (a fixed list of effects), `record_movements` (a warehouse batch),
the transfers and the imports all go through it.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.errors import N_, Conflict, ValidationFailed
from app.stock import repository as repo
from app.stock.ledger import (
    BalanceChange,
    InsufficientStock,
    Key,
    NegativeStock,
    Position,
    WarehouseRef,
    apply_change,
    count_correction,
    shortages_of,
)
from app.stock.models import MovementKind
from app.stock.repository import BalanceRow

# Kinds that take stock out of on hand: their quantity is stored negative in the ledger.
OUTBOUND_KINDS = frozenset({MovementKind.SHIPMENT, MovementKind.TRANSFER_OUT, MovementKind.SUPPLIER_RETURN,
                            MovementKind.DAMAGE})
# The input kind that sets on hand to a counted figure (booked as a `count_correction`).
COUNT = "count"


class StockRuleBroken(Conflict):
    """A change would break a stock invariant (e.g. on hand below reserved)."""

    code = "stock-rule"
    title = N_("Stock rule broken")


@dataclass(frozen=True)
class StockEffect:
    """One effect on one balance: an optional ledger movement plus reserved/in-transit deltas.

    `quantity` is the signed ledger quantity (0 = no movement), already in ledger sign.
    """

    product_id: int
    warehouse_id: int
    kind: str | None = None
    quantity: int = 0
    reserved_delta: int = 0
    in_transit_delta: int = 0
    occurred_at: dt.datetime | None = None
    event_id: str | None = None
    reference_type: str | None = None
    reference_id: str | None = None
    note: str | None = None
    may_undercut_reserved: bool = False
    # A zero-quantity count still records its event id (so a replay is recognised).
    record_zero: bool = False
    # The bucket of a hot balance this effect's reserved change belongs to (a reservation's
    # allocation); None for effects on the balance as a whole (its buckets are rebalanced).
    bucket: int | None = None

    @property
    def key(self) -> Key:
        return (self.product_id, self.warehouse_id)

    def as_change(self) -> BalanceChange:
        return BalanceChange(self.product_id, self.warehouse_id, self.quantity, self.reserved_delta,
                             self.in_transit_delta, self.may_undercut_reserved)


class StockPlan:
    """The planning step of `stock_change`: effects checked against the locked positions.

    Pure (no session): `add` applies the ledger rules to the running position of its key
    and raises `NegativeStock` (the effect is then not part of the plan). The same class
    plans a preview over unlocked positions (`preview_movements`), so a preview and the
    write apply one set of rules.
    """

    def __init__(self, positions: Mapping[Key, Position], warehouses: Sequence[WarehouseRef] = ()) -> None:
        self._base = dict(positions)
        self.positions: dict[Key, Position] = {}  # the new positions of the keys touched
        self.effects: list[StockEffect] = []
        self.warehouses = list(warehouses)  # active warehouses of the locked rows (product locks)
        self.changed: list[BalanceRow] = []  # filled by the write step

    def position(self, key: Key) -> Position:
        """The running position: the locked figure plus every effect added so far."""
        return self.positions.get(key) or self._base.get(key) or Position()

    def locked_keys(self) -> list[Key]:
        return sorted(self._base)

    def add(self, effect: StockEffect) -> Position:
        new = apply_change(self.position(effect.key), effect.as_change())
        self.positions[effect.key] = new
        self.effects.append(effect)
        return new

    def add_all(self, effects: Iterable[StockEffect]) -> None:
        for effect in effects:
            self.add(effect)

    def require_available(self, demands: Iterable[tuple[Key, int]]) -> None:
        """Raise `InsufficientStock` naming every key whose available is below its demand."""
        wanted = list(demands)
        shortages = shortages_of({k: self.position(k) for k, _ in wanted}, wanted)
        if shortages:
            raise InsufficientStock(shortages)


@contextmanager
def stock_change(
    session: Session,
    *,
    source: str,
    now: dt.datetime,
    keys: Iterable[Key] = (),
    product_ids: Iterable[int] | None = None,
    create: bool = True,
    user_id: int | None = None,
    locked: Mapping[Key, BalanceRow] | None = None,
) -> Iterator[StockPlan]:
    """Lock → plan → write (module docstring). Locks `keys` (created if missing unless
    `create=False`) or, with `product_ids`, every existing balance of those products (the
    `StockPlan` then lists their active warehouses). `locked`: rows the caller holds already.

    An effect on a key that was not locked is a programming error (`LookupError`).
    The change-log rows are written with the balances (`repository.write_balances`); a
    bucketed (hot) balance's buckets are rebalanced on the way.
    """
    balances: dict[Key, BalanceRow] = dict(locked or {})
    warehouses: list[WarehouseRef] = []
    if product_ids is not None:
        rows, warehouses = repo.lock_product_stock(session, product_ids)
        balances.update(rows)
    wanted = [k for k in keys if k not in balances]
    if wanted:
        balances.update(repo.lock_balances(session, wanted, create=create))
    plan = StockPlan({k: repo.position_of(b) for k, b in balances.items()}, warehouses)
    try:
        yield plan
    except NegativeStock as exc:
        raise StockRuleBroken(
            f"{exc.reason} (product {exc.key[0]}, warehouse {exc.key[1]}: on hand {exc.position.on_hand}, "
            f"reserved {exc.position.reserved}, change {exc.change.on_hand_delta:+d})",
            product_id=exc.key[0], warehouse_id=exc.key[1],
        ) from exc
    plan.changed = _write_plan(session, balances, plan, source=source, now=now, user_id=user_id)


def _write_plan(
    session: Session, balances: Mapping[Key, BalanceRow], plan: StockPlan, *, source: str, now: dt.datetime,
    user_id: int | None,
) -> list[BalanceRow]:
    """The write step: movements, then the planned positions with their change-log rows."""
    unlocked = sorted(set(plan.positions) - set(balances))
    if unlocked:
        raise LookupError(f"stock effects on balances that were not locked: {unlocked}")
    repo.append_movements(session, [
        repo.MovementRow(
            product_id=e.product_id, warehouse_id=e.warehouse_id, kind=e.kind, quantity=e.quantity,
            occurred_at=e.occurred_at or now, source=source, event_id=e.event_id,
            reference_type=e.reference_type, reference_id=e.reference_id, note=e.note, user_id=user_id,
        )
        for e in plan.effects
        if e.kind is not None and (e.quantity != 0 or e.record_zero)
    ])
    bucket_deltas: dict[repo.BucketKey, tuple[int, int]] = {}
    for e in plan.effects:
        if e.bucket is not None:
            on_hand, reserved = bucket_deltas.get((e.product_id, e.warehouse_id, e.bucket), (0, 0))
            bucket_deltas[(e.product_id, e.warehouse_id, e.bucket)] = (on_hand + e.quantity, reserved + e.reserved_delta)
    changed = repo.write_balances(session, balances, plan.positions, bucket_deltas)
    for bal in changed:
        if bal.reserved > bal.on_hand:
            session.add(Alert(
                kind="count_below_reserved", product_id=bal.product_id, warehouse_id=bal.warehouse_id,
                message=f"on hand {bal.on_hand} is below reserved {bal.reserved} after a count",
                details=json.dumps({"on_hand": bal.on_hand, "reserved": bal.reserved}),
            ))
    return changed


def post_stock_effects(
    session: Session,
    effects: Sequence[StockEffect],
    *,
    source: str,
    now: dt.datetime,
    user_id: int | None = None,
    locked: Mapping[Key, BalanceRow] | None = None,
) -> list[BalanceRow]:
    """Apply a fixed list of `effects` in order as one unit (`stock_change`); returns the
    balances that changed (new figures). Raises `StockRuleBroken` (nothing written) when an
    invariant would break. `locked` may pass balances the caller already locked."""
    with stock_change(session, keys=[e.key for e in effects], source=source, now=now, user_id=user_id,
                      locked=locked) as change:
        change.add_all(effects)
    return change.changed


@dataclass(frozen=True)
class MovementInput:
    """A movement as pushed by a warehouse (API sync) or made by an internal document.

    For `kind == "count"`, `quantity` is the counted on-hand figure (≥ 0); an `adjustment`
    is signed (≠ 0); every other kind takes a positive amount, signed by kind here.
    """

    product_id: int
    warehouse_id: int
    kind: str
    quantity: int
    occurred_at: dt.datetime
    event_id: str | None = None
    reference_type: str | None = None
    reference_id: str | None = None
    note: str | None = None

    @property
    def key(self) -> Key:
        return (self.product_id, self.warehouse_id)


def movement_quantity_error(kind: str, quantity: int) -> str | None:
    """The quantity rule of a movement (docs/api.md: `quantity > 0` where a movement is
    meant): why `quantity` is wrong for `kind`, or None. A wrong sign is refused, never flipped."""
    if kind == COUNT:
        return "a count cannot be negative" if quantity < 0 else None
    if kind == MovementKind.ADJUSTMENT:
        return "an adjustment cannot be zero" if quantity == 0 else None
    return f"a {kind} needs quantity > 0" if quantity <= 0 else None


def _check_quantities(movements: Sequence[MovementInput]) -> None:
    errors = [{"field": f"movements[{i}].quantity", "message": message}
              for i, m in enumerate(movements) if (message := movement_quantity_error(m.kind, m.quantity))]
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid movement field(s)", errors)


def _movement_effect(m: MovementInput, on_hand: int) -> StockEffect:
    if m.kind == COUNT:
        return StockEffect(
            m.product_id, m.warehouse_id, MovementKind.COUNT_CORRECTION.value, count_correction(on_hand, m.quantity),
            occurred_at=m.occurred_at, event_id=m.event_id, reference_type=m.reference_type,
            reference_id=m.reference_id, note=m.note or f"counted {m.quantity}", may_undercut_reserved=True,
            record_zero=True,
        )
    signed = -m.quantity if m.kind in OUTBOUND_KINDS else m.quantity
    return StockEffect(m.product_id, m.warehouse_id, m.kind, signed, occurred_at=m.occurred_at, event_id=m.event_id,
                       reference_type=m.reference_type, reference_id=m.reference_id, note=m.note)


@dataclass(frozen=True)
class RefusedMovement:
    """A movement the ledger rules refuse: `position` is the balance it would have changed."""

    index: int
    reason: str
    position: Position


@dataclass
class MovementPlan:
    """Which movements of a batch apply, which are duplicates (event id seen), which are refused."""

    applied: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    refused: list[RefusedMovement] = field(default_factory=list)


def plan_movements(
    plan: StockPlan, movements: Sequence[MovementInput], seen: set[str], *, stop_at_refusal: bool
) -> MovementPlan:
    """Plan a batch in order (pure): duplicates by event id (also within the batch) are
    skipped, a count becomes the correction to the running on hand, a refused movement is
    left out (and ends the planning with `stop_at_refusal`)."""
    out = MovementPlan()
    for index, m in enumerate(movements):
        if m.event_id:
            if m.event_id in seen:
                out.duplicates.append(index)
                continue
            seen.add(m.event_id)
        try:
            plan.add(_movement_effect(m, plan.position(m.key).on_hand))
        except NegativeStock as exc:
            out.refused.append(RefusedMovement(index, exc.reason, exc.position))
            if stop_at_refusal:
                break
            continue
        out.applied.append(index)
    return out


@dataclass
class SyncResult:
    applied: int = 0
    duplicates: int = 0
    changed: list[BalanceRow] = field(default_factory=list)


def record_movements(
    session: Session, movements: Sequence[MovementInput], *, source: str, now: dt.datetime, user_id: int | None = None
) -> SyncResult:
    """Apply a batch of movements whole or not at all, skipping event ids seen before.

    Duplicates (by `source` + `event_id`, also within the batch) are counted, not applied.
    A `count` sets on hand to the counted figure through a count-correction movement.
    Raises `ValidationFailed` naming `movements[i].quantity` for a quantity of the wrong
    sign (`movement_quantity_error`) or one the ledger rules refuse; nothing is written then.
    """
    _check_quantities(movements)
    with stock_change(session, keys=[m.key for m in movements], source=source, now=now, user_id=user_id) as change:
        # Locked first, then the event ids: a concurrent batch with the same ids has
        # either committed (we see it) or waits behind us on the same balance rows.
        ids = [m.event_id for m in movements if m.event_id]
        seen = repo.seen_event_ids(session, source, ids) if ids else set()
        planned = plan_movements(change, movements, seen, stop_at_refusal=True)
        if planned.refused:
            bad = planned.refused[0]
            raise ValidationFailed(
                f"movements[{bad.index}]: {bad.reason} (on hand {bad.position.on_hand}, reserved {bad.position.reserved})",
                [{"field": f"movements[{bad.index}].quantity", "message": bad.reason}],
            )
    return SyncResult(applied=len(planned.applied), duplicates=len(planned.duplicates), changed=change.changed)


def preview_movements(session: Session, movements: Sequence[MovementInput], *, source: str) -> MovementPlan:
    """What `record_movements` would do with this batch now, without locking or writing
    (refused movements are left out and the rest planned on); for an import's preview."""
    _check_quantities(movements)
    plan = StockPlan(repo.read_positions(session, [m.key for m in movements]))
    ids = [m.event_id for m in movements if m.event_id]
    seen = repo.seen_event_ids(session, source, ids) if ids else set()
    return plan_movements(plan, movements, seen, stop_at_refusal=False)
