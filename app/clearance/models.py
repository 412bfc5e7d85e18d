"""A slow mover marked for clearance: how (markdown, transfer back to the cloud warehouse, return
to the supplier), by when, and whether it was done. One open clearance per product."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import StaffUser
from app.db import Base, UTCDateTime, utcnow


class ClearanceAction(StrEnum):
    MARKDOWN = "markdown"
    TRANSFER_BACK = "transfer_back"  # forward stock back to the cloud warehouse, to sell from one place
    RETURN_TO_SUPPLIER = "return_to_supplier"


class ClearanceStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Clearance(Base):
    __tablename__ = "clearance"
    __table_args__ = (
        CheckConstraint("action IN ('markdown', 'transfer_back', 'return_to_supplier')", name="action_valid"),
        CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status_valid"),
        CheckConstraint("markdown_pct IS NULL OR (markdown_pct > 0 AND markdown_pct < 100)", name="markdown_pct_range"),
        # the database backs the "one open clearance per product" rule
        Index("uq_clearance_open_product", "product_id", unique=True, sqlite_where=text("status = 'open'"),
              postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    target_date: Mapped[dt.date] = mapped_column(Date)
    markdown_pct: Mapped[int | None] = mapped_column(Integer)  # price cut in percent, for a markdown
    note: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=ClearanceStatus.OPEN.value)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[StaffUser | None] = relationship()
