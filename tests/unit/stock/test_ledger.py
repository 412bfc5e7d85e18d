"""The pure stock core: balance changes, counts, allocation plans."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.stock.ledger import (
    Allocation,
    BalanceChange,
    InsufficientStock,
    LineRequest,
    NegativeStock,
    Position,
    WarehouseRef,
    allocation_order,
    apply_change,
    apply_changes,
    count_correction,
    plan_allocation,
)

CLOUD = WarehouseRef(1, "CLOUD", "cloud", "east")
NORTH = WarehouseRef(2, "BJ", "forward", "north")
SOUTH = WarehouseRef(3, "GZ", "forward", "south")
WEST = WarehouseRef(4, "CD", "forward", "west")


@pytest.mark.parametrize(
    ("position", "change", "expected"),
    [
        (Position(10, 2, 0), BalanceChange(1, 1, on_hand_delta=5), Position(15, 2, 0)),
        (Position(10, 2, 0), BalanceChange(1, 1, on_hand_delta=-8), Position(2, 2, 0)),
        (Position(10, 2, 0), BalanceChange(1, 1, reserved_delta=8), Position(10, 10, 0)),
        (Position(10, 2, 0), BalanceChange(1, 1, on_hand_delta=-2, reserved_delta=-2), Position(8, 0, 0)),
        (Position(10, 0, 4), BalanceChange(1, 1, in_transit_delta=-4), Position(10, 0, 0)),
        (Position(10, 5, 0), BalanceChange(1, 1, on_hand_delta=-7, may_undercut_reserved=True), Position(3, 5, 0)),
        # Already undercut by a count: a receipt that does not lower on hand is still allowed.
        (Position(3, 5, 0), BalanceChange(1, 1, on_hand_delta=1), Position(4, 5, 0)),
        (Position(3, 5, 0), BalanceChange(1, 1, reserved_delta=-5), Position(3, 0, 0)),
    ],
)
def test_apply_change_gives_the_new_position(position: Position, change: BalanceChange, expected: Position) -> None:
    assert apply_change(position, change) == expected


@pytest.mark.parametrize(
    ("position", "change", "reason"),
    [
        (Position(3, 0, 0), BalanceChange(1, 1, on_hand_delta=-4), "on hand would go below zero"),
        (Position(10, 2, 0), BalanceChange(1, 1, on_hand_delta=-9), "on hand would go below reserved"),
        (Position(10, 2, 0), BalanceChange(1, 1, reserved_delta=9), "on hand would go below reserved"),
        (Position(10, 2, 0), BalanceChange(1, 1, reserved_delta=-3), "reserved would go below zero"),
        (Position(10, 0, 1), BalanceChange(1, 1, in_transit_delta=-2), "in transit would go below zero"),
        (Position(3, 5, 0), BalanceChange(1, 1, on_hand_delta=-1), "on hand would go below reserved"),
    ],
)
def test_apply_change_refuses_impossible_positions(position: Position, change: BalanceChange, reason: str) -> None:
    with pytest.raises(NegativeStock) as info:
        apply_change(position, change)
    assert info.value.reason == reason


def test_apply_changes_threads_positions_through_the_sequence() -> None:
    out = apply_changes({(1, 1): Position(5, 0, 0)}, [
        BalanceChange(1, 1, on_hand_delta=-5), BalanceChange(1, 1, on_hand_delta=3), BalanceChange(2, 1, on_hand_delta=1),
    ])
    assert out == {(1, 1): Position(3, 0, 0), (2, 1): Position(1, 0, 0)}


@pytest.mark.parametrize(("on_hand", "counted", "delta"), [(10, 7, -3), (0, 4, 4), (5, 5, 0)])
def test_count_correction_is_counted_minus_on_hand(on_hand: int, counted: int, delta: int) -> None:
    assert count_correction(on_hand, counted) == delta


def test_count_correction_rejects_a_negative_count() -> None:
    with pytest.raises(ValueError, match="negative"):
        count_correction(3, -1)


@pytest.mark.parametrize(
    ("region", "codes"),
    [("south", ["GZ", "CLOUD", "BJ", "CD"]), ("north", ["BJ", "CLOUD", "CD", "GZ"]),
     (None, ["CLOUD", "BJ", "CD", "GZ"]), ("nowhere", ["CLOUD", "BJ", "CD", "GZ"])],
)
def test_allocation_order_prefers_region_then_cloud_then_other_forwards(region: str | None, codes: list[str]) -> None:
    assert [w.code for w in allocation_order([CLOUD, NORTH, SOUTH, WEST], region)] == codes


def test_plan_splits_a_line_across_warehouses_in_order() -> None:
    order = allocation_order([CLOUD, NORTH, SOUTH], "south")
    plan = plan_allocation([LineRequest(7, 10)], {(7, 3): 4, (7, 1): 3, (7, 2): 100}, order)
    assert plan == [[Allocation(3, 4), Allocation(1, 3), Allocation(2, 3)]]


def test_plan_lines_for_the_same_product_share_the_pool() -> None:
    order = [CLOUD]
    plan = plan_allocation([LineRequest(7, 3), LineRequest(7, 2)], {(7, 1): 5}, order)
    assert plan == [[Allocation(1, 3)], [Allocation(1, 2)]]
    with pytest.raises(InsufficientStock) as info:
        plan_allocation([LineRequest(7, 3), LineRequest(7, 3)], {(7, 1): 5}, order)
    assert [(s.product_id, s.requested, s.available) for s in info.value.shortages] == [(7, 6, 5)]


def test_plan_is_all_or_nothing_and_names_every_short_product() -> None:
    with pytest.raises(InsufficientStock) as info:
        plan_allocation([LineRequest(1, 1), LineRequest(2, 9), LineRequest(3, 4)],
                        {(1, 1): 5, (2, 1): 8, (3, 1): 0}, [CLOUD])
    assert sorted((s.product_id, s.requested, s.available) for s in info.value.shortages) == [(2, 9, 8), (3, 4, 0)]


def test_plan_ignores_negative_availability_from_an_undercut_count() -> None:
    plan = plan_allocation([LineRequest(1, 2)], {(1, 1): -3, (1, 2): 2}, [CLOUD, NORTH])
    assert plan == [[Allocation(2, 2)]]


@given(
    available=st.lists(st.integers(min_value=-5, max_value=20), min_size=3, max_size=3),
    quantities=st.lists(st.integers(min_value=1, max_value=15), min_size=1, max_size=4),
)
def test_plan_never_over_allocates_and_covers_each_line(available: list[int], quantities: list[int]) -> None:
    order = [CLOUD, NORTH, SOUTH]
    avail = {(1, w.id): a for w, a in zip(order, available, strict=True)}
    lines = [LineRequest(1, q) for q in quantities]
    try:
        plan = plan_allocation(lines, avail, order)
    except InsufficientStock as exc:
        assert sum(quantities) > sum(max(a, 0) for a in available)
        assert exc.shortages[0].requested == sum(quantities)
        return
    for line, allocations in zip(lines, plan, strict=True):
        assert sum(a.quantity for a in allocations) == line.quantity
        assert all(a.quantity > 0 for a in allocations)
    for w in order:
        used = sum(a.quantity for allocs in plan for a in allocs if a.warehouse_id == w.id)
        assert used <= max(avail[(1, w.id)], 0)
