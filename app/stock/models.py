"""Stock tables: warehouses, the append-only ledger, balances, reservations,
the change log (which is also the webhook outbox) and idempotency records.

Only `app.stock.repository` writes these tables.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, BigId, UTCDateTime, enum_check, utcnow
from app.locale_names import localized_name


class WarehouseKind(enum.StrEnum):
    CLOUD = "cloud"
    FORWARD = "forward"


class MovementKind(enum.StrEnum):
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ADJUSTMENT = "adjustment"
    COUNT_CORRECTION = "count_correction"
    CUSTOMER_RETURN = "customer_return"
    SUPPLIER_RETURN = "supplier_return"
    DAMAGE = "damage"


class ReservationStatus(enum.StrEnum):
    ACTIVE = "active"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"


class Warehouse(Base):
    __tablename__ = "warehouse"
    __table_args__ = (CheckConstraint(enum_check("kind", WarehouseKind), name="kind_valid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str | None] = mapped_column(String(120))  # shown when the UI is in Chinese
    kind: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(64))
    city: Mapped[str] = mapped_column(String(64))
    replenished_from_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    replenished_from: Mapped[Warehouse | None] = relationship(remote_side=[id])

    @property
    def local_name(self) -> str:
        """The name a page shows: the Chinese name when the UI is in Chinese and one is set."""
        return localized_name(self.name, self.name_zh)


class StockMovement(Base):
    """One line of the append-only ledger. `quantity` is signed: + into stock, − out."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint("quantity <> 0 OR kind = 'count_correction'", name="quantity_non_zero"),
        CheckConstraint(enum_check("kind", MovementKind), name="kind_valid"),
        UniqueConstraint("source", "event_id"),
        Index("ix_stock_movement_demand", "kind", "product_id", "warehouse_id", "business_date"),
        Index("ix_stock_movement_product_warehouse", "product_id", "warehouse_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    kind: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The UTC calendar day of occurred_at: demand history groups by it portably.
    business_date: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the movement came from ("api:<client id>", "reservation", "receipt", ...)
    # and that source's own id for it: a movement seen before is not applied twice.
    source: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(128))
    reference_type: Mapped[str | None] = mapped_column(String(32))
    reference_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


# A hot SKU × warehouse is split into at most this many stock buckets (docs/concurrency.md).
MAX_BUCKETS = 32


class StockBalance(Base):
    """What the ledger adds up to, per product × warehouse, plus reserved and in transit.

    Usually one row (bucket 0). A hot SKU × warehouse is split into several rows, its
    *buckets* (0 … n−1), so concurrent reservations lock different rows: the balance is
    then the sum of its buckets (`app.stock.totals`), each bucket holds the reservations
    allocated to it (`ReservationAllocation.bucket`) and in transit stays in bucket 0.
    `version` increases with every change of the row.
    """

    __tablename__ = "stock_balance"
    __table_args__ = (
        UniqueConstraint("product_id", "warehouse_id", "bucket"),
        CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("in_transit >= 0", name="in_transit_non_negative"),
        CheckConstraint(f"bucket >= 0 AND bucket < {MAX_BUCKETS}", name="bucket_in_range"),
        Index("ix_stock_balance_warehouse", "warehouse_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    bucket: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    in_transit: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockChange(Base):
    """The change log: one row per change of a product × warehouse balance.

    It is also the webhook outbox: each API client's delivery cursor points into it.
    `seq` is the feed cursor. On PostgreSQL it is made of the xid of the sub-transaction
    that wrote the balance (× 2^20 + ordinal), taken after every lock is held, so no row
    is shared by all writers; readers return only cursors below the feed horizon
    (docs/concurrency.md, "The change feed"). On SQLite (writers serialised) it is max + 1.
    """

    __tablename__ = "stock_change"
    __table_args__ = (Index("ix_stock_change_balance", "product_id", "warehouse_id", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    on_hand: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    in_transit: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A bucketed balance logs each bucket it wrote: `bucket`, and `buckets` = how many the
    # balance has after the write. Its figures in the feed are the sum of every bucket's
    # latest row; of one write's rows for a balance only the last is shown (`hidden` the others).
    bucket: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    buckets: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Reservation(Base):
    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint(enum_check("status", ReservationStatus), name="status_valid"),
        Index("ix_reservation_status_expires", "status", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(128), index=True)
    region: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ReservationStatus.ACTIVE.value)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    api_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_client.id"))

    lines: Mapped[list[ReservationLine]] = relationship(
        back_populates="reservation", order_by="ReservationLine.id", cascade="all, delete-orphan"
    )


class ReservationLine(Base):
    __tablename__ = "reservation_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservation.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    reservation: Mapped[Reservation] = relationship(back_populates="lines")
    allocations: Mapped[list[ReservationAllocation]] = relationship(
        back_populates="line", order_by="ReservationAllocation.id", cascade="all, delete-orphan"
    )


class ReservationAllocation(Base):
    __tablename__ = "reservation_allocation"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("reservation_line.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # of the balance it holds

    line: Mapped[ReservationLine] = relationship(back_populates="allocations")


class HotSku(Base):
    """A SKU in hot-SKU mode: each of its balances is split into `buckets` rows. Marked by an
    admin (`source` "admin") or by the lock-wait scan (`source` "auto", `app.stock.buckets`)."""

    __tablename__ = "hot_sku"
    __table_args__ = (CheckConstraint(f"buckets >= 2 AND buckets <= {MAX_BUCKETS}", name="buckets_in_range"),
                      CheckConstraint("source IN ('admin', 'auto')", name="source_valid"))

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    buckets: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(8))
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    marked_by: Mapped[str] = mapped_column(String(120))
    # What the scan measured when it marked the SKU: mean backends waiting on one of its balances.
    waiters: Mapped[float | None] = mapped_column(Float)


class IdempotencyRecord(Base):
    """The first response to a POST with an Idempotency-Key, stored with the effect."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("api_client_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    api_client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
