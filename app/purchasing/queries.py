"""Read models of the purchasing pages. Each list is a count plus one page query
(plus one query for the page's shipment notices on the receiving list): the number of
queries never grows with the number of rows."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFound
from app.paging import AnySelect, Page, Sort, page_of, sorted_by
from app.purchasing.models import (
    DEAD_LINE_STATUSES,
    OPEN_PO_STATUSES,
    ASNStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    ShipmentNotice,
    ShipmentNoticeLine,
    SupplierReturn,
    SupplierReturnLine,
)
from app.stock.models import Warehouse
from app.suppliers.models import Supplier

AWAITING_GOODS = OPEN_PO_STATUSES


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    supplier_code: str | None = None
    warehouse_code: str | None = None
    q: str | None = None  # PO number fragment
    sort: Sort | None = None  # a key of ORDER_SORTS; None: the list's usual order


# The sortable columns of the PO list and of the receiving queue (its columns are fewer).
ORDER_SORTS = ("number", "supplier", "warehouse", "status", "created", "value", "due")
RECEIVING_SORTS = ("number", "supplier", "warehouse", "status", "due")


@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    supplier_code: str
    supplier_name: str
    warehouse_code: str
    status: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    lines: int
    ordered: int
    received: int
    accepted: int
    value: Decimal
    currency: str
    next_promised: dt.date | None
    # The earliest date (confirmed, else promised) of a live line still short of its quantity:
    # what a late badge and the receiving order go by.
    due: dt.date | None = None

    @property
    def outstanding(self) -> int:
        return max(self.ordered - self.accepted, 0)


def _line_totals() -> Any:
    L = PurchaseOrderLine
    return (
        select(L.purchase_order_id.label("po_id"), func.count(L.id).label("lines"), func.sum(L.quantity).label("ordered"),
               func.sum(L.received_quantity).label("received"), func.sum(L.accepted_quantity).label("accepted"),
               func.sum(L.value).label("value"), func.min(L.promised_date).label("next_promised"),
               func.min(case((L.status.notin_(DEAD_LINE_STATUSES)
                              & (L.accepted_quantity < func.coalesce(L.confirmed_quantity, L.quantity)),
                              func.coalesce(L.confirmed_date, L.promised_date)))).label("due"))
        .group_by(L.purchase_order_id).subquery()
    )


def _orders_query(f: OrderFilter, statuses: tuple[str, ...] | None = None, *, urgent: bool = False) -> AnySelect:
    """The order rows, ordered by `f.sort`, then newest first — or, `urgent`, the most
    urgent first: overdue (the oldest due date first), then due today, then the rest by due
    date, orders with nothing left due last (the order goods are chased and arrive in)."""
    t = _line_totals()
    stmt = (
        select(PurchaseOrder.id, PurchaseOrder.number, Supplier.code, Supplier.name, Warehouse.code, PurchaseOrder.status,
               PurchaseOrder.created_at, PurchaseOrder.sent_at, func.coalesce(t.c.lines, 0), func.coalesce(t.c.ordered, 0),
               func.coalesce(t.c.received, 0), func.coalesce(t.c.accepted, 0), func.coalesce(t.c.value, 0),
               PurchaseOrder.currency, t.c.next_promised, t.c.due)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
        .outerjoin(t, t.c.po_id == PurchaseOrder.id)
    )
    if statuses:
        stmt = stmt.where(PurchaseOrder.status.in_(statuses))
    if f.status:
        stmt = stmt.where(PurchaseOrder.status == f.status)
    if f.supplier_code:
        stmt = stmt.where(Supplier.code == f.supplier_code)
    if f.warehouse_code:
        stmt = stmt.where(Warehouse.code == f.warehouse_code)
    if f.q:
        like = f"%{f.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(PurchaseOrder.number).like(like), func.lower(Supplier.name).like(like)))
    columns = {"number": PurchaseOrder.number, "supplier": Supplier.name, "warehouse": Warehouse.code,
               "status": PurchaseOrder.status, "created": PurchaseOrder.created_at, "sent": PurchaseOrder.sent_at,
               "value": t.c.value, "due": t.c.due}
    default = ((t.c.due.is_(None), t.c.due, func.coalesce(PurchaseOrder.sent_at, PurchaseOrder.created_at),
                PurchaseOrder.id) if urgent else (PurchaseOrder.id.desc(),))
    return sorted_by(stmt, f.sort, columns, *default)


def _row(r: Any) -> OrderRow:
    *head, value, currency, promised, due = r
    fields: tuple[Any, ...] = (*head, Decimal(str(value)), currency, _as_date(promised), _as_date(due))
    return OrderRow(*fields)


def _as_date(v: Any) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


def list_orders(session: Session, f: OrderFilter, *, page: int = 1, per_page: int = 50) -> Page[OrderRow]:
    """Purchase orders, newest first, filtered by status/supplier/warehouse/number."""
    stmt = _orders_query(f)
    rows, total, page = page_of(session, stmt, page=page, per_page=per_page)
    return Page([_row(r) for r in rows], total, page, per_page)


def iter_orders(session: Session, f: OrderFilter) -> Iterator[OrderRow]:
    # `with`: a CSV export the client abandons closes the result, and its server-side cursor, at once
    with session.execute(_orders_query(f).execution_options(yield_per=500)) as result:
        for r in result:
            yield _row(r)


@dataclass(frozen=True)
class NoticeRef:
    id: int
    number: str
    expected_date: dt.date
    carrier: str | None
    units: int


@dataclass(frozen=True)
class AwaitingRow:
    order: OrderRow
    notices: list[NoticeRef]


def _awaiting_query(f: OrderFilter) -> AnySelect:
    return _orders_query(f, AWAITING_GOODS, urgent=True)


def _notices_for(session: Session, po_ids: list[int]) -> dict[int, list[NoticeRef]]:
    out: dict[int, list[NoticeRef]] = defaultdict(list)
    if not po_ids:
        return out
    rows = session.execute(
        select(ShipmentNotice.purchase_order_id, ShipmentNotice.id, ShipmentNotice.number, ShipmentNotice.expected_date,
               ShipmentNotice.carrier, func.coalesce(func.sum(ShipmentNoticeLine.quantity), 0))
        .outerjoin(ShipmentNoticeLine, ShipmentNoticeLine.shipment_notice_id == ShipmentNotice.id)
        .where(ShipmentNotice.purchase_order_id.in_(po_ids), ShipmentNotice.status == ASNStatus.SENT.value)
        .group_by(ShipmentNotice.purchase_order_id, ShipmentNotice.id, ShipmentNotice.number,
                  ShipmentNotice.expected_date, ShipmentNotice.carrier)
        .order_by(ShipmentNotice.expected_date, ShipmentNotice.id)
    ).all()
    for po_id, nid, number, expected, carrier, units in rows:
        out[po_id].append(NoticeRef(nid, number, _as_date(expected) or dt.date.min, carrier, int(units)))
    return out


def receiving_queue(session: Session, f: OrderFilter, *, page: int = 1, per_page: int = 50) -> Page[AwaitingRow]:
    """POs awaiting goods (sent, confirmed, partially received) with their open shipment notices (3 queries)."""
    rows, total, page = page_of(session, _awaiting_query(f), page=page, per_page=per_page)
    orders = [_row(r) for r in rows]
    notices = _notices_for(session, [o.id for o in orders])
    return Page([AwaitingRow(o, notices.get(o.id, [])) for o in orders], total, page, per_page)


def iter_receiving_queue(session: Session, f: OrderFilter) -> Iterator[AwaitingRow]:
    batch: list[OrderRow] = []
    with session.execute(_awaiting_query(f).execution_options(yield_per=500)) as result:  # `with`: see iter_orders
        for r in result:
            batch.append(_row(r))
            if len(batch) == 500:
                yield from _with_notices(session, batch)
                batch = []
    yield from _with_notices(session, batch)


def _with_notices(session: Session, orders: list[OrderRow]) -> Iterator[AwaitingRow]:
    notices = _notices_for(session, [o.id for o in orders])
    for o in orders:
        yield AwaitingRow(o, notices.get(o.id, []))


@dataclass(frozen=True)
class OrderDetail:
    po: PurchaseOrder
    notices: list[ShipmentNotice]
    receipts: list[Receipt]
    returns: list[SupplierReturn]

    @property
    def total_value(self) -> Decimal:
        return sum((ln.value for ln in self.po.lines), Decimal("0"))


def order_detail(session: Session, number: str) -> OrderDetail:
    """The PO with lines, supplier confirmations, shipment notices, receipts and returns (fixed query count)."""
    po = session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.number == number)
        .options(selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.product),
                 selectinload(PurchaseOrder.supplier), selectinload(PurchaseOrder.warehouse))
    )
    if po is None:
        raise NotFound(f"purchase order {number} not found", number=number)
    notices = list(session.scalars(
        select(ShipmentNotice).where(ShipmentNotice.purchase_order_id == po.id).order_by(ShipmentNotice.id)
        .options(selectinload(ShipmentNotice.lines).selectinload(ShipmentNoticeLine.po_line))
    ))
    receipts = list(session.scalars(
        select(Receipt).where(Receipt.purchase_order_id == po.id).order_by(Receipt.id)
        .options(selectinload(Receipt.lines).selectinload(ReceiptLine.product))
    ))
    returns = list(session.scalars(
        select(SupplierReturn).join(Receipt, Receipt.id == SupplierReturn.receipt_id)
        .where(Receipt.purchase_order_id == po.id).order_by(SupplierReturn.id)
    )) if receipts else []
    return OrderDetail(po, notices, receipts, returns)


@dataclass(frozen=True)
class ReturnFilter:
    status: str | None = None
    supplier_code: str | None = None
    q: str | None = None
    sort: Sort | None = None  # a key of RETURN_SORTS; None: newest first


RETURN_SORTS = ("number", "supplier", "warehouse", "status", "created")


@dataclass(frozen=True)
class ReturnRow:
    id: int
    number: str
    supplier_code: str
    supplier_name: str
    warehouse_code: str
    status: str
    created_at: dt.datetime
    shipped_at: dt.datetime | None
    receipt_number: str | None
    po_number: str | None
    lines: int
    units: int


def _returns_query(f: ReturnFilter) -> AnySelect:
    t = (select(SupplierReturnLine.supplier_return_id.label("rid"), func.count(SupplierReturnLine.id).label("lines"),
                func.sum(SupplierReturnLine.quantity).label("units"))
         .group_by(SupplierReturnLine.supplier_return_id).subquery())
    stmt = (
        select(SupplierReturn.id, SupplierReturn.number, Supplier.code, Supplier.name, Warehouse.code, SupplierReturn.status,
               SupplierReturn.created_at, SupplierReturn.shipped_at, Receipt.number, PurchaseOrder.number,
               func.coalesce(t.c.lines, 0), func.coalesce(t.c.units, 0))
        .join(Supplier, Supplier.id == SupplierReturn.supplier_id)
        .join(Warehouse, Warehouse.id == SupplierReturn.warehouse_id)
        .outerjoin(Receipt, Receipt.id == SupplierReturn.receipt_id)
        .outerjoin(PurchaseOrder, PurchaseOrder.id == Receipt.purchase_order_id)
        .outerjoin(t, t.c.rid == SupplierReturn.id)
    )
    if f.status:
        stmt = stmt.where(SupplierReturn.status == f.status)
    if f.supplier_code:
        stmt = stmt.where(Supplier.code == f.supplier_code)
    if f.q:
        like = f"%{f.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(SupplierReturn.number).like(like), func.lower(PurchaseOrder.number).like(like)))
    columns = {"number": SupplierReturn.number, "supplier": Supplier.name, "warehouse": Warehouse.code,
               "status": SupplierReturn.status, "created": SupplierReturn.created_at, "shipped": SupplierReturn.shipped_at}
    return sorted_by(stmt, f.sort, columns, SupplierReturn.id.desc())


def list_returns(session: Session, f: ReturnFilter, *, page: int = 1, per_page: int = 50) -> Page[ReturnRow]:
    rows, total, page = page_of(session, _returns_query(f), page=page, per_page=per_page)
    return Page([ReturnRow(*r) for r in rows], total, page, per_page)


def iter_returns(session: Session, f: ReturnFilter) -> Iterator[ReturnRow]:
    # `with`: a CSV export the client abandons closes the result, and its server-side cursor, at once
    with session.execute(_returns_query(f).execution_options(yield_per=500)) as result:
        for r in result:
            yield ReturnRow(*r)


def return_detail(session: Session, number: str) -> tuple[SupplierReturn, Receipt | None]:
    ret = session.scalar(
        select(SupplierReturn).where(SupplierReturn.number == number)
        .options(selectinload(SupplierReturn.lines).selectinload(SupplierReturnLine.product),
                 selectinload(SupplierReturn.supplier))
    )
    if ret is None:
        raise NotFound(f"supplier return {number} not found", number=number)
    receipt = session.scalar(select(Receipt).where(Receipt.id == ret.receipt_id).options(
        selectinload(Receipt.purchase_order))) if ret.receipt_id else None
    return ret, receipt
