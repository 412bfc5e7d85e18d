"""What a reservation looks like to its callers, and the errors both reservation paths raise.

Plain data shared by the Python path (`app.stock.reservations`) and the one-statement SQL
path (`app.stock.reservations_sql`), so both answer with the same shapes and problems.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.errors import N_, DomainError, InsufficientStockError, InvalidState, NotFound, ValidationFailed

# An allocation as held: (reservation id, product id, warehouse id, bucket, quantity).
Held = tuple[str, int, int, int, int]


class ReservationNotActive(InvalidState):
    """Commit or release of a reservation that is no longer active (nothing changed)."""

    code = "reservation-not-active"
    title = N_("Reservation is not active")


@dataclass(frozen=True)
class ReserveLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class AllocationView:
    warehouse: str
    quantity: int


@dataclass(frozen=True)
class LineView:
    sku: str
    quantity: int
    allocations: list[AllocationView]


@dataclass(frozen=True)
class ReservationView:
    """A reservation as the API shows it (SKUs and warehouse codes, not ids). A line's
    allocations in several buckets of one warehouse (hot-SKU mode) are one allocation."""

    id: str
    order_ref: str
    region: str | None
    status: str
    expires_at: dt.datetime
    created_at: dt.datetime
    lines: list[LineView]

    def with_status(self, status: str) -> ReservationView:
        return ReservationView(id=self.id, order_ref=self.order_ref, region=self.region, status=status,
                               expires_at=self.expires_at, created_at=self.created_at, lines=self.lines)


@dataclass
class ReservationOutcome:
    """What a commit/release did. `error` is set when the reservation turned out expired:
    the expiry is written (commit the transaction), then the caller raises `error`."""

    reservation: ReservationView
    error: DomainError | None = None
    expired: list[str] = field(default_factory=list)


def merged_allocations(pairs: Iterable[tuple[str, int]]) -> list[AllocationView]:
    """(warehouse code, quantity) pairs in order → one allocation per warehouse, first seen first."""
    totals: dict[str, int] = {}
    for code, quantity in pairs:
        totals[code] = totals.get(code, 0) + quantity
    return [AllocationView(code, quantity) for code, quantity in totals.items()]


def unknown_sku_error(lines: Sequence[ReserveLine], indexes: Iterable[int]) -> ValidationFailed:
    """The 422 for reservation lines naming SKUs that do not exist (both paths)."""
    return ValidationFailed("unknown SKU in reservation lines", [
        {"field": f"lines[{i}].sku", "message": f"unknown SKU {lines[i].sku!r}"} for i in indexes])


def shortage_error(shortages: Sequence[dict[str, object]]) -> InsufficientStockError:
    """The 409 naming every short SKU: [{sku, requested, available}] (both paths)."""
    return InsufficientStockError(
        "not enough available stock for " + ", ".join(str(s["sku"]) for s in shortages), shortages=list(shortages))


def reservation_not_found(reservation_id: str) -> NotFound:
    return NotFound(f"reservation {reservation_id} not found", field="id")


def looks_like_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError):
        return False
    return True
