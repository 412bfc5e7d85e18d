"""Imports every domain's models so that `Base.metadata` is complete (Alembic, tests)."""
from app.alerts.models import Alert
from app.audit.models import AuditEntry
from app.auth.models import ApiClient, LoginThrottle, Role, Scope, StaffUser, SupplierUser, WebhookDelivery
from app.catalog.models import Category, Product
from app.clearance.models import Clearance, ClearanceAction, ClearanceStatus
from app.counts.models import CountKind, CountStatus, CycleCount, CycleCountLine
from app.db import Base
from app.planning.models import (
    BatchStatus,
    ForecastBatch,
    ForecastPoint,
    ForecastRun,
    ForecastSeries,
    ForecastWorker,
    ReplenishmentSuggestion,
    RunStatus,
    SuggestionKind,
    SuggestionStatus,
)
from app.purchasing.models import (
    ASNStatus,
    POLineStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    ReturnStatus,
    ShipmentNotice,
    ShipmentNoticeLine,
    SupplierReturn,
    SupplierReturnLine,
)
from app.settings.models import Setting
from app.stock.models import (
    HotSku,
    IdempotencyRecord,
    MovementKind,
    Reservation,
    ReservationAllocation,
    ReservationLine,
    ReservationStatus,
    StockBalance,
    StockChange,
    StockMovement,
    Warehouse,
    WarehouseKind,
)
from app.suppliers.models import Supplier, SupplierPrice
from app.transfers.models import Transfer, TransferLine, TransferStatus

__all__ = [
    "ASNStatus", "Alert", "ApiClient", "AuditEntry", "Base", "BatchStatus", "Category", "Clearance",
    "ClearanceAction", "ClearanceStatus", "CountKind", "CountStatus",
    "CycleCount", "CycleCountLine", "ForecastBatch", "ForecastPoint", "ForecastRun", "ForecastSeries",
    "ForecastWorker", "HotSku", "IdempotencyRecord", "LoginThrottle", "MovementKind", "POLineStatus", "POStatus", "Product",
    "PurchaseOrder", "PurchaseOrderLine", "Receipt", "ReceiptLine", "ReplenishmentSuggestion",
    "Reservation", "ReservationAllocation", "ReservationLine", "ReservationStatus", "ReturnStatus",
    "Role", "RunStatus", "Scope", "Setting", "ShipmentNotice", "ShipmentNoticeLine", "StaffUser",
    "StockBalance", "StockChange", "StockMovement", "SuggestionKind", "SuggestionStatus", "Supplier",
    "SupplierPrice", "SupplierReturn", "SupplierReturnLine", "SupplierUser", "Transfer", "TransferLine",
    "TransferStatus", "Warehouse", "WarehouseKind", "WebhookDelivery",
]
