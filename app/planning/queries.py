"""Read models for the planning pages. A page's query count does not grow with its rows."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from app.catalog.models import Category, Product
from app.paging import Sort, sorted_by
from app.planning.models import (
    BatchStatus,
    ForecastBatch,
    ForecastPoint,
    ForecastRun,
    ForecastSeries,
    ReplenishmentSuggestion,
    RunStatus,
    SuggestionStatus,
)
from app.stock.models import MovementKind, StockMovement, Warehouse
from app.stock.overview import Page
from app.suppliers.models import Supplier, SupplierPrice

HISTORY_DAYS_SHOWN = 90


@dataclass(frozen=True)
class SuggestionRow:
    suggestion: ReplenishmentSuggestion
    sku: str
    name: str
    category: str | None
    warehouse_code: str
    source_code: str | None
    supplier_code: str | None
    supplier_name: str | None
    variant: str | None = None  # the product's variant attributes ("Pro / Navy")
    unit_cost: Decimal = Decimal("0")
    currency: str = "CNY"  # the supplier's (purchases); transfers are valued at standard cost
    category_zh: str | None = None  # the category's Chinese name (the page shows it with `local_name`)

    @property
    def reasons(self) -> dict[str, str]:
        return json.loads(self.suggestion.reasons) if self.suggestion.reasons else {}

    @property
    def group(self) -> tuple[str, str | None, str]:
        """One group per document approval makes: a PO per supplier and warehouse, a transfer per route."""
        s = self.suggestion
        return s.kind, (self.source_code if s.kind == "transfer" else self.supplier_code), self.warehouse_code


# The worklist's sortable columns. They order the rows *within* each group (a group is the
# document approval makes, so it stays together); ties: most urgent, then SKU.
_S = ReplenishmentSuggestion
SUGGESTION_SORTS = {"sku": Product.sku, "category": Category.name, "available": _S.on_hand - _S.reserved,
                    "incoming": _S.in_transit + _S.on_order, "stockout": _S.days_until_stockout,
                    "reorder_point": _S.reorder_point, "suggested": _S.suggested_quantity, "quantity": _S.quantity}


def suggestions_page(
    session: Session, *, warehouse_code: str | None = None, supplier_code: str | None = None,
    category_code: str | None = None, within_days: int | None = None, status: str = SuggestionStatus.OPEN.value,
    sort: Sort | None = None, page: int = 1, per_page: int = 50,
) -> Page:
    """Suggestions with their SKU, category, warehouses and supplier (2 queries), grouped by the
    document approval makes (supplier → warehouse, or route), the group with the most urgent row
    first, most urgent first within a group (or by `sort`, a key of SUGGESTION_SORTS).

    ``within_days``: only those whose available stock runs out within that many days.
    """
    source = aliased(Warehouse)
    stmt = (
        select(ReplenishmentSuggestion, Product.sku, Product.name, Category.name, Warehouse.code, source.code,
               Supplier.code, Supplier.name, Product.specification, Product.unit_cost,
               func.coalesce(Supplier.currency, "CNY"), Category.name_zh)
        .join(Product, Product.id == ReplenishmentSuggestion.product_id)
        .join(Warehouse, Warehouse.id == ReplenishmentSuggestion.warehouse_id)
        .outerjoin(source, source.id == ReplenishmentSuggestion.source_warehouse_id)
        .outerjoin(Supplier, Supplier.id == ReplenishmentSuggestion.supplier_id)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(ReplenishmentSuggestion.status == status)
    )
    if warehouse_code:
        stmt = stmt.where(Warehouse.code == warehouse_code)
    if supplier_code:
        stmt = stmt.where(Supplier.code == supplier_code)
    if category_code:
        stmt = stmt.where(Category.code == category_code)
    if within_days is not None:
        stmt = stmt.where(ReplenishmentSuggestion.days_until_stockout <= within_days)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    never = ReplenishmentSuggestion.days_until_stockout.is_(None)
    group = (ReplenishmentSuggestion.kind, ReplenishmentSuggestion.supplier_id,
             ReplenishmentSuggestion.source_warehouse_id, ReplenishmentSuggestion.warehouse_id)
    group_urgency = func.min(func.coalesce(ReplenishmentSuggestion.days_until_stockout, 1e9)).over(partition_by=group)
    within: list[Any] = []
    if sort is not None:
        column = SUGGESTION_SORTS[sort.key]
        within.append((column.desc() if sort.descending else column.asc()).nulls_last())
    rows = session.execute(
        stmt.order_by(group_urgency, *group, *within, never, ReplenishmentSuggestion.days_until_stockout, Product.sku,
                      ReplenishmentSuggestion.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(rows=[SuggestionRow(*row) for row in rows], total=total, page=page, per_page=per_page)


def unit_values(session: Session, rows: list[SuggestionRow], *, on: dt.date) -> dict[int, Decimal]:
    """Per suggestion id, the unit value the buyer commits to: the supplier's price valid `on` (as
    approval puts it on the PO), else the product's standard cost (transfers; unpriced SKUs). One query."""
    purchases = [r.suggestion for r in rows if r.suggestion.kind == "purchase" and r.suggestion.supplier_id]
    prices: dict[tuple[int, int], Decimal] = {}
    if purchases:
        for price in session.scalars(
            select(SupplierPrice).where(
                SupplierPrice.product_id.in_({s.product_id for s in purchases}),
                SupplierPrice.supplier_id.in_({s.supplier_id for s in purchases}),
                SupplierPrice.valid_from <= on, or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= on),
            ).order_by(SupplierPrice.valid_from, SupplierPrice.id)
        ):
            prices[(price.supplier_id, price.product_id)] = price.unit_price  # the latest valid_from wins
    return {r.suggestion.id: prices.get((r.suggestion.supplier_id or 0, r.suggestion.product_id),
                                        Decimal(r.unit_cost or 0)) for r in rows}


@dataclass
class SuggestionGroup:
    """The rows on a page that approval turns into one document, with their value."""

    kind: str
    party: str | None  # supplier code (purchase) or source warehouse code (transfer)
    party_name: str | None
    warehouse_code: str
    currency: str
    items: list[tuple[Any, ...]]  # (row, its decision sub-form, unit value)

    @property
    def total(self) -> Decimal:
        return sum((value * row.suggestion.quantity for row, _form, value in self.items), Decimal("0"))


def group_rows(pairs: list[tuple[SuggestionRow, Any]], values: dict[int, Decimal]) -> list[SuggestionGroup]:
    """Consecutive rows of one group (the query sorts them so) gathered, keeping their order."""
    groups: list[SuggestionGroup] = []
    for row, form in pairs:
        if not groups or (groups[-1].kind, groups[-1].party, groups[-1].warehouse_code) != row.group:
            groups.append(SuggestionGroup(row.suggestion.kind, row.group[1],
                                          row.supplier_name if row.suggestion.kind == "purchase" else None,
                                          row.warehouse_code, row.currency if row.suggestion.kind == "purchase"
                                          else "CNY", []))
        groups[-1].items.append((row, form, values.get(row.suggestion.id, Decimal("0"))))
    return groups


@dataclass(frozen=True)
class RunRow:
    run: ForecastRun
    warehouse_code: str | None
    suggestions: int

    @property
    def model_mix(self) -> dict[str, int]:
        return json.loads(self.run.model_mix) if self.run.model_mix else {}

    @property
    def accuracy(self) -> dict[str, Any]:
        return json.loads(self.run.accuracy) if self.run.accuracy else {}


RUN_SORTS = {"id": ForecastRun.id, "status": ForecastRun.status, "requested": ForecastRun.created_at,
             "finished": ForecastRun.finished_at, "horizon": ForecastRun.horizon_days}


def runs_page(session: Session, *, page: int = 1, per_page: int = 20, sort: Sort | None = None) -> Page:
    """Forecast runs, newest first (or by `sort`, a key of RUN_SORTS), with how many
    suggestions each wrote (2 queries)."""
    counts = (select(ReplenishmentSuggestion.run_id, func.count().label("n"))
              .group_by(ReplenishmentSuggestion.run_id).subquery())
    stmt = (select(ForecastRun, Warehouse.code, func.coalesce(counts.c.n, 0))
            .outerjoin(Warehouse, Warehouse.id == ForecastRun.warehouse_id)
            .outerjoin(counts, counts.c.run_id == ForecastRun.id))
    total = session.scalar(select(func.count()).select_from(ForecastRun)) or 0
    page = max(1, page)
    stmt = sorted_by(stmt, sort, RUN_SORTS, ForecastRun.id.desc())
    rows = session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows=[RunRow(*row) for row in rows], total=total, page=page, per_page=per_page)


@dataclass(frozen=True)
class RunProgress:
    """How far a run is, from what it committed (so it survives a restart): batches and
    series done, the rate over its forecasting time (every attempt) and the time left."""

    batches_done: int
    batches_total: int
    series_per_second: float | None
    eta_seconds: float | None


def run_progress(session: Session, run: ForecastRun) -> RunProgress:
    """Batches done/total of ``run`` (1 query), rate and ETA from its progress and elapsed time."""
    counts = dict(session.execute(
        select(ForecastBatch.status, func.count()).where(ForecastBatch.run_id == run.id)
        .group_by(ForecastBatch.status)).all())
    done = int(counts.get(BatchStatus.DONE.value, 0))
    total = done + int(counts.get(BatchStatus.PENDING.value, 0))
    elapsed = run.elapsed_seconds or 0.0
    rate = run.progress_done / elapsed if elapsed > 0 and run.progress_done else None
    left = max(run.progress_total - run.progress_done, 0)
    eta = None if rate is None or run.status != RunStatus.RUNNING.value else round(left / rate, 1)
    return RunProgress(batches_done=done, batches_total=total,
                       series_per_second=round(rate, 2) if rate is not None else None, eta_seconds=eta)


@dataclass(frozen=True)
class SeriesDetail:
    product: Product
    warehouse: Warehouse
    run: ForecastRun | None
    series: ForecastSeries | None
    history: list[tuple[dt.date, float]]
    points: list[ForecastPoint]
    suggestion: ReplenishmentSuggestion | None


def series_detail(session: Session, *, product_id: int, warehouse_id: int) -> SeriesDetail | None:
    """The latest succeeded forecast of one product × warehouse, its recent history and suggestion."""
    product, warehouse = session.get(Product, product_id), session.get(Warehouse, warehouse_id)
    if product is None or warehouse is None:
        return None
    found = session.execute(
        select(ForecastSeries, ForecastRun).join(ForecastRun, ForecastRun.id == ForecastSeries.run_id)
        .where(ForecastSeries.product_id == product_id, ForecastSeries.warehouse_id == warehouse_id,
               ForecastRun.status == RunStatus.SUCCEEDED.value)
        .order_by(ForecastRun.id.desc()).limit(1)
    ).first()
    series, run = (found[0], found[1]) if found else (None, None)
    points = list(session.scalars(
        select(ForecastPoint).where(ForecastPoint.run_id == run.id, ForecastPoint.product_id == product_id,
                                    ForecastPoint.warehouse_id == warehouse_id).order_by(ForecastPoint.ds)
    )) if run else []
    end = points[0].ds - dt.timedelta(days=1) if points else dt.date.today()
    start = end - dt.timedelta(days=HISTORY_DAYS_SHOWN - 1)
    daily = dict(session.execute(
        select(StockMovement.business_date, -func.sum(StockMovement.quantity))
        .where(StockMovement.product_id == product_id, StockMovement.warehouse_id == warehouse_id,
               StockMovement.kind.in_([MovementKind.SHIPMENT.value, MovementKind.CUSTOMER_RETURN.value]),
               StockMovement.business_date.between(start, end))
        .group_by(StockMovement.business_date)
    ).all())
    history = [(day, max(float(daily.get(day, 0)), 0.0))
               for day in (start + dt.timedelta(days=i) for i in range(HISTORY_DAYS_SHOWN))]
    suggestion = session.scalar(
        select(ReplenishmentSuggestion).where(ReplenishmentSuggestion.product_id == product_id,
                                              ReplenishmentSuggestion.warehouse_id == warehouse_id)
        .order_by(ReplenishmentSuggestion.id.desc()).limit(1)
    )
    return SeriesDetail(product, warehouse, run, series, history, points, suggestion)


def supplier_choices(session: Session) -> list[tuple[str, str]]:
    return [(s.code, f"{s.code} — {s.name}") for s in session.scalars(select(Supplier).order_by(Supplier.code))]
