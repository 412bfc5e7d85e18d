"""Network planning for a whole catalogue: forecasts + stock + supplier terms → suggestions.

Pure (no database): :func:`plan_network` takes the forecasts of a run and a
:class:`NetworkInputs` snapshot and returns one row per suggested purchase or transfer.
Per product, every cloud warehouse plans for itself plus the forward warehouses it
replenishes (``replenished_from_id``, else the lowest-id cloud): the forward warehouses get
transfers, the cloud a purchase from the product's supplier, with shortage sharing, see
:func:`forecasting.network.plan_sku_network`.

* Demand: a series' daily ``yhat``; σ_d from the upper 95 % interval bound
  (:func:`forecasting.inventory.demand_std_from_interval`). A cloud plans for network
  demand: its own forecast + its forward warehouses' (variances added, i.e. independent).
* Lead times: the supplier's measured PO lead times (≥ 3 receipts), else the price list's;
  a product without a valid price assumes :data:`NO_PRICE_LEAD_TIME_DAYS` and says so.
  Transfers: the route's measured transfer times, else :data:`TRANSFER_LEAD_TIME_DAYS`.
* Service: with ``NetworkInputs.target_fill_rates`` (category code → target fill rate, ``"*"``
  for every other category) the fill-rate mode of :mod:`forecasting.replenish`: each cloud
  purchase gets the fill rate that meets its category's target at minimum stock value
  (:func:`forecasting.replenish.allocate_fill_rates_to_items`, valued at ``unit_values``),
  each forward transfer its category's target. Without targets: one cycle service level (z).
  ``spread`` (from past runs, :func:`forecasting.calibration.calibrate_spread`) scales the
  forecast by its bias and σ_d by how much wider the actual errors were than the intervals.
  ``error_pool`` (past runs' errors per demand class, :mod:`forecasting.protection`): cloud
  purchases take their protection-period demand from it instead of the calibrated normal.
* A run limited to one warehouse (``NetworkInputs.warehouse_id``) only suggests for it: a
  forward warehouse gets its transfers, not the cloud's purchases.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.calibration import SpreadCalibration
from forecasting.inventory import (
    LeadTime,
    ReplenishmentInput,
    StockPosition,
    demand_std_from_interval,
    lead_time_from_receipts,
)
from forecasting.network import PURCHASE, Suggestion, plan_sku_network
from forecasting.protection import ErrorPool
from forecasting.replenish import allocate_fill_rates_to_items, with_protection_scenarios

NO_PRICE_LEAD_TIME_DAYS = 14.0  # a SKU without a valid price: assume a slow supplier
TRANSFER_LEAD_TIME_DAYS = 2.0  # the 48-hour promise, until transfers have been measured
PROGRESS_EVERY = 50  # products between progress calls

PlanProgress = Callable[[int, int, str], None]  # done, total, stage
Demand = dict[tuple[int, int], tuple[list[float], float]]  # (product, warehouse) -> (yhat, σ_d)


@dataclass(frozen=True)
class Site:
    """A warehouse as the planner sees it."""

    id: int
    code: str
    is_cloud: bool
    replenished_from_id: int | None = None


@dataclass(frozen=True)
class SupplierTerms:
    """The preferred valid price-list terms of one product."""

    supplier_id: int
    moq: int
    pack_size: int
    lead_time_days: int


@dataclass
class NetworkInputs:
    """The state the planner needs, keyed by database ids (see the module doc)."""

    skus: dict[int, str]
    pack_sizes: dict[int, int]
    warehouses: dict[int, Site]
    positions: dict[tuple[int, int], StockPosition]
    terms: dict[int, SupplierTerms]
    supplier_lead_times: dict[int, list[float]]
    route_lead_times: dict[tuple[int, int], list[float]]
    service_level: float
    review_period_days: float
    warehouse_id: int | None = None
    target_fill_rates: dict[str, float] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)  # product id → category code
    unit_values: dict[int, float] = field(default_factory=dict)  # product id → value of one unit
    spread: SpreadCalibration = field(default_factory=SpreadCalibration)
    error_pool: ErrorPool | None = None  # past forecast errors per demand class (forecasting.protection)

    def target_fill_rate(self, product_id: int) -> float | None:
        """The target fill rate of the product's category (else ``"*"``); None: z mode."""
        if not self.target_fill_rates:
            return None
        category = self.categories.get(product_id, "")
        return self.target_fill_rates.get(category, self.target_fill_rates.get("*"))


def plan_network(
    inputs: NetworkInputs,
    forecasts: pd.DataFrame,
    series_keys: dict[str, tuple[int, int]],
    progress: PlanProgress | None = None,
) -> list[dict[str, Any]]:
    """Suggestion rows for every planned product, transfers before the purchase per cloud.

    ``forecasts``: ``unique_id, ds, yhat, yhat_hi_95`` (as from :func:`forecasting.run_forecast`);
    ``series_keys`` maps each ``unique_id`` to ``(product_id, warehouse_id)``. Each row has
    ``kind`` (``purchase``/``transfer``), ids, quantities, the policy figures and ``reasons``
    (a JSON object of explanations with warehouse codes). ``progress(done, total, "planning")``
    is called every :data:`PROGRESS_EVERY` products and at the end.
    """
    horizon = int(forecasts.groupby("unique_id").size().max()) if not forecasts.empty else 1
    demand: Demand = {}
    bias, spread = inputs.spread.bias, inputs.spread.spread
    for uid, part in forecasts.groupby("unique_id", sort=False):
        yhat = part["yhat"].tolist()
        std = demand_std_from_interval(yhat, part["yhat_hi_95"].tolist(), 95)
        demand[series_keys[str(uid)]] = ([bias * v for v in yhat], bias * spread * std)
    clouds = [w for w in inputs.warehouses.values() if w.is_cloud]
    default_cloud = min(clouds, key=lambda w: w.id) if clouds else None
    filtered = inputs.warehouses.get(inputs.warehouse_id) if inputs.warehouse_id else None
    products = sorted({pid for pid, _ in demand})
    rows: list[dict[str, Any]] = []
    if progress is not None:
        progress(0, len(products), "planning")
    plans = {pid: list(_product_inputs(inputs, pid, demand, horizon, default_cloud)) for pid in products}
    if inputs.target_fill_rates:
        plans = _allocate(inputs, plans)
    for done, product_id in enumerate(products, start=1):
        rows.extend(_plan_product(inputs, product_id, plans[product_id], filtered))
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(products)):
            progress(done, len(products), "planning")
    return rows


CloudPlan = tuple[int, ReplenishmentInput, list[ReplenishmentInput]]  # cloud id, its input, forwards


def _product_inputs(
    inputs: NetworkInputs, product_id: int, demand: Demand, horizon: int, default_cloud: Site | None,
) -> Iterable[CloudPlan]:
    terms = inputs.terms.get(product_id)
    pack = terms.pack_size if terms else inputs.pack_sizes.get(product_id, 1)
    zero = ([0.0] * horizon, 0.0)
    target = inputs.target_fill_rate(product_id)
    by_source: dict[int, list[int]] = {}
    for (pid, wid) in demand:
        warehouse = inputs.warehouses[wid]
        if pid != product_id or warehouse.is_cloud:
            continue
        source = warehouse.replenished_from_id or (default_cloud.id if default_cloud else None)
        if source is not None and source in inputs.warehouses:
            by_source.setdefault(source, []).append(wid)
    planned_clouds = set(by_source) | {wid for (pid, wid) in demand
                                       if pid == product_id and inputs.warehouses[wid].is_cloud}
    for cloud_id in sorted(planned_clouds):
        forwards = sorted(by_source.get(cloud_id, []))
        own, own_std = demand.get((product_id, cloud_id), zero)
        network = np.array(own, dtype=float)
        variance = own_std**2
        for wid in forwards:
            yhat, std = demand[(product_id, wid)]
            network = network + np.array(yhat, dtype=float)
            variance += std**2
        cloud_lead = _lead_time(inputs.supplier_lead_times.get(terms.supplier_id, []) if terms else [],
                                float(terms.lead_time_days) if terms else NO_PRICE_LEAD_TIME_DAYS)
        cloud_input = _input(inputs, product_id, cloud_id, network.tolist(), math.sqrt(variance), cloud_lead,
                             terms.moq if terms else 1, pack, target)
        forward_inputs = [
            _input(inputs, product_id, wid, *demand[(product_id, wid)],
                   _lead_time(inputs.route_lead_times.get((cloud_id, wid), []), TRANSFER_LEAD_TIME_DAYS), 1, pack,
                   target)
            for wid in forwards
        ]
        yield cloud_id, cloud_input, forward_inputs


def _allocate(inputs: NetworkInputs, plans: dict[int, list[CloudPlan]]) -> dict[int, list[CloudPlan]]:
    """Cloud purchases: each its own fill rate, meeting its category's target at minimum value."""
    keys = [(pid, i) for pid, cloud_plans in plans.items() for i, plan in enumerate(cloud_plans)
            if plan[1].fill_rate is not None]
    items = [plans[pid][i][1] for pid, i in keys]
    if inputs.error_pool is not None:
        items = with_protection_scenarios(items, inputs.error_pool, bias=inputs.spread.bias,
                                          spread=inputs.spread.spread)
    groups = [inputs.categories.get(pid, "") for pid, _ in keys]
    targets = {group: target for group, target in ((g, inputs.target_fill_rate(pid)) for (pid, _), g
                                                   in zip(keys, groups, strict=True)) if target is not None}
    values = [inputs.unit_values.get(pid, math.nan) for pid, _ in keys]
    allocated = allocate_fill_rates_to_items(items, targets, groups, values)
    out = {pid: list(cloud_plans) for pid, cloud_plans in plans.items()}
    for (pid, i), item in zip(keys, allocated, strict=True):
        cloud_id, _, forwards = out[pid][i]
        out[pid][i] = (cloud_id, item, forwards)
    return out


def _plan_product(
    inputs: NetworkInputs, product_id: int, plans: list[CloudPlan], filtered: Site | None,
) -> Iterable[dict[str, Any]]:
    terms = inputs.terms.get(product_id)
    for cloud_id, cloud_input, forward_inputs in plans:
        for suggestion in plan_sku_network(cloud_input, forward_inputs, network_demand=True):
            if suggestion.kind == PURCHASE and filtered is not None and filtered.id != cloud_id:
                continue  # a run for one forward warehouse suggests its transfers only
            item = cloud_input if suggestion.kind == PURCHASE else forward_inputs[
                [f.warehouse for f in forward_inputs].index(suggestion.warehouse)]
            yield _suggestion_row(inputs, product_id, suggestion, item, terms)


def _lead_time(measured: Sequence[float], fallback_days: float) -> LeadTime:
    return lead_time_from_receipts(list(measured), fallback_days)


def _input(inputs: NetworkInputs, product_id: int, warehouse_id: int, daily: list[float], std: float,
           lead: LeadTime, moq: int, pack: int, fill_rate: float | None = None) -> ReplenishmentInput:
    return ReplenishmentInput(
        sku=inputs.skus[product_id], warehouse=str(warehouse_id), daily_demand=daily, demand_std_per_day=std,
        lead_time=lead, review_period_days=inputs.review_period_days, service_level=inputs.service_level,
        stock=inputs.positions.get((product_id, warehouse_id), StockPosition(on_hand=0)), moq=moq, pack_size=pack,
        fill_rate=fill_rate,
    )


def _suggestion_row(inputs: NetworkInputs, product_id: int, suggestion: Suggestion, item: ReplenishmentInput,
                    terms: SupplierTerms | None) -> dict[str, Any]:
    plan = suggestion.replenishment
    reasons = dict(suggestion.reasons)
    purchase = suggestion.kind == PURCHASE
    if purchase and terms is None:
        reasons["supplier"] = (f"no valid supplier price: lead time assumed {NO_PRICE_LEAD_TIME_DAYS:g} days; "
                               "add a price list before approving")
    return {
        "kind": suggestion.kind.lower(), "product_id": product_id,
        "warehouse_id": int(suggestion.warehouse),
        "source_warehouse_id": None if suggestion.source_warehouse is None else int(suggestion.source_warehouse),
        "supplier_id": terms.supplier_id if purchase and terms else None,
        "suggested_quantity": suggestion.quantity, "quantity": suggestion.quantity,
        "reorder_point": plan.reorder_point, "order_up_to": plan.order_up_to, "safety_stock": plan.safety_stock,
        "lead_time_demand": plan.lead_time_demand, "lead_time_days": item.lead_time.mean_days,
        "on_hand": item.stock.on_hand, "reserved": item.stock.reserved, "in_transit": item.stock.in_transit,
        "on_order": item.stock.on_order, "days_until_stockout": plan.days_until_stockout,
        "reasons": json.dumps(_named_warehouses(inputs, reasons), ensure_ascii=False),
    }


def _named_warehouses(inputs: NetworkInputs, reasons: dict[str, str]) -> dict[str, str]:
    """The planner names warehouses by id (its inputs); a buyer reads codes instead."""
    transfer = reasons.get("transfer")
    if transfer is not None:
        for wid, warehouse in inputs.warehouses.items():
            transfer = transfer.replace(f"cloud {wid} ", f"cloud {warehouse.code} ")
        reasons["transfer"] = transfer
    return reasons
