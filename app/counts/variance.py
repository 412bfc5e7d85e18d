"""Pure count arithmetic: the variance of a counted line and its value."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Variance:
    quantity: int  # counted − system snapshot (0 = agrees; negative = missing)
    value: Decimal  # quantity × unit cost


def line_variance(system_quantity: int, counted_quantity: int | None, unit_cost: Decimal) -> Variance | None:
    """The variance of one line, or None while the line is not counted yet."""
    if counted_quantity is None:
        return None
    if counted_quantity < 0:
        raise ValueError("a counted quantity cannot be negative")
    qty = counted_quantity - system_quantity
    return Variance(qty, (Decimal(qty) * unit_cost).quantize(Decimal("0.01")))
