"""`paging.sorted_rows`: the sort of lists computed in Python (alert tabs, scorecard ranking)."""
from __future__ import annotations

import pytest

from app.paging import Sort, sorted_rows

ROWS = [("a", 3), ("b", None), ("c", 1), ("d", 3), ("e", None), ("f", 2)]  # the list's usual order
KEYS = {"n": lambda r: r[1], "name": lambda r: r[0]}


@pytest.mark.parametrize(("sort", "expected"), [
    (None, "abcdef"),
    (Sort("n"), "cfadbe"),            # ties (a, d) and the empty values (b, e) keep the usual order
    (Sort("n", descending=True), "adfcbe"),  # reversed, yet ties stay in usual order and empties last
    (Sort("name", descending=True), "fedcba"),
])
def test_sorted_rows_orders_by_the_key_with_empty_values_last_and_stable_ties(sort: Sort | None,
                                                                              expected: str) -> None:
    assert "".join(r[0] for r in sorted_rows(ROWS, sort, KEYS)) == expected


def test_sorted_rows_refuses_a_key_outside_the_whitelist() -> None:
    with pytest.raises(ValueError, match="cannot sort by 'password'"):
        sorted_rows(ROWS, Sort("password"), KEYS)
