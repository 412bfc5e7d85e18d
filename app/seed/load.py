"""Write a simulated `Plan` into the database, in the caller's transaction.

Reference data and documents are bulk-inserted; every stock change goes through
`app.stock.service.post_stock_effects` (the one path that changes stock), a batch of
whole calendar months per call (~50k effects), so the ledger, balances and change log
are what real use would leave. Within a batch the effects are posted inbound first
(receipts, customer returns), then transfers in time order, then shipments: every
running balance stays at or above the batch-end figure, which the simulation
guarantees is not negative.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.catalog.models import Category, Product
from app.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    SupplierReturn,
    SupplierReturnLine,
)
from app.seed.catalog import CATEGORIES, SUPPLIERS, WAREHOUSES
from app.seed.plan import Plan
from app.stock.models import MovementKind, StockBalance, StockMovement, Warehouse
from app.stock.service import StockEffect, post_stock_effects
from app.suppliers.models import Supplier, SupplierPrice
from app.transfers.models import Transfer, TransferLine

# Seconds after midnight UTC; 00:30–15:00 UTC is 08:30–23:00 in China, the same calendar day.
SHIPPING_HOURS = (1800, 54000)
RECEIVING_HOURS = (7200, 18000)
BATCH_EFFECTS = 50_000  # stock effects per `post_stock_effects` call (whole months)
TRANSFER_OUT, TRANSFER_IN = MovementKind.TRANSFER_OUT.value, MovementKind.TRANSFER_IN.value
TRANSFER_SHIP_HOURS = (28800, 36000)


@dataclass(frozen=True)
class Ids:
    """Database ids of the plan's indexes."""

    warehouses: list[int]
    products: list[int]
    suppliers: list[int]


class _Clock:
    """Historic timestamps: day index + seconds → aware UTC datetime."""

    def __init__(self, start: dt.date) -> None:
        self.midnight = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)

    def at(self, day: int, seconds: int = 0) -> dt.datetime:
        return self.midnight + dt.timedelta(days=day, seconds=seconds)


def _insert_many(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), 5000):
        session.execute(insert(model), rows[i : i + 5000])


def _insert_ids(session: Session, model: Any, rows: list[dict[str, Any]], *key: str) -> list[int]:
    """Insert `rows`; their ids in row order, read back by the unique natural `key`.

    (SQLite cannot return ids of a multi-row insert in order, so RETURNING would insert
    one row per statement.)
    """
    _insert_many(session, model, rows)
    columns = [getattr(model, k) for k in key]
    ids = {tuple(found[:-1]): found[-1] for found in session.execute(select(*columns, model.id))}
    return [ids[tuple(row[k] for k in key)] for row in rows]


def write_reference_data(session: Session, plan: Plan) -> Ids:
    """Categories, warehouses (forwards replenished from the cloud), products, suppliers, prices."""
    at = _Clock(plan.start).at(0)
    category_ids = _insert_ids(session, Category, [{"code": c.code, "name": c.name, "name_zh": c.name_zh}
                                                    for c in CATEGORIES], "code")
    warehouse_ids: list[int] = []
    for spec in WAREHOUSES:
        warehouse_ids += _insert_ids(session, Warehouse, [{
            "code": spec.code, "name": spec.name, "name_zh": spec.name_zh, "kind": spec.kind, "region": spec.region,
            "city": spec.city,
            "replenished_from_id": warehouse_ids[0] if spec.kind == "forward" else None, "is_active": True,
        }], "code")
    product_ids = _insert_ids(session, Product, [
        {"sku": p.sku, "name": p.name, "style_number": p.style_number, "specification": p.specification,
         "unit": p.unit, "pack_size": p.pack_size, "category_id": category_ids[p.category], "unit_cost": p.unit_cost,
         "is_active": True, "created_at": at, "updated_at": at}
        for p in plan.products
    ], "sku")
    supplier_ids = _insert_ids(session, Supplier, [
        {"code": s.code, "name": s.name, "email": s.email, "phone": f"+86 400 {800 + i:03d} {1000 + 37 * i:04d}",
         "country": "China", "currency": "CNY", "is_active": True, "created_at": at}
        for i, s in enumerate(SUPPLIERS)
    ], "code")
    session.execute(insert(SupplierPrice), [
        {"supplier_id": supplier_ids[p.supplier], "product_id": product_ids[p.product], "unit_price": p.unit_price,
         "currency": "CNY", "moq": p.moq, "pack_size": p.pack_size, "lead_time_days": p.lead_time_days,
         "is_preferred": p.is_preferred, "valid_from": p.valid_from, "valid_to": p.valid_to}
        for p in plan.prices
    ])
    return Ids(warehouse_ids, product_ids, supplier_ids)


@dataclass(frozen=True)
class DocumentIds:
    receipts: list[int]
    transfers: list[int]


def _response_seconds(supplier: int, po_index: int) -> int:
    """How long this supplier took to confirm this PO: its typical hours × 0.6–1.4, varied by PO
    (deterministic, so a seed always builds the same history)."""
    spread = 0.6 + 0.8 * ((po_index * 37) % 101) / 100
    return int(SUPPLIERS[supplier].response_hours * spread * 3600)


def write_documents(session: Session, plan: Plan, ids: Ids, *, buyer_id: int, receiver_id: int) -> DocumentIds:
    """Purchase orders with lines, receipts with inspection, supplier returns, transfers."""
    clock, last = _Clock(plan.start), plan.days - 1
    cloud = ids.warehouses[0]
    po_rows = []
    for i, po in enumerate(plan.purchases):
        status = po.status(last)
        arrivals = [line.arrival_day for line in po.lines if line.arrival_day is not None]
        received_at = clock.at(max(arrivals), RECEIVING_HOURS[1]) if status in {"received", "closed"} else None
        po_rows.append({
            "number": po.number, "supplier_id": ids.suppliers[po.supplier], "warehouse_id": cloud, "status": status,
            "currency": "CNY", "created_by_id": buyer_id, "created_at": clock.at(po.order_day, 5400),
            "updated_at": clock.at(max([po.order_day, *arrivals]), 5400), "sent_at": clock.at(po.order_day, 7200),
            # never after the history's last day (a confirmation cannot be in the future)
            "confirmed_at": None if status == "sent" else min(
                clock.at(po.order_day, 7200 + _response_seconds(po.supplier, i)), clock.at(last, 86399)),
            "received_at": received_at,
            "closed_at": clock.at(max(arrivals) + 7, 3600) if status == "closed" else None,
        })
    po_ids = _insert_ids(session, PurchaseOrder, po_rows, "number")
    line_rows = []
    for po, po_id, row in zip(plan.purchases, po_ids, po_rows, strict=True):
        confirmed = row["status"] != "sent"
        for line_no, line in enumerate(po.lines, start=1):
            line_rows.append({
                "purchase_order_id": po_id, "line_no": line_no, "product_id": ids.products[line.product],
                "quantity": line.quantity, "unit_price": line.unit_price, "promised_date": plan.date(po.promised_day),
                "status": "confirmed" if confirmed else "open",
                "confirmed_quantity": line.quantity if confirmed else None,
                "confirmed_date": plan.date(po.promised_day) if confirmed else None,
                "confirmed_at": row["confirmed_at"], "received_quantity": line.received,
                "accepted_quantity": line.accepted, "rejected_quantity": line.rejected,
            })
    po_line_ids = iter(_insert_ids(session, PurchaseOrderLine, line_rows, "purchase_order_id", "line_no"))
    line_ids = [[next(po_line_ids) for _ in po.lines] for po in plan.purchases]

    receipt_ids = _insert_ids(session, Receipt, [
        {"number": r.number, "purchase_order_id": po_ids[r.purchase], "warehouse_id": cloud,
         "received_at": clock.at(r.day, RECEIVING_HOURS[0]), "received_by_id": receiver_id}
        for r in plan.receipts
    ], "number")
    receipt_lines, return_rows, return_lines = [], [], []
    for r, receipt_id in zip(plan.receipts, receipt_ids, strict=True):
        po = plan.purchases[r.purchase]
        for i in r.lines:
            line = po.lines[i]
            receipt_lines.append({
                "receipt_id": receipt_id, "purchase_order_line_id": line_ids[r.purchase][i],
                "product_id": ids.products[line.product], "received_quantity": line.received,
                "accepted_quantity": line.accepted, "rejected_quantity": line.rejected,
                "reject_reason": line.reject_reason,
            })
        if r.return_number is not None:
            closed = r.day < last - 10
            return_rows.append({
                "number": r.return_number, "supplier_id": ids.suppliers[po.supplier], "warehouse_id": cloud,
                "receipt_id": receipt_id, "status": "closed" if closed else "open",
                "created_at": clock.at(r.day, RECEIVING_HOURS[1]),
                "shipped_at": clock.at(r.day + 2, 28800) if closed else None,
                "closed_at": clock.at(r.day + 9, 28800) if closed else None,
            })
            return_lines.append([
                {"product_id": ids.products[po.lines[i].product], "purchase_order_line_id": line_ids[r.purchase][i],
                 "quantity": po.lines[i].rejected, "from_stock": False, "reason": po.lines[i].reject_reason}
                for i in r.lines if po.lines[i].rejected
            ])
    _insert_many(session, ReceiptLine, receipt_lines)
    return_ids = _insert_ids(session, SupplierReturn, return_rows, "number")
    _insert_many(session, SupplierReturnLine, [
        {**line, "supplier_return_id": return_id} for return_id, lines in zip(return_ids, return_lines, strict=True)
        for line in lines
    ])

    transfer_ids = _insert_ids(session, Transfer, [
        {"number": t.number, "source_warehouse_id": cloud, "dest_warehouse_id": ids.warehouses[t.dest],
         "status": "shipped" if t.arrival_day is None else "received", "created_by_id": buyer_id,
         "created_at": clock.at(t.ship_day, 21600), "shipped_at": clock.at(t.ship_day, TRANSFER_SHIP_HOURS[0]),
         "received_at": None if t.arrival_day is None else clock.at(t.arrival_day, RECEIVING_HOURS[0])}
        for t in plan.transfers
    ], "number")
    _insert_many(session, TransferLine, [
        {"transfer_id": transfer_id, "product_id": ids.products[p], "quantity": q, "shipped_quantity": q,
         "received_quantity": 0 if t.arrival_day is None else q}
        for t, transfer_id in zip(plan.transfers, transfer_ids, strict=True) for p, q in t.lines
    ])
    return DocumentIds(receipt_ids, transfer_ids)


def batches(plan: Plan, max_effects: int = BATCH_EFFECTS) -> list[tuple[int, int]]:
    """[first, end) day ranges of whole calendar months, each with at most ~`max_effects` effects.

    A month is never split; a month larger than `max_effects` is a batch of its own.
    """
    per_day = (np.count_nonzero(plan.shipments, axis=(1, 2)) + np.count_nonzero(plan.returns, axis=(1, 2))).astype(np.int64)
    for t in plan.transfers:
        per_day[t.ship_day] += 2 * len(t.lines)
        if t.arrival_day is not None:
            per_day[t.arrival_day] += len(t.lines)
    for r in plan.receipts:
        per_day[r.day] += len(r.lines)
    month_starts = [t for t in range(1, plan.days) if plan.date(t).day == 1]
    out: list[tuple[int, int]] = []
    first = 0
    for month_start, next_start in itertools.pairwise([*month_starts, plan.days]):
        if per_day[first:next_start].sum() > max_effects and month_start > first:
            out.append((first, month_start))
            first = month_start
    out.append((first, plan.days))
    return out


def write_stock(
    session: Session, plan: Plan, ids: Ids, docs: DocumentIds, *, now: dt.datetime,
    progress: Callable[[Iterable[tuple[int, int]]], Iterable[tuple[int, int]]] = lambda items: items,
) -> None:
    """Post the whole stock history through the stock service, a few months per batch."""
    clock, cloud = _Clock(plan.start), ids.warehouses[0]
    products, warehouses = np.array(ids.products), np.array(ids.warehouses)
    rng = np.random.default_rng([plan.seed, 1])  # times of day: deterministic too

    opening = [
        StockEffect(ids.products[p], ids.warehouses[w], MovementKind.ADJUSTMENT.value, q, occurred_at=clock.at(0, 300),
                    note="opening balance")
        for p, w, q in _nonzero(plan.opening)
    ]
    post_stock_effects(session, opening, source="seed-demo", now=now)

    receipts_by_batch: dict[int, list[StockEffect]] = {}
    transfers_by_batch: dict[int, list[tuple[dt.datetime, list[StockEffect]]]] = {}
    ranges = batches(plan)
    batch_of = np.zeros(plan.days, dtype=np.int64)
    for b, (first, end) in enumerate(ranges):
        batch_of[first:end] = b
    for r, receipt_id in zip(plan.receipts, docs.receipts, strict=True):
        at = clock.at(r.day, RECEIVING_HOURS[0] + int(rng.integers(0, 3600)))
        receipts_by_batch.setdefault(int(batch_of[r.day]), []).extend(
            StockEffect(ids.products[line.product], cloud, MovementKind.RECEIPT.value, line.accepted, occurred_at=at,
                        reference_type="receipt", reference_id=str(receipt_id), note=r.number)
            for line in (plan.purchases[r.purchase].lines[i] for i in r.lines) if line.accepted
        )
    for t, transfer_id in zip(plan.transfers, docs.transfers, strict=True):
        dest, ref_id = ids.warehouses[t.dest], str(transfer_id)
        shipped = clock.at(t.ship_day, TRANSFER_SHIP_HOURS[0] + int(rng.integers(0, 7200)))
        out = [StockEffect(ids.products[p], cloud, TRANSFER_OUT, -q, occurred_at=shipped, reference_type="transfer",
                           reference_id=ref_id, note=t.number) for p, q in t.lines]
        out += [StockEffect(ids.products[p], dest, in_transit_delta=q) for p, q in t.lines]
        transfers_by_batch.setdefault(int(batch_of[t.ship_day]), []).append((shipped, out))
        if t.arrival_day is not None:
            arrived = clock.at(t.arrival_day, RECEIVING_HOURS[0] + int(rng.integers(0, 7200)))
            ins = [StockEffect(ids.products[p], dest, TRANSFER_IN, q, in_transit_delta=-q, occurred_at=arrived,
                               reference_type="transfer", reference_id=ref_id, note=t.number) for p, q in t.lines]
            transfers_by_batch.setdefault(int(batch_of[t.arrival_day]), []).append((arrived, ins))

    for b, (first, end) in enumerate(progress(ranges)):
        post_stock_effects(session, receipts_by_batch.get(b, []), source="receipt", now=now)
        post_stock_effects(session, _daily_effects(plan.returns, first, end, MovementKind.CUSTOMER_RETURN.value, 1,
                                                   (RECEIVING_HOURS[0], SHIPPING_HOURS[1]), clock, rng, products,
                                                   warehouses), source="returns", now=now)
        moves = sorted(transfers_by_batch.get(b, []), key=lambda move: move[0])
        post_stock_effects(session, [e for _, effects in moves for e in effects], source="transfer", now=now)
        post_stock_effects(session, _daily_effects(plan.shipments, first, end, MovementKind.SHIPMENT.value, -1,
                                                   SHIPPING_HOURS, clock, rng, products, warehouses),
                           source="orders", now=now)


def _nonzero(matrix: np.ndarray) -> list[tuple[int, int, int]]:
    rows, cols = np.nonzero(matrix)
    return list(zip(rows.tolist(), cols.tolist(), matrix[rows, cols].tolist(), strict=True))


def _daily_effects(
    quantities: np.ndarray, first: int, end: int, kind: str, sign: int, hours: tuple[int, int], clock: _Clock,
    rng: np.random.Generator, products: np.ndarray, warehouses: np.ndarray,
) -> list[StockEffect]:
    """One movement per product × warehouse × day with a quantity, at a random time that day."""
    days, ps, ws = np.nonzero(quantities[first:end])
    qty = quantities[first:end][days, ps, ws] * sign
    seconds = rng.integers(hours[0], hours[1], days.size)
    order = np.lexsort((seconds, days))
    days, ps, ws, qty, seconds = days[order], ps[order], ws[order], qty[order], seconds[order]
    return [
        StockEffect(p, w, kind, q, occurred_at=clock.at(first + d, s))
        for d, p, w, q, s in zip(days.tolist(), products[ps].tolist(), warehouses[ws].tolist(), qty.tolist(),
                                 seconds.tolist(), strict=True)
    ]


def check_ledger(session: Session, plan: Plan, ids: Ids) -> None:
    """Every balance equals the sum of its movements and the simulation's end state, or raise."""
    sums = dict(((p, w), int(q)) for p, w, q in session.execute(
        select(StockMovement.product_id, StockMovement.warehouse_id, func.sum(StockMovement.quantity))
        .group_by(StockMovement.product_id, StockMovement.warehouse_id)
    ))
    index_p = {pid: i for i, pid in enumerate(ids.products)}
    index_w = {wid: i for i, wid in enumerate(ids.warehouses)}
    for bal in session.scalars(select(StockBalance)):
        p, w = index_p[bal.product_id], index_w[bal.warehouse_id]
        expected = (int(plan.on_hand[p, w]), int(plan.in_transit[p, w]))
        if sums.get((bal.product_id, bal.warehouse_id), 0) != bal.on_hand or (bal.on_hand, bal.in_transit) != expected:
            raise RuntimeError(f"ledger check failed for product {bal.product_id} at warehouse {bal.warehouse_id}")
