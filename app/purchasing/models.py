"""Purchase orders, supplier shipment notices, receipts with inspection, returns to supplier."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, case, func
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Product
from app.db import Base, UTCDateTime, enum_check, utcnow
from app.stock.models import Warehouse
from app.suppliers.models import Supplier


class POStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# Open: sent to the supplier and not yet fully received, closed or cancelled — goods are
# still to come (on order). The one definition; every query of open orders imports it.
OPEN_PO_STATUSES: tuple[str, ...] = (POStatus.SENT.value, POStatus.CONFIRMED.value,
                                     POStatus.PARTIALLY_RECEIVED.value)


class POLineStatus(enum.StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    CHANGED = "changed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class ASNStatus(enum.StrEnum):
    SENT = "sent"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class ReturnStatus(enum.StrEnum):
    OPEN = "open"
    SHIPPED = "shipped"
    CLOSED = "closed"


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"
    __table_args__ = (
        CheckConstraint(enum_check("status", POStatus), name="status_valid"),
        Index("ix_purchase_order_supplier_status", "supplier_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    status: Mapped[str] = mapped_column(String(24), default=POStatus.DRAFT.value)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    supplier: Mapped[Supplier] = relationship()
    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="purchase_order", order_by="PurchaseOrderLine.line_no", cascade="all, delete-orphan"
    )


class PurchaseOrderLine(Base):
    """`quantity` is what we ordered; the supplier may confirm a different quantity/date."""

    __tablename__ = "purchase_order_line"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
        CheckConstraint("confirmed_quantity IS NULL OR confirmed_quantity >= 0", name="confirmed_non_negative"),
        CheckConstraint("received_quantity >= 0", name="received_non_negative"),
        CheckConstraint("accepted_quantity >= 0", name="accepted_non_negative"),
        CheckConstraint("rejected_quantity >= 0", name="rejected_non_negative"),
        CheckConstraint(enum_check("status", POLineStatus), name="status_valid"),
        Index("ix_purchase_order_line_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    promised_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=POLineStatus.OPEN.value)
    confirmed_quantity: Mapped[int | None] = mapped_column(Integer)
    confirmed_date: Mapped[dt.date | None] = mapped_column(Date)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str | None] = mapped_column(String(255))
    received_quantity: Mapped[int] = mapped_column(Integer, default=0)
    accepted_quantity: Mapped[int] = mapped_column(Integer, default=0)
    rejected_quantity: Mapped[int] = mapped_column(Integer, default=0)

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    @hybrid_property
    def value(self) -> Decimal:
        """The one rule for what a line is worth, staff UI and portal alike: the confirmed quantity
        where the supplier confirmed one, else the ordered one, × unit price; rejected and
        cancelled lines count nothing."""
        if self.status in DEAD_LINE_STATUSES:
            return Decimal("0")
        quantity = self.confirmed_quantity if self.confirmed_quantity is not None else self.quantity
        return Decimal(quantity) * Decimal(self.unit_price)

    @value.inplace.expression
    @classmethod
    def _value_expression(cls) -> Any:
        return case((cls.status.in_(DEAD_LINE_STATUSES), 0),
                    else_=func.coalesce(cls.confirmed_quantity, cls.quantity) * cls.unit_price)


DEAD_LINE_STATUSES = (POLineStatus.REJECTED.value, POLineStatus.CANCELLED.value)


class ShipmentNotice(Base):
    """An advance shipment notice (ASN) sent by the supplier through the portal."""

    __tablename__ = "shipment_notice"
    __table_args__ = (CheckConstraint(enum_check("status", ASNStatus), name="status_valid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    ship_date: Mapped[dt.date] = mapped_column(Date)
    expected_date: Mapped[dt.date] = mapped_column(Date)
    carrier: Mapped[str | None] = mapped_column(String(80))
    tracking_number: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default=ASNStatus.SENT.value)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    purchase_order: Mapped[PurchaseOrder] = relationship()
    lines: Mapped[list[ShipmentNoticeLine]] = relationship(
        back_populates="notice", order_by="ShipmentNoticeLine.id", cascade="all, delete-orphan"
    )


class ShipmentNoticeLine(Base):
    __tablename__ = "shipment_notice_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_notice_id: Mapped[int] = mapped_column(ForeignKey("shipment_notice.id"), index=True)
    purchase_order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    notice: Mapped[ShipmentNotice] = relationship(back_populates="lines")
    po_line: Mapped[PurchaseOrderLine] = relationship()


class Receipt(Base):
    """Goods received against a PO (optionally against an ASN), inspected line by line."""

    __tablename__ = "receipt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    shipment_notice_id: Mapped[int | None] = mapped_column(ForeignKey("shipment_notice.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    notes: Mapped[str | None] = mapped_column(Text)

    purchase_order: Mapped[PurchaseOrder] = relationship()
    lines: Mapped[list[ReceiptLine]] = relationship(
        back_populates="receipt", order_by="ReceiptLine.id", cascade="all, delete-orphan"
    )


class ReceiptLine(Base):
    __tablename__ = "receipt_line"
    __table_args__ = (
        CheckConstraint("received_quantity >= 0", name="received_non_negative"),
        CheckConstraint("accepted_quantity >= 0", name="accepted_non_negative"),
        CheckConstraint("rejected_quantity >= 0", name="rejected_non_negative"),
        CheckConstraint("accepted_quantity + rejected_quantity = received_quantity", name="inspection_adds_up"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id"), index=True)
    purchase_order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    received_quantity: Mapped[int] = mapped_column(Integer)
    accepted_quantity: Mapped[int] = mapped_column(Integer)
    rejected_quantity: Mapped[int] = mapped_column(Integer, default=0)
    reject_reason: Mapped[str | None] = mapped_column(String(64))

    receipt: Mapped[Receipt] = relationship(back_populates="lines")
    po_line: Mapped[PurchaseOrderLine] = relationship()
    product: Mapped[Product] = relationship()


class SupplierReturn(Base):
    """Goods going back to the supplier (rejected at inspection, or later)."""

    __tablename__ = "supplier_return"
    __table_args__ = (CheckConstraint(enum_check("status", ReturnStatus), name="status_valid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipt.id"))
    status: Mapped[str] = mapped_column(String(16), default=ReturnStatus.OPEN.value)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    supplier: Mapped[Supplier] = relationship()
    lines: Mapped[list[SupplierReturnLine]] = relationship(
        back_populates="supplier_return", order_by="SupplierReturnLine.id", cascade="all, delete-orphan"
    )


class SupplierReturnLine(Base):
    __tablename__ = "supplier_return_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_return_id: Mapped[int] = mapped_column(ForeignKey("supplier_return.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    purchase_order_line_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order_line.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    # The stock we return was never put away when it is a rejection at inspection;
    # `from_stock` says whether shipping it must take it off on-hand.
    from_stock: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(String(64))

    supplier_return: Mapped[SupplierReturn] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
