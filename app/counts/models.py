"""Cycle counts (a warehouse or a category of it) and the year-end full count."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Category, Product
from app.db import Base, UTCDateTime, enum_check, utcnow
from app.stock.models import Warehouse


class CountKind(enum.StrEnum):
    CYCLE = "cycle"
    FULL = "full"


class CountStatus(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CANCELLED = "cancelled"


class CountScope(enum.StrEnum):
    """What a count covers: every balance of the warehouse, one category, SKUs the user
    picked, or the N SKUs with the largest value at risk (on hand × unit cost)."""

    WAREHOUSE = "warehouse"
    CATEGORY = "category"
    SKUS = "skus"
    TOP_VALUE = "top_value"


class CycleCount(Base):
    __tablename__ = "cycle_count"
    __table_args__ = (
        CheckConstraint(enum_check("kind", CountKind), name="kind_valid"),
        CheckConstraint(enum_check("status", CountStatus), name="status_valid"),
        CheckConstraint(enum_check("scope", CountScope), name="scope_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    kind: Mapped[str] = mapped_column(String(16), default=CountKind.CYCLE.value)
    status: Mapped[str] = mapped_column(String(16), default=CountStatus.OPEN.value)
    scope: Mapped[str] = mapped_column(String(16), default=CountScope.WAREHOUSE.value,
                                       server_default=CountScope.WAREHOUSE.value)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    warehouse: Mapped[Warehouse] = relationship()
    category: Mapped[Category | None] = relationship()
    lines: Mapped[list[CycleCountLine]] = relationship(
        back_populates="count", order_by="CycleCountLine.id", cascade="all, delete-orphan"
    )


class CycleCountLine(Base):
    """`system_quantity` is the on-hand snapshot when the count opened; hidden from counters."""

    __tablename__ = "cycle_count_line"
    __table_args__ = (
        UniqueConstraint("cycle_count_id", "product_id"),
        CheckConstraint("counted_quantity IS NULL OR counted_quantity >= 0", name="counted_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_count_id: Mapped[int] = mapped_column(ForeignKey("cycle_count.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    system_quantity: Mapped[int] = mapped_column(Integer)
    counted_quantity: Mapped[int | None] = mapped_column(Integer)

    count: Mapped[CycleCount] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
