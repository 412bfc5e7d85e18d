"""The pure centre of the stock core: positions, balance changes, allocation plans.

No SQLAlchemy, no Flask, no clock. Everything here is a function of its arguments.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Key = tuple[int, int]  # (product_id, warehouse_id): the global lock order of balances


@dataclass(frozen=True)
class Position:
    """A balance: on hand (what the ledger adds up to), reserved and in transit."""

    on_hand: int = 0
    reserved: int = 0
    in_transit: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class BalanceChange:
    """One effect on one balance. `on_hand_delta` is the signed ledger movement quantity."""

    product_id: int
    warehouse_id: int
    on_hand_delta: int = 0
    reserved_delta: int = 0
    in_transit_delta: int = 0
    # A count records reality: it may leave on hand below reserved (then flagged).
    may_undercut_reserved: bool = False

    @property
    def key(self) -> Key:
        return (self.product_id, self.warehouse_id)


@dataclass(frozen=True)
class Shortage:
    product_id: int
    requested: int
    available: int


class InsufficientStock(Exception):
    """Not enough available stock for a reservation; nothing was allocated."""

    def __init__(self, shortages: Sequence[Shortage]) -> None:
        super().__init__(f"insufficient stock for {len(shortages)} product(s)")
        self.shortages = list(shortages)


class NegativeStock(Exception):
    """A change would make a balance impossible (on hand < 0, reserved > on hand, …)."""

    def __init__(self, key: Key, position: Position, change: BalanceChange, reason: str) -> None:
        super().__init__(reason)
        self.key = key
        self.position = position
        self.change = change
        self.reason = reason


# The balance columns are 32-bit integers: a balance past this is refused here, not by the database (a 500).
MAX_BALANCE = 2**31 - 1


def apply_change(position: Position, change: BalanceChange) -> Position:
    """The position after `change`; raises `NegativeStock` if it breaks an invariant.

    Invariants: 0 ≤ on_hand, in_transit ≤ `MAX_BALANCE`, 0 ≤ reserved ≤ on_hand — the last one may
    be broken only by a change flagged `may_undercut_reserved` (a count), and a change
    that does not lower on hand is never refused for an earlier undercut.
    """
    new = Position(
        on_hand=position.on_hand + change.on_hand_delta,
        reserved=position.reserved + change.reserved_delta,
        in_transit=position.in_transit + change.in_transit_delta,
    )
    if new.on_hand < 0:
        raise NegativeStock(change.key, position, change, "on hand would go below zero")
    if new.reserved < 0:
        raise NegativeStock(change.key, position, change, "reserved would go below zero")
    if new.in_transit < 0:
        raise NegativeStock(change.key, position, change, "in transit would go below zero")
    if max(new.on_hand, new.in_transit) > MAX_BALANCE:
        raise NegativeStock(change.key, position, change, f"the balance would exceed {MAX_BALANCE}")
    worsens = change.on_hand_delta < 0 or change.reserved_delta > 0
    if new.reserved > new.on_hand and worsens and not change.may_undercut_reserved:
        raise NegativeStock(change.key, position, change, "on hand would go below reserved")
    return new


def apply_changes(positions: Mapping[Key, Position], changes: Iterable[BalanceChange]) -> dict[Key, Position]:
    """Apply changes in order; returns the new positions of the keys touched."""
    out: dict[Key, Position] = {}
    for change in changes:
        current = out.get(change.key) or positions.get(change.key) or Position()
        out[change.key] = apply_change(current, change)
    return out


def shortages_of(positions: Mapping[Key, Position], demands: Iterable[tuple[Key, int]]) -> list[Shortage]:
    """Every key whose available quantity is below what is demanded of it (demands on one
    key add up), in the order the keys first appear."""
    wanted: dict[Key, int] = {}
    for key, quantity in demands:
        wanted[key] = wanted.get(key, 0) + quantity
    out = []
    for key, quantity in wanted.items():
        available = (positions.get(key) or Position()).available
        if available < quantity:
            out.append(Shortage(key[0], quantity, available))
    return out


def count_correction(on_hand: int, counted: int) -> int:
    """The ledger quantity a count implies: counted − on hand (0 when they agree)."""
    if counted < 0:
        raise ValueError("a counted quantity cannot be negative")
    return counted - on_hand


def spread_on_hand(on_hand: int, reserved: Sequence[int]) -> list[int]:
    """On hand per bucket of a balance whose buckets hold `reserved` (hot-SKU mode): each
    keeps its reserved and gets an equal share of the free stock, the remainder going to
    the first buckets. Below reserved (after a count) each bucket in turn covers its reserved
    as far as `on_hand` goes. The shares add up to `on_hand`; none is negative."""
    free = on_hand - sum(reserved)
    if free >= 0:
        share, extra = divmod(free, len(reserved))
        return [r + share + (1 if i < extra else 0) for i, r in enumerate(reserved)]
    out, left = [], on_hand
    for r in reserved:
        take = min(r, max(left, 0))
        out.append(take)
        left -= take
    return out


@dataclass(frozen=True)
class WarehouseRef:
    id: int
    code: str
    kind: str  # "cloud" | "forward"
    region: str


def allocation_order(warehouses: Iterable[WarehouseRef], region: str | None) -> list[WarehouseRef]:
    """Forward warehouses serving the region, then the cloud, then the other forwards."""

    def rank(w: WarehouseRef) -> tuple[int, str]:
        if w.kind == "forward" and region is not None and w.region == region:
            return (0, w.code)
        if w.kind == "cloud":
            return (1, w.code)
        return (2, w.code)

    return sorted(warehouses, key=rank)


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Allocation:
    warehouse_id: int
    quantity: int


def plan_allocation(
    lines: Sequence[LineRequest],
    available: Mapping[Key, int],
    order: Sequence[WarehouseRef],
) -> list[list[Allocation]]:
    """Allocate every line, all or none, in warehouse `order`; a line may be split.

    `available` maps (product, warehouse) → available quantity. Lines for the same
    product draw from the same pool. Raises `InsufficientStock` naming every short
    product (requested total vs available total) and allocates nothing.
    """
    for line in lines:
        if line.quantity <= 0:
            raise ValueError("a reservation line needs quantity > 0")
    requested: dict[int, int] = defaultdict(int)
    for line in lines:
        requested[line.product_id] += line.quantity
    shortages = []
    for product_id, qty in requested.items():
        total = sum(max(available.get((product_id, w.id), 0), 0) for w in order)
        if total < qty:
            shortages.append(Shortage(product_id, qty, total))
    if shortages:
        raise InsufficientStock(shortages)
    remaining = {k: max(v, 0) for k, v in available.items()}
    plan: list[list[Allocation]] = []
    for line in lines:
        need = line.quantity
        allocations: list[Allocation] = []
        for w in order:
            if need == 0:
                break
            key = (line.product_id, w.id)
            take = min(need, remaining.get(key, 0))
            if take > 0:
                allocations.append(Allocation(w.id, take))
                remaining[key] -= take
                need -= take
        plan.append(allocations)
    return plan


def take_from_buckets(
    lines: Sequence[LineRequest],
    plan: Sequence[Sequence[Allocation]],
    free: Mapping[tuple[int, int, int], int],
    buckets: Mapping[Key, Sequence[int]],
) -> list[list[tuple[int, int, int]]]:
    """A plan made over whole balances, taken from their buckets (hot-SKU mode): per line, each
    (warehouse, quantity) from the balance's buckets in bucket order, as far as each has free
    stock (`free`: (product, warehouse, bucket) → free units, never below 0 counted); a balance
    of one row is bucket 0. Returns per line (warehouse, bucket, quantity) in plan order."""
    left = {k: max(v, 0) for k, v in free.items()}
    out: list[list[tuple[int, int, int]]] = []
    for line, allocations in zip(lines, plan, strict=True):
        takes: list[tuple[int, int, int]] = []
        for a in allocations:
            need, order = a.quantity, buckets.get((line.product_id, a.warehouse_id), [0])
            for bucket in order:
                slot = (line.product_id, a.warehouse_id, bucket)
                take = need if len(order) == 1 else min(need, left.get(slot, 0))
                if take > 0:
                    takes.append((a.warehouse_id, bucket, take))
                    left[slot] = left.get(slot, 0) - take
                    need -= take
        out.append(takes)
    return out
