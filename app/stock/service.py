"""Every stock effect in the product goes through here: lock, plan (pure), write.

`post_stock_effects` is the one path that changes balances: it locks the rows in the
global order, applies the pure ledger rules, appends ledger movements, stores the
balances with their change-log rows — all in the caller's transaction.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.audit.models import Alert
from app.errors import N_, Conflict, ValidationFailed
from app.stock import repository as repo
from app.stock.ledger import BalanceChange, Key, NegativeStock, apply_changes, count_correction
from app.stock.models import MovementKind
from app.stock.repository import BalanceRow

# Kinds that take stock out of on hand: their quantity is stored negative in the ledger.
OUTBOUND_KINDS = frozenset({MovementKind.SHIPMENT, MovementKind.TRANSFER_OUT, MovementKind.SUPPLIER_RETURN,
                            MovementKind.DAMAGE})


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


def post_stock_effects(
    session: Session,
    effects: Sequence[StockEffect],
    *,
    source: str,
    now: dt.datetime,
    user_id: int | None = None,
    locked: Mapping[Key, BalanceRow] | None = None,
) -> list[BalanceRow]:
    """Apply `effects` in order as one unit; returns the balances that changed (new figures).

    Raises `StockRuleBroken` (nothing written) when an invariant would break.
    `locked` may pass balances the caller already locked (in the global order).
    The change-log rows are written with the balances (`repository.write_balances`); a
    bucketed (hot) balance's buckets are rebalanced on the way.
    """
    balances = dict(locked or {})
    needed = [e.key for e in effects if e.key not in balances]
    if needed:
        balances.update(repo.lock_balances(session, needed))
    positions = {k: repo.position_of(b) for k, b in balances.items()}
    changes = [
        BalanceChange(e.product_id, e.warehouse_id, e.quantity, e.reserved_delta, e.in_transit_delta,
                      e.may_undercut_reserved)
        for e in effects
    ]
    try:
        new_positions = apply_changes(positions, changes)
    except NegativeStock as exc:
        raise StockRuleBroken(
            f"{exc.reason} (product {exc.key[0]}, warehouse {exc.key[1]}: on hand {exc.position.on_hand}, "
            f"reserved {exc.position.reserved}, change {exc.change.on_hand_delta:+d})",
            product_id=exc.key[0], warehouse_id=exc.key[1],
        ) from exc
    repo.append_movements(session, [
        repo.MovementRow(
            product_id=e.product_id, warehouse_id=e.warehouse_id, kind=e.kind, quantity=e.quantity,
            occurred_at=e.occurred_at or now, source=source, event_id=e.event_id,
            reference_type=e.reference_type, reference_id=e.reference_id, note=e.note, user_id=user_id,
        )
        for e in effects
        if e.kind is not None and (e.quantity != 0 or e.record_zero)
    ])
    bucket_deltas: dict[repo.BucketKey, tuple[int, int]] = {}
    for e in effects:
        if e.bucket is not None:
            on_hand, reserved = bucket_deltas.get((e.product_id, e.warehouse_id, e.bucket), (0, 0))
            bucket_deltas[(e.product_id, e.warehouse_id, e.bucket)] = (on_hand + e.quantity, reserved + e.reserved_delta)
    changed = repo.write_balances(session, balances, new_positions, bucket_deltas)
    for bal in changed:
        if bal.reserved > bal.on_hand:
            session.add(Alert(
                kind="count_below_reserved", product_id=bal.product_id, warehouse_id=bal.warehouse_id,
                message=f"on hand {bal.on_hand} is below reserved {bal.reserved} after a count",
                details=json.dumps({"on_hand": bal.on_hand, "reserved": bal.reserved}),
            ))
    return changed


@dataclass(frozen=True)
class MovementInput:
    """A movement as pushed by a warehouse (API sync) or made by an internal document.

    For `kind == "count"`, `quantity` is the counted on-hand figure; for the other
    kinds it is a positive amount (`adjustment` may be negative), signed by kind here.
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


@dataclass
class SyncResult:
    applied: int = 0
    duplicates: int = 0
    changed: list[BalanceRow] = field(default_factory=list)


def _ledger_quantity(kind: str, quantity: int) -> int:
    if kind == MovementKind.ADJUSTMENT:
        return quantity
    return -abs(quantity) if kind in OUTBOUND_KINDS else abs(quantity)


def record_movements(
    session: Session, movements: Sequence[MovementInput], *, source: str, now: dt.datetime, user_id: int | None = None
) -> SyncResult:
    """Apply a batch of movements whole or not at all, skipping event ids seen before.

    Duplicates (by `source` + `event_id`, also within the batch) are counted, not applied.
    A `count` sets on hand to the counted figure through a count-correction movement.
    """
    result = SyncResult()
    keys = [(m.product_id, m.warehouse_id) for m in movements]
    # Lock first, then check event ids: a concurrent batch with the same ids has
    # either committed (we see it) or waits behind us on the same balance rows.
    balances = repo.lock_balances(session, keys)
    ids = [m.event_id for m in movements if m.event_id]
    seen = repo.seen_event_ids(session, source, ids) if ids else set()
    running = {k: repo.position_of(b) for k, b in balances.items()}
    effects: list[StockEffect] = []
    for index, m in enumerate(movements):
        if m.event_id:
            if m.event_id in seen:
                result.duplicates += 1
                continue
            seen.add(m.event_id)
        if m.kind == "count":
            delta = count_correction(running[m.product_id, m.warehouse_id].on_hand, m.quantity)
            effect = StockEffect(
                m.product_id, m.warehouse_id, MovementKind.COUNT_CORRECTION.value, delta, occurred_at=m.occurred_at,
                event_id=m.event_id, reference_type=m.reference_type, reference_id=m.reference_id,
                note=m.note or f"counted {m.quantity}", may_undercut_reserved=True, record_zero=True,
            )
        else:
            if m.quantity == 0:
                raise ValidationFailed(
                    f"movements[{index}].quantity must not be zero",
                    [{"field": f"movements[{index}].quantity", "message": "must not be zero"}],
                )
            effect = StockEffect(
                m.product_id, m.warehouse_id, m.kind, _ledger_quantity(m.kind, m.quantity), occurred_at=m.occurred_at,
                event_id=m.event_id, reference_type=m.reference_type, reference_id=m.reference_id, note=m.note,
            )
        # Track the running position so a later count in the same batch sees earlier lines.
        try:
            running.update(apply_changes(running, [BalanceChange(
                effect.product_id, effect.warehouse_id, effect.quantity, 0, 0, effect.may_undercut_reserved)]))
        except NegativeStock as exc:
            raise ValidationFailed(
                f"movements[{index}]: {exc.reason} (on hand {exc.position.on_hand}, reserved {exc.position.reserved})",
                [{"field": f"movements[{index}].quantity", "message": exc.reason}],
            ) from exc
        effects.append(effect)
        result.applied += 1
    result.changed = post_stock_effects(session, effects, source=source, now=now, user_id=user_id, locked=balances)
    return result
