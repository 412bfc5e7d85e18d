"""Transfers between warehouses: shipped (in transit) → received."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Product
from app.db import Base, UTCDateTime, enum_check, utcnow
from app.stock.models import Warehouse


class TransferStatus(enum.StrEnum):
    DRAFT = "draft"
    SHIPPED = "shipped"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class Transfer(Base):
    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint("source_warehouse_id <> dest_warehouse_id", name="distinct_warehouses"),
        CheckConstraint(enum_check("status", TransferStatus), name="status_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    source_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    dest_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=TransferStatus.DRAFT.value, index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    source_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[source_warehouse_id])
    dest_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[dest_warehouse_id])
    lines: Mapped[list[TransferLine]] = relationship(
        back_populates="transfer", order_by="TransferLine.id", cascade="all, delete-orphan"
    )


class TransferLine(Base):
    __tablename__ = "transfer_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("shipped_quantity >= 0", name="shipped_non_negative"),
        CheckConstraint("received_quantity >= 0", name="received_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    shipped_quantity: Mapped[int] = mapped_column(Integer, default=0)
    received_quantity: Mapped[int] = mapped_column(Integer, default=0)
    discrepancy_note: Mapped[str | None] = mapped_column(String(255))

    transfer: Mapped[Transfer] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
