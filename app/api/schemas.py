"""One pydantic model per payload of the stock API (docs: docs/api.md, "The stock API contract").

The same models validate requests, build responses and feed the OpenAPI document
(`app.api.openapi`). Request bodies are strict (no "5" for 5, no 5.0, no true for 1,
no unknown fields) and bounded, so bad input is a 4xx naming the field, never a 500.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from app.stock.buckets import HotState
from app.stock.levels import ChangePage, SkuAvailability, StockLevel
from app.stock.models import MAX_BUCKETS
from app.stock.reservation_types import ReservationView

MAX_QUANTITY = 1_000_000_000
MAX_BATCH = 1000
# Printable text: no control characters (PostgreSQL refuses NUL; nobody means the others).
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

Sku = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x20\x7f/?#%]+$")]
WarehouseCode = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[^\x00-\x20\x7f/?#%]+$")]
Region = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_PRINTABLE)]
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY, description="A positive integer in the SKU's unit.")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_PRINTABLE)]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=_PRINTABLE)]
CategoryName = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=_PRINTABLE)]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_PRINTABLE)]


def _in_utc_range(value: dt.datetime) -> dt.datetime:
    """The instant must exist in UTC: `9999-12-31T23:59:59-12:00` is past year 9999 there and
    `0001-01-01T00:00:00+14:00` before year 1, so neither can be stored (was a 500 OverflowError)."""
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("timestamp is outside the years 0001–9999 once converted to UTC") from None


Timestamp = Annotated[AwareDatetime, AfterValidator(_in_utc_range),
                      Field(description="ISO 8601 with a zone, within 0001-01-01 and 9999-12-31 in UTC.")]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class QueryModel(BaseModel):
    """Query strings arrive as text: lax parsing ("5" → 5); unknown parameters are refused by the router."""

    model_config = ConfigDict(extra="ignore")


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- problems -----------------------------------------------------------------------
class FieldError(ResponseModel):
    field: str = Field(description="Where the problem is, e.g. `lines[0].quantity`.")
    message: str


class Shortage(ResponseModel):
    sku: str
    requested: int
    available: int


class Problem(BaseModel):
    """RFC 9457 problem details. Validation problems carry `errors`; insufficient stock `shortages`."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
    shortages: list[Shortage] | None = None


# --- catalog ------------------------------------------------------------------------
class ProductPut(RequestModel):
    name: Name
    unit: Unit = "pcs"
    category: CategoryName | None = None
    pack_size: Annotated[int, Field(ge=1, le=1_000_000)] = 1


class ProductOut(ResponseModel):
    sku: str
    name: str
    unit: str
    category: str | None
    pack_size: int


class HotSkuPut(RequestModel):
    buckets: Annotated[int, Field(ge=1, le=MAX_BUCKETS, description=(
        "How many stock buckets each balance of the SKU is split into: 2 … 32 turns hot-SKU mode on, "
        "1 turns it off (the buckets merge back)."))]


class HotSkuOut(ResponseModel):
    sku: str
    hot: bool
    buckets: int = Field(description="Stock buckets per balance; 1 when the SKU is not in hot-SKU mode.")
    source: Literal["admin", "auto"] | None = Field(
        description="Who marked it: an admin, or the lock-wait scan (`flask --app wsgi stock hot-scan`).")
    marked_at: dt.datetime | None
    marked_by: str | None
    lock_waiters: float | None = Field(
        description="When the scan marked it: the mean number of backends it saw waiting on one of its balances.")

    @classmethod
    def of(cls, state: HotState) -> HotSkuOut:
        return cls(sku=state.sku, hot=state.buckets > 1, buckets=state.buckets,
                   source=state.source, marked_at=state.marked_at,  # type: ignore[arg-type]
                   marked_by=state.marked_by, lock_waiters=state.waiters)


class WarehouseOut(ResponseModel):
    code: str
    name: str
    kind: Literal["cloud", "forward"]
    region: str
    city: str


class WarehouseList(ResponseModel):
    warehouses: list[WarehouseOut]


# --- stock levels -------------------------------------------------------------------
class StockQuery(QueryModel):
    sku: Annotated[list[Sku], Field(min_length=1, max_length=MAX_BATCH)]
    warehouse: WarehouseCode | None = None


class StockLookup(RequestModel):
    """`POST /stock/query`: the GET's parameters as a JSON body, for SKU lists too long for a URL."""

    sku: Annotated[list[Sku], Field(min_length=1, max_length=MAX_BATCH)]
    warehouse: WarehouseCode | None = None


class StockRow(ResponseModel):
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    in_transit: int

    @classmethod
    def of(cls, level: StockLevel) -> StockRow:
        return cls(sku=level.sku, warehouse=level.warehouse, on_hand=level.on_hand, reserved=level.reserved,
                   available=level.available, in_transit=level.in_transit)


class StockList(ResponseModel):
    stock: list[StockRow]


class AvailabilityQuery(QueryModel):
    sku: Annotated[list[Sku], Field(min_length=1, max_length=MAX_BATCH)]
    region: Region | None = None


class AvailabilityLookup(RequestModel):
    """`POST /availability/query`: the GET's parameters as a JSON body, for long SKU lists."""

    sku: Annotated[list[Sku], Field(min_length=1, max_length=MAX_BATCH)]
    region: Region | None = None


class WarehouseAvailabilityOut(ResponseModel):
    warehouse: str
    available: int
    serves_region: bool


class SkuAvailabilityOut(ResponseModel):
    sku: str
    available: int = Field(description="Total over all warehouses.")
    warehouses: list[WarehouseAvailabilityOut]

    @classmethod
    def of(cls, a: SkuAvailability) -> SkuAvailabilityOut:
        return cls(sku=a.sku, available=a.available, warehouses=[
            WarehouseAvailabilityOut(warehouse=w.warehouse, available=w.available, serves_region=w.serves_region)
            for w in a.warehouses
        ])


class AvailabilityList(ResponseModel):
    availability: list[SkuAvailabilityOut]


# --- reservations -------------------------------------------------------------------
class ReservationLineIn(RequestModel):
    sku: Sku
    quantity: Quantity


class ReservationCreate(RequestModel):
    order_ref: Reference
    region: Region | None = None
    ttl_seconds: Annotated[int, Field(ge=1, le=7 * 24 * 3600, description="How long the hold lasts.")] = 900
    lines: Annotated[list[ReservationLineIn], Field(min_length=1, max_length=MAX_BATCH)]


class AllocationOut(ResponseModel):
    warehouse: str
    quantity: int


class ReservationLineOut(ResponseModel):
    sku: str
    quantity: int
    allocations: list[AllocationOut]


class ReservationOut(ResponseModel):
    id: str
    order_ref: str
    status: Literal["active", "committed", "released", "expired"]
    expires_at: dt.datetime
    lines: list[ReservationLineOut]

    @classmethod
    def of(cls, view: ReservationView) -> ReservationOut:
        return cls(id=view.id, order_ref=view.order_ref, status=view.status,  # type: ignore[arg-type]
                   expires_at=view.expires_at, lines=[
                       ReservationLineOut(sku=line.sku, quantity=line.quantity, allocations=[
                           AllocationOut(warehouse=a.warehouse, quantity=a.quantity) for a in line.allocations])
                       for line in view.lines])


# --- movements ----------------------------------------------------------------------
MovementKindIn = Literal["receipt", "adjustment", "count", "customer_return", "damage"]


class MovementIn(RequestModel):
    event_id: Reference
    warehouse: WarehouseCode
    sku: Sku
    kind: MovementKindIn
    quantity: Annotated[int, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY, description=(
        "receipt, customer_return, damage: > 0; adjustment: ≠ 0 (signed); count: the counted on-hand figure ≥ 0."))]
    occurred_at: Timestamp


class MovementBatch(RequestModel):
    movements: Annotated[list[MovementIn], Field(min_length=1, max_length=MAX_BATCH)]


class MovementResult(ResponseModel):
    applied: int
    duplicates: int


# --- change feed --------------------------------------------------------------------
class ChangesQuery(QueryModel):
    after: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


class ChangeOut(ResponseModel):
    cursor: int
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    at: dt.datetime


class ChangeList(ResponseModel):
    changes: list[ChangeOut]
    next_cursor: int = Field(description="Pass as `after` to continue; equals `after` when nothing is new.")

    @classmethod
    def of(cls, page: ChangePage) -> ChangeList:
        return cls(next_cursor=page.next_cursor, changes=[
            ChangeOut(cursor=c.cursor, sku=c.sku, warehouse=c.warehouse, on_hand=c.on_hand, reserved=c.reserved,
                      available=c.available, at=c.at) for c in page.changes])


class WebhookBatch(ResponseModel):
    """The body POSTed to a client's webhook: change records as in the change feed."""

    changes: list[ChangeOut]
