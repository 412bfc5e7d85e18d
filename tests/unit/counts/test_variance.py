from decimal import Decimal

import pytest

from app.counts.variance import Variance, line_variance


@pytest.mark.parametrize(("system", "counted", "cost", "expected"), [
    (10, 10, Decimal("3.50"), Variance(0, Decimal("0.00"))),
    (10, 7, Decimal("3.50"), Variance(-3, Decimal("-10.50"))),
    (0, 4, Decimal("1.255"), Variance(4, Decimal("5.02"))),
])
def test_variance_is_counted_minus_system_valued_at_unit_cost(system, counted, cost, expected) -> None:  # type: ignore[no-untyped-def]
    assert line_variance(system, counted, cost) == expected


def test_an_uncounted_line_has_no_variance_and_a_negative_count_is_refused() -> None:
    assert line_variance(5, None, Decimal(1)) is None
    with pytest.raises(ValueError):
        line_variance(5, -1, Decimal(1))
