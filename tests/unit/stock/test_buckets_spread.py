"""The rebalancing rule of hot-SKU buckets (ledger.spread_on_hand), table-driven."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.stock.ledger import spread_on_hand


@pytest.mark.parametrize(("on_hand", "reserved", "expected"), [
    (100, [0] * 8, [13, 13, 13, 13, 12, 12, 12, 12]),      # free stock shared, the remainder to the first
    (10, [3, 0, 1], [5, 2, 3]),                             # each keeps its reserved, free 6 → 2 each
    (4, [3, 0, 1], [3, 0, 1]),                              # nothing free
    (3, [2, 2, 1], [2, 1, 0]),                              # a count below reserved: cover in turn
    (0, [1, 1], [0, 0]),
    (7, [0], [7]),
])
def test_spread_on_hand_keeps_reserved_and_shares_the_free_stock(on_hand: int, reserved: list[int],
                                                                 expected: list[int]) -> None:
    assert spread_on_hand(on_hand, reserved) == expected


@given(st.integers(0, 10_000), st.lists(st.integers(0, 500), min_size=1, max_size=32))
def test_spread_on_hand_adds_up_and_never_goes_negative(on_hand: int, reserved: list[int]) -> None:
    out = spread_on_hand(on_hand, reserved)
    assert sum(out) == on_hand and min(out) >= 0 and len(out) == len(reserved)
    if on_hand >= sum(reserved):  # then no bucket is below its reserved, and the free shares differ by ≤ 1
        free = [o - r for o, r in zip(out, reserved, strict=True)]
        assert min(free) >= 0 and max(free) - min(free) <= 1
