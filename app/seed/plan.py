"""The plan of a demo history: what `simulate` decides and `load` writes.

Days are indexes into the history (0 = first day); products, warehouses and suppliers
are indexes into the catalog lists. Nothing here knows about the database.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from app.seed.catalog import PriceSpec, ProductSpec


@dataclass
class PurchaseLine:
    product: int
    quantity: int
    unit_price: Decimal
    arrival_day: int | None = None  # None: not delivered by the end of the history
    received: int = 0
    rejected: int = 0
    reject_reason: str | None = None

    @property
    def accepted(self) -> int:
        return self.received - self.rejected


@dataclass
class PurchasePlan:
    number: str
    supplier: int
    order_day: int
    promised_day: int
    lines: list[PurchaseLine] = field(default_factory=list)

    def status(self, last_day: int) -> str:
        """The PO status at the end of the history (`last_day`)."""
        arrived = [line.arrival_day for line in self.lines if line.arrival_day is not None]
        if len(arrived) == len(self.lines):
            return "closed" if max(arrived) < last_day - 30 else "received"
        if arrived:
            return "partially_received"
        return "sent" if self.order_day >= last_day - 1 else "confirmed"


@dataclass
class ReceiptPlan:
    """Goods of one PO that arrived together on `day`: one receipt, inspected line by line."""

    number: str
    purchase: int
    day: int
    lines: list[int]  # indexes into the purchase's lines
    return_number: str | None = None  # the supplier return of its rejected units, if any


@dataclass
class TransferPlan:
    number: str
    dest: int
    ship_day: int
    arrival_day: int | None  # None: still in transit at the end
    lines: list[tuple[int, int]]  # (product, quantity)


@dataclass
class Plan:
    start: dt.date
    days: int
    seed: int
    products: list[ProductSpec]
    prices: list[PriceSpec]
    opening: np.ndarray  # (products, warehouses): stock on the morning of day 0
    shipments: np.ndarray  # (days, products, warehouses): units shipped to customers
    returns: np.ndarray  # (days, products, warehouses): units customers sent back
    purchases: list[PurchasePlan]
    receipts: list[ReceiptPlan]
    transfers: list[TransferPlan]
    on_hand: np.ndarray  # (products, warehouses) at the end: what the ledger must add up to
    in_transit: np.ndarray  # (products, warehouses) at the end, on the destination
    lost_units: int  # demand that found no stock

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)
