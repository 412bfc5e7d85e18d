"""The events behind each scorecard figure (pure): which lines were late, which
inspections failed, what we paid per SKU against the median. Uses the same rules as
`scorecard`, so a drill-down always adds up to its figure."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.suppliers.scorecards.scoring import (
    DeliveryEvent,
    Events,
    Period,
    ReceiptEvent,
    ReferencePrices,
    Rules,
    delivery_outcome,
    is_in_full,
)


@dataclass(frozen=True)
class PriceLine:
    sku: str
    quantity: Decimal
    spend: Decimal
    unit_price: Decimal
    median_price: Decimal | None
    index: float | None


def deliveries_in(events: Events, supplier_id: int, period: Period, rules: Rules) -> list[tuple[DeliveryEvent, str, bool]]:
    """Each PO line due in the period with its outcome and in-full flag, latest-due first."""
    rows = [(d, delivery_outcome(d, rules), is_in_full(d)) for d in events.deliveries
            if d.supplier_id == supplier_id and period.contains(d.due_date)]
    return sorted(rows, key=lambda r: (r[0].due_date, r[0].po_number, r[0].line_no), reverse=True)


def receipts_in(events: Events, supplier_id: int, period: Period) -> list[ReceiptEvent]:
    return sorted((r for r in events.receipts if r.supplier_id == supplier_id and period.contains(r.received_on)),
                  key=lambda r: (r.received_on, r.receipt_number), reverse=True)


def prices_in(events: Events, supplier_id: int, period: Period) -> list[PriceLine]:
    """Per SKU bought in the period: what we paid on average, the median list price, the index."""
    refs = ReferencePrices(events.list_prices)
    acc: dict[tuple[int, str], list[Decimal]] = {}
    for p in events.purchases:
        if p.supplier_id == supplier_id and period.contains(p.ordered_on):
            row = acc.setdefault((p.product_id, p.sku), [Decimal(0), Decimal(0)])
            row[0] += p.unit_price * p.quantity
            row[1] += p.quantity
    lines = []
    for (pid, sku), (money, qty) in sorted(acc.items(), key=lambda kv: kv[0][1]):
        price = money / qty if qty else Decimal(0)
        median = refs.median(pid, period)
        index = None if not median or not qty else round(float(100 * price / median), 1)
        lines.append(PriceLine(sku, qty, money, price.quantize(Decimal("0.0001")), median, index))
    return lines
