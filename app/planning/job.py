"""The only I/O of forecasting: read the ledger, run the pure pipeline, write a run's results.

:func:`execute_run` takes a run that :mod:`app.planning.service` has already claimed
(status ``running``) and

1. reads, in one short read transaction, demand history, stock positions, supplier terms,
   measured lead times and the planning settings (:func:`load_planning_data`);
2. forecasts from the run's start date (today) in batches of series on one process pool
   (no transaction open; the pure pipeline's progress hook feeds :class:`ProgressWriter`,
   which writes it in separate short transactions for the run page to follow);
3. plans every SKU across the network with the pure :func:`forecasting.plan.plan_network`
   (cloud purchase from its preferred supplier + forward transfers, fair shortage sharing);
4. writes every result in ONE transaction at the end: series, points, suggestions, older
   open suggestions marked ``superseded``, the run's stats and status ``succeeded``.

Any error marks the run ``failed`` with the reason (never left ``running``). Demand =
shipments net of customer returns per product × warehouse × business day (negative net
days count as zero demand). No Flask here: the caller passes a session factory.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.audit.service import get_setting
from app.catalog.models import Product
from app.planning.models import (
    ForecastPoint,
    ForecastRun,
    ForecastSeries,
    ReplenishmentSuggestion,
    RunStatus,
    SuggestionStatus,
)
from app.planning.service import DEFAULT_HISTORY_DAYS
from app.purchasing.models import POLineStatus, POStatus, PurchaseOrder, PurchaseOrderLine, Receipt
from app.stock.models import MovementKind, StockBalance, StockMovement, Warehouse, WarehouseKind
from app.suppliers.models import Supplier, SupplierPrice
from app.transfers.models import Transfer
from forecasting.engine import dask_client
from forecasting.events import CHINESE_NEW_YEAR, promotion_days
from forecasting.pipeline import run_forecast
from forecasting.plan import NetworkInputs, Site, SupplierTerms, plan_network
from forecasting.replenish import StockPosition

LEVELS = (80, 95)
MIN_BATCH_SIZE = 200  # series per batch: progress granularity vs per-batch overhead
BATCHES = 20  # larger catalogues: about this many batches (progress steps, load balance)
SCHEDULER_ENV = "STOCKWISE_DASK_SCHEDULER"  # address of an existing dask cluster (engine "dask")
PROGRESS_EVERY_SECONDS = 1.0
ERROR_MAX_CHARS = 2000
WRITE_CHUNK = 5000

SessionFactory = Callable[[], Session]
Progress = Callable[[str, int, int], None]  # stage, done, total


@dataclass
class PlanningData:
    """Everything a run reads from the database (see :func:`load_planning_data`)."""

    history: pd.DataFrame  # unique_id, ds, y
    series_keys: dict[str, tuple[int, int]]  # unique_id -> (product_id, warehouse_id)
    network: NetworkInputs


@dataclass
class RunResults:
    """What :func:`execute_run` writes at the end."""

    selection: pd.DataFrame
    forecasts: pd.DataFrame
    suggestions: list[dict[str, Any]] = field(default_factory=list)


def series_id(sku: str, warehouse_code: str) -> str:
    return f"{sku}@{warehouse_code}"


def load_demand_history(
    session: Session, *, since: dt.date | None = None, warehouse_id: int | None = None
) -> pd.DataFrame:
    """Daily net demand per product × warehouse, summed in SQL by business date.

    Returns ``product_id, warehouse_id, ds, y`` (y >= 0; a day with more returns than
    shipments is zero demand). Shipments are stored negative in the ledger, returns positive.
    """
    demand = -func.sum(StockMovement.quantity)
    stmt = (
        select(StockMovement.product_id, StockMovement.warehouse_id, StockMovement.business_date, demand)
        .where(StockMovement.kind.in_([MovementKind.SHIPMENT.value, MovementKind.CUSTOMER_RETURN.value]))
        .group_by(StockMovement.product_id, StockMovement.warehouse_id, StockMovement.business_date)
    )
    if since is not None:
        stmt = stmt.where(StockMovement.business_date >= since)
    if warehouse_id is not None:
        stmt = stmt.where(StockMovement.warehouse_id == warehouse_id)
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["product_id", "warehouse_id", "ds", "y"])
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["y"] = frame["y"].astype("float64").clip(lower=0.0)
    return frame


def load_positions(session: Session) -> dict[tuple[int, int], StockPosition]:
    """On hand, reserved, in transit (balances) and on order (open PO lines) per product × warehouse."""
    positions: dict[tuple[int, int], dict[str, int]] = {}
    for bal in session.execute(
        select(StockBalance.product_id, StockBalance.warehouse_id, StockBalance.on_hand,
               StockBalance.reserved, StockBalance.in_transit)
    ):
        positions[(bal[0], bal[1])] = {"on_hand": bal[2], "reserved": bal[3], "in_transit": bal[4]}
    ordered = func.coalesce(PurchaseOrderLine.confirmed_quantity, PurchaseOrderLine.quantity)
    open_qty = func.sum(case((ordered > PurchaseOrderLine.received_quantity,
                              ordered - PurchaseOrderLine.received_quantity), else_=0))
    open_statuses = [POStatus.SENT.value, POStatus.CONFIRMED.value, POStatus.PARTIALLY_RECEIVED.value]
    stmt = (
        select(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id, open_qty)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status.in_(open_statuses),
               PurchaseOrderLine.status.notin_([POLineStatus.CANCELLED.value, POLineStatus.REJECTED.value]))
        .group_by(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id)
    )
    for product_id, warehouse_id, quantity in session.execute(stmt):
        positions.setdefault((product_id, warehouse_id), {"on_hand": 0})["on_order"] = int(quantity or 0)
    return {key: StockPosition(**values) for key, values in positions.items()}


def load_supplier_terms(session: Session, today: dt.date) -> dict[int, SupplierTerms]:
    """Per product the valid price of an active supplier: preferred first, then the cheapest."""
    stmt = (
        select(SupplierPrice)
        .join(Supplier, Supplier.id == SupplierPrice.supplier_id)
        .where(Supplier.is_active.is_(True), SupplierPrice.valid_from <= today,
               or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= today))
        .order_by(SupplierPrice.product_id, SupplierPrice.is_preferred.desc(), SupplierPrice.unit_price,
                  SupplierPrice.valid_from.desc(), SupplierPrice.id)
    )
    terms: dict[int, SupplierTerms] = {}
    for price in session.scalars(stmt):
        terms.setdefault(price.product_id, SupplierTerms(price.supplier_id, price.moq, price.pack_size,
                                                         price.lead_time_days))
    return terms


def measured_lead_times(session: Session) -> tuple[dict[int, list[float]], dict[tuple[int, int], list[float]]]:
    """Days from a PO being sent to each of its receipts, per supplier; and from a transfer
    being shipped to its receipt, per (source, destination) route."""
    by_supplier: dict[int, list[float]] = {}
    receipts = (
        select(PurchaseOrder.supplier_id, PurchaseOrder.sent_at, Receipt.received_at)
        .join(Receipt, Receipt.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.sent_at.is_not(None))
    )
    for supplier_id, sent_at, received_at in session.execute(receipts):
        if sent_at is not None and received_at is not None and received_at >= sent_at:
            by_supplier.setdefault(supplier_id, []).append((received_at - sent_at).total_seconds() / 86400)
    by_route: dict[tuple[int, int], list[float]] = {}
    transfers = select(Transfer.source_warehouse_id, Transfer.dest_warehouse_id, Transfer.shipped_at,
                       Transfer.received_at).where(and_(Transfer.shipped_at.is_not(None),
                                                        Transfer.received_at.is_not(None)))
    for source, dest, shipped_at, arrived_at in session.execute(transfers):
        if shipped_at is not None and arrived_at is not None and arrived_at >= shipped_at:
            by_route.setdefault((source, dest), []).append((arrived_at - shipped_at).total_seconds() / 86400)
    return by_supplier, by_route


def load_planning_data(
    session: Session, *, today: dt.date, history_days: int | None = DEFAULT_HISTORY_DAYS,
    warehouse_id: int | None = None,
) -> PlanningData:
    """Read everything a run needs (read-only; the caller ends the transaction)."""
    since = None if history_days is None else today - dt.timedelta(days=history_days)
    raw = load_demand_history(session, since=since, warehouse_id=warehouse_id)
    warehouses = {w.id: Site(w.id, w.code, w.kind == WarehouseKind.CLOUD.value, w.replenished_from_id)
                  for w in session.scalars(select(Warehouse).where(Warehouse.is_active.is_(True)))}
    raw = raw.loc[raw["warehouse_id"].isin(list(warehouses))]
    products = session.execute(
        select(Product.id, Product.sku, Product.pack_size).where(Product.is_active.is_(True))
    ).all()
    skus = {pid: sku for pid, sku, _ in products}
    raw = raw.loc[raw["product_id"].isin(list(skus))]
    codes = {wid: w.code for wid, w in warehouses.items()}
    ids = raw["product_id"].map(skus).astype(str) + "@" + raw["warehouse_id"].map(codes).astype(str)
    history = pd.DataFrame({"unique_id": ids.to_numpy(), "ds": raw["ds"].to_numpy(), "y": raw["y"].to_numpy()})
    keys = dict(zip(ids, zip(raw["product_id"].tolist(), raw["warehouse_id"].tolist(), strict=True), strict=True))
    by_supplier, by_route = measured_lead_times(session)
    network = NetworkInputs(
        skus=skus, pack_sizes={pid: pack for pid, _, pack in products}, warehouses=warehouses,
        positions=load_positions(session), terms=load_supplier_terms(session, today),
        supplier_lead_times=by_supplier, route_lead_times=by_route,
        service_level=float(get_setting(session, "service_level")),
        review_period_days=float(get_setting(session, "review_period_days")), warehouse_id=warehouse_id,
    )
    return PlanningData(history=history, series_keys=keys, network=network)


def promotion_calendar(first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame | None:
    """Promotion days over ``first..last``, limited to the years whose calendar we know."""
    start = max(first, pd.Timestamp(min(CHINESE_NEW_YEAR), 1, 1))
    end = min(last, pd.Timestamp(max(CHINESE_NEW_YEAR), 12, 31))
    return promotion_days(start, end) if start <= end else None


def forecast_all(
    history: pd.DataFrame, horizon: int, *, start: dt.date, engine: str, batch_size: int, progress: Progress,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``run_forecast`` from ``start`` (batches on one process pool; uplift pooled over all series)."""
    first_day = pd.Timestamp(start)
    events = promotion_calendar(history["ds"].min(), first_day + pd.Timedelta(days=horizon))
    result = run_forecast(history, horizon, level=LEVELS, events=events, engine=engine, start=first_day,
                          batch_size=batch_size, progress=lambda done, total, stage: progress(stage, done, total))
    return result.forecasts, result.selection


def scheduler_address(engine: str) -> str | None:
    """The dask scheduler to connect to for ``engine="dask"``: ``$STOCKWISE_DASK_SCHEDULER``
    (e.g. ``tcp://10.0.0.5:8786``); None = an in-process local cluster (dask's default)."""
    return (os.environ.get(SCHEDULER_ENV) or None) if engine == "dask" else None


def run_stats(selection: pd.DataFrame) -> tuple[dict[str, int], dict[str, Any]]:
    """Model mix ``{model: series}`` and accuracy (mean backtest MASE/RMSSE over the series
    that could be backtested, and our MASE relative to seasonal naive's)."""
    mix = {str(k): int(v) for k, v in selection["model"].value_counts().sort_index().items()}
    scored = selection.dropna(subset=["mase", "mase_seasonal_naive"])
    naive = float(scored["mase_seasonal_naive"].mean()) if not scored.empty else math.nan
    ours = float(scored["mase"].mean()) if not scored.empty else math.nan
    accuracy = {
        "mase": _finite(selection["mase"].mean()),
        "rmsse": _finite(selection["rmsse"].mean()),
        "mase_seasonal_naive": _finite(naive),
        "mase_vs_seasonal_naive": _finite(ours / naive) if naive else None,
        "backtested_series": len(scored),
    }
    return mix, accuracy


def _finite(value: Any) -> float | None:
    return round(float(value), 4) if value is not None and np.isfinite(value) else None


class ProgressWriter:
    """Writes stage/progress/heartbeat of one run in its own short transactions (throttled),
    then calls ``also`` (e.g. a terminal progress bar)."""

    def __init__(self, sessions: SessionFactory, run_id: int, also: Progress | None = None) -> None:
        self.sessions, self.run_id, self.also = sessions, run_id, also
        self.stage: str | None = None
        self.last_write = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.also is not None:
            self.also(stage, done, total)
        now = time.monotonic()
        if stage == self.stage and done < total and now - self.last_write < PROGRESS_EVERY_SECONDS:
            return
        self.stage, self.last_write = stage, now
        with self.sessions() as s, s.begin():
            s.execute(update(ForecastRun).where(ForecastRun.id == self.run_id).values(
                stage=stage, progress_done=done, progress_total=total, heartbeat_at=dt.datetime.now(dt.UTC)))


class RunLost(RuntimeError):
    """The run is no longer ``running`` (marked failed as stale by another process)."""


def execute_run(
    sessions: SessionFactory, run_id: int, *, on_progress: Progress | None = None,
    history_days: int | None = DEFAULT_HISTORY_DAYS, batch_size: int | None = None,
    today: dt.date | None = None,
) -> str:
    """Run the claimed (``running``) forecast run ``run_id`` to the end; return its final status.

    ``sessions`` makes a new session per transaction. ``batch_size`` (series per forecast
    call) defaults to ``max(MIN_BATCH_SIZE, series / BATCHES)``. Errors are recorded on the run
    (status ``failed``, ``error`` = why) and not raised; an interrupt (Ctrl-C, SIGTERM turned
    into KeyboardInterrupt) is recorded and re-raised.
    """
    progress = ProgressWriter(sessions, run_id, on_progress)
    try:
        progress("reading history", 0, 1)
        with sessions() as s, s.begin():
            run = s.get(ForecastRun, run_id)
            if run is None or run.status != RunStatus.RUNNING.value:
                raise RunLost(f"forecast run {run_id} is not running")
            horizon, engine, warehouse_id = run.horizon_days, run.engine, run.warehouse_id
            run_day = today or dt.datetime.now(dt.UTC).date()
            data = load_planning_data(s, today=run_day, history_days=history_days, warehouse_id=warehouse_id)
        if data.history.empty:
            raise ValueError("no demand history (shipments) to forecast from"
                             + (f" in the last {history_days} days" if history_days else ""))
        n_series = data.history["unique_id"].nunique()
        batch = batch_size or max(MIN_BATCH_SIZE, -(-n_series // BATCHES))
        with dask_client(scheduler_address(engine)):
            forecasts, selection = forecast_all(data.history, horizon, start=run_day, engine=engine, batch_size=batch,
                                                progress=progress)
        suggestions = plan_network(data.network, forecasts, data.series_keys,
                                   lambda done, total, stage: progress(stage, done, total))
        results = RunResults(selection=selection, forecasts=forecasts, suggestions=suggestions)
        progress("writing results", 0, 1)
        with sessions() as s, s.begin():
            write_results(s, run_id, data, results)
        return RunStatus.SUCCEEDED.value
    except KeyboardInterrupt:
        _mark_failed(sessions, run_id, "interrupted (Ctrl-C or the worker was stopped)")
        raise
    except Exception as exc:  # any failure is recorded on the run, with why
        _mark_failed(sessions, run_id, f"{type(exc).__name__}: {exc}")
        return RunStatus.FAILED.value


def write_results(session: Session, run_id: int, data: PlanningData, results: RunResults) -> None:
    """Series, points and suggestions of a run, older open suggestions superseded, run stats."""
    now = dt.datetime.now(dt.UTC)
    mix, accuracy = run_stats(results.selection)
    finished = session.execute(
        update(ForecastRun).where(ForecastRun.id == run_id, ForecastRun.status == RunStatus.RUNNING.value)
        .values(status=RunStatus.SUCCEEDED.value, finished_at=now, heartbeat_at=now, stage="done",
                progress_done=1, progress_total=1, series_count=len(results.selection),
                model_mix=json.dumps(mix), accuracy=json.dumps(accuracy))
    )
    if finished.rowcount != 1:  # type: ignore[attr-defined]
        raise RunLost(f"forecast run {run_id} stopped running (taken over as stale); results discarded")
    keys = data.series_keys
    sel = results.selection
    series_rows = [
        {"run_id": run_id, "product_id": keys[uid][0], "warehouse_id": keys[uid][1], "demand_class": cls,
         "model": model, "mase": _finite(mase), "rmsse": _finite(rmsse)}
        for uid, cls, model, mase, rmsse in zip(sel["unique_id"], sel["demand_class"], sel["model"], sel["mase"],
                                                sel["rmsse"], strict=True)
    ]
    fc = results.forecasts
    key_of = fc["unique_id"].map(keys)
    point_rows = [
        {"run_id": run_id, "product_id": key[0], "warehouse_id": key[1], "ds": ds.date(), "yhat": float(yhat),
         "yhat_lo_80": float(lo80), "yhat_hi_80": float(hi80), "yhat_lo_95": float(lo95), "yhat_hi_95": float(hi95)}
        for key, ds, yhat, lo80, hi80, lo95, hi95 in zip(
            key_of, fc["ds"], fc["yhat"], fc["yhat_lo_80"], fc["yhat_hi_80"], fc["yhat_lo_95"], fc["yhat_hi_95"],
            strict=True)
    ]
    superseded = update(ReplenishmentSuggestion).where(
        ReplenishmentSuggestion.status == SuggestionStatus.OPEN.value)
    if data.network.warehouse_id is not None:
        superseded = superseded.where(ReplenishmentSuggestion.warehouse_id == data.network.warehouse_id)
    session.execute(superseded.values(status=SuggestionStatus.SUPERSEDED.value, decided_at=now))
    for model, rows in ((ForecastSeries, series_rows), (ForecastPoint, point_rows),
                        (ReplenishmentSuggestion, [{"run_id": run_id, "created_at": now,
                                                    "status": SuggestionStatus.OPEN.value, **r}
                                                   for r in results.suggestions])):
        for i in range(0, len(rows), WRITE_CHUNK):
            session.execute(insert(model), rows[i:i + WRITE_CHUNK])


def _mark_failed(sessions: SessionFactory, run_id: int, error: str) -> None:
    now = dt.datetime.now(dt.UTC)
    with sessions() as s, s.begin():
        s.execute(update(ForecastRun).where(ForecastRun.id == run_id, ForecastRun.status == RunStatus.RUNNING.value)
                  .values(status=RunStatus.FAILED.value, error=error[:ERROR_MAX_CHARS], finished_at=now,
                          heartbeat_at=now))
