"""Forecast runs, their per-series results and forecasts, and replenishment suggestions."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, BigId, UTCDateTime, enum_check, utcnow


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class BatchStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"


class SuggestionKind(enum.StrEnum):
    PURCHASE = "purchase"
    TRANSFER = "transfer"


class SuggestionStatus(enum.StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class ForecastRun(Base):
    """One forecasting run; also the job record a worker picks up (status queued)."""

    __tablename__ = "forecast_run"
    __table_args__ = (CheckConstraint(enum_check("status", RunStatus), name="status_valid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED.value, index=True)
    engine: Mapped[str] = mapped_column(String(16), default="local")
    horizon_days: Mapped[int] = mapped_column(Integer, default=28)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stage: Mapped[str | None] = mapped_column(String(64))
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    series_count: Mapped[int] = mapped_column(Integer, default=0)
    model_mix: Mapped[str | None] = mapped_column(Text)  # JSON {model: series}
    accuracy: Mapped[str | None] = mapped_column(Text)  # JSON {mase, rmsse, ...}
    error: Mapped[str | None] = mapped_column(Text)
    # Fixed when the run is first prepared, so a resumed run reads the same history:
    start_day: Mapped[dt.date | None] = mapped_column(Date)  # the first forecast day
    history_days: Mapped[int | None] = mapped_column(Integer)  # None = all history
    batch_size: Mapped[int | None] = mapped_column(Integer)  # series per batch
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("forecast_worker.id"))  # who executes it now
    elapsed_seconds: Mapped[float] = mapped_column(Float, default=0.0)  # forecasting time, over every attempt


class ForecastWorker(Base):
    """A process that executes runs (``forecast worker``, or ``forecast run``/``resume`` in a
    terminal); ``seen_at`` is its heartbeat in the database."""

    __tablename__ = "forecast_worker"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "worker" (polls the queue) or "cli"
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ForecastBatch(Base):
    """One committed step of a run: the series of SKUs ``first_product_id..last_product_id``
    (all their warehouses). ``done`` batches have their series, points and suggestions
    written; a resumed run continues with the pending ones. ``stats`` (JSON) holds the
    batch's model mix and accuracy sums, combined into the run's when it finishes."""

    __tablename__ = "forecast_batch"
    __table_args__ = (
        UniqueConstraint("run_id", "number"),
        CheckConstraint(enum_check("status", BatchStatus), name="status_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_run.id"))
    number: Mapped[int] = mapped_column(Integer)
    first_product_id: Mapped[int] = mapped_column(Integer)
    last_product_id: Mapped[int] = mapped_column(Integer)
    series_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.PENDING.value)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stats: Mapped[str | None] = mapped_column(Text)


class ForecastSeries(Base):
    """The model chosen for one product × warehouse in a run, and its backtest error."""

    __tablename__ = "forecast_series"
    __table_args__ = (Index("ix_forecast_series_run", "run_id", "product_id", "warehouse_id", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_run.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    demand_class: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(40))
    mase: Mapped[float | None] = mapped_column(Float)
    rmsse: Mapped[float | None] = mapped_column(Float)
    # The seasonal naive's backtest error on the same windows and scale: 1 − rmsse /
    # rmsse_seasonal_naive is how much better than "repeat last season" the forecast was.
    mase_seasonal_naive: Mapped[float | None] = mapped_column(Float)
    rmsse_seasonal_naive: Mapped[float | None] = mapped_column(Float)


class ForecastPoint(Base):
    __tablename__ = "forecast_point"
    # unique: a resumed run can never write a series' forecast twice
    __table_args__ = (Index("ix_forecast_point_series", "run_id", "product_id", "warehouse_id", "ds", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_run.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    ds: Mapped[dt.date] = mapped_column(Date)
    yhat: Mapped[float] = mapped_column(Float)
    yhat_lo_80: Mapped[float | None] = mapped_column(Float)
    yhat_hi_80: Mapped[float | None] = mapped_column(Float)
    yhat_lo_95: Mapped[float | None] = mapped_column(Float)
    yhat_hi_95: Mapped[float | None] = mapped_column(Float)


class ReplenishmentSuggestion(Base):
    """A purchase (cloud ← supplier) or transfer (forward ← cloud) suggestion, with its reasons."""

    __tablename__ = "replenishment_suggestion"
    __table_args__ = (
        CheckConstraint(enum_check("kind", SuggestionKind), name="kind_valid"),
        CheckConstraint(enum_check("status", SuggestionStatus), name="status_valid"),
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        Index("ix_replenishment_suggestion_status", "status", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_run.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=SuggestionStatus.OPEN.value)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    source_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    suggested_quantity: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)  # as edited by the buyer
    reorder_point: Mapped[float] = mapped_column(Float)
    order_up_to: Mapped[float] = mapped_column(Float)
    safety_stock: Mapped[float] = mapped_column(Float)
    lead_time_demand: Mapped[float] = mapped_column(Float)
    lead_time_days: Mapped[float] = mapped_column(Float)
    on_hand: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    in_transit: Mapped[int] = mapped_column(Integer)
    on_order: Mapped[int] = mapped_column(Integer)
    days_until_stockout: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[str | None] = mapped_column(Text)  # JSON
    reject_reason: Mapped[str | None] = mapped_column(String(255))
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id"))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfer.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
