"""The replenishment policy a buyer sets: a target fill rate per category, and what it costs.

Targets are stored in the ``target_fill_rates`` setting as ``{category code: fill rate}``
with ``"*"`` for every other category; none set = the cycle ``service_level`` (z) of the
other settings. :func:`fill_rate_inputs` gives the planner (``forecasting.plan.NetworkInputs``)
what it needs to allocate the targets across SKUs at minimum stock value; :func:`stock_cost`
shows the buyer the expected average stock value of each category at its target and at a
few alternatives (the exchange curve), from the latest forecast run;
:func:`spread_from_past_runs` measures how far past runs' intervals under-stated the error and
:func:`error_pool_from_past_runs` what SKUs like each one actually sold against their forecast
(the planner's protection-period demand, :mod:`forecasting.protection`).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.catalog.models import Category, Product
from app.errors import ValidationFailed
from app.locale_names import localized_name
from app.planning.models import ForecastPoint, ForecastRun, RunStatus
from app.settings.service import get_setting, set_setting
from app.stock.models import MovementKind, StockMovement
from app.suppliers.models import Supplier, SupplierPrice
from forecasting import lost_sales
from forecasting.calibration import SpreadCalibration, calibrate_spread
from forecasting.fill_rate import DEFAULT_FLOOR_SHARE, quantile_above
from forecasting.inventory import PRICE_LIST_LEAD_TIME_CV
from forecasting.plan import NO_PRICE_LEAD_TIME_DAYS
from forecasting.protection import FLOOR_UNITS, ErrorPool, fit_error_pool

SETTING = "target_fill_rates"
OTHERS = "*"
MIN_TARGET, MAX_TARGET = 0.5, 0.999
ALTERNATIVES = (0.90, 0.95, 0.98)
SCENARIO_POINTS = 200  # equally likely demands per SKU for its curve, as many as the error pool's
Z95 = 1.959963984540054


@dataclass(frozen=True)
class CategoryCost:
    """A category's target and the expected average stock value it costs (currency units)."""

    code: str
    name: str
    target: float | None
    skus: int
    stock_value: float | None  # at the target; None without a target or a forecast
    alternatives: dict[float, float] = field(default_factory=dict)  # fill rate → stock value


def target_fill_rates(session: Session) -> dict[str, float]:
    return {str(k): float(v) for k, v in dict(get_setting(session, SETTING)).items()}


def parse_targets(raw: Mapping[str, str], category_codes: Sequence[str]) -> dict[str, float]:
    """``{"target.<code>": "95"}`` form fields (percent; blank = not set) → ``{code: 0.95}``.

    Raises:
        ValidationFailed: a value that is not a number between 50 and 99.9, or an unknown
            category; every bad field is named.
    """
    known = {*category_codes, OTHERS}
    targets: dict[str, float] = {}
    errors = []
    for name, text in raw.items():
        code = name.removeprefix("target.")
        if not name.startswith("target.") or code not in known:
            errors.append({"field": name, "message": "unknown category"})
            continue
        if not text.strip():
            continue
        try:
            value = float(text.strip().rstrip("%")) / 100
        except ValueError:
            errors.append({"field": name, "message": "not a number"})
            continue
        if not math.isfinite(value) or not MIN_TARGET <= value <= MAX_TARGET:
            errors.append({"field": name, "message": f"must be between {MIN_TARGET:.0%} and {MAX_TARGET:.1%}"})
            continue
        targets[code] = value
    if errors:
        raise ValidationFailed("target fill rates: " + "; ".join(f"{e['field']} {e['message']}" for e in errors),
                               errors=errors)
    return targets


def set_target_fill_rates(session: Session, actor: Actor, *, raw: Mapping[str, str]) -> dict[str, float]:
    """Validate and store the targets (audited); see :func:`parse_targets`."""
    codes = list(session.scalars(select(Category.code)))
    targets = parse_targets(raw, codes)
    set_setting(session, actor, SETTING, targets)
    return targets


def _unit_terms(session: Session, today: dt.date) -> dict[int, tuple[float, float]]:
    """Per product (unit price, lead time days) of its preferred, else cheapest, valid price."""
    rows = session.execute(
        select(SupplierPrice.product_id, SupplierPrice.unit_price, SupplierPrice.lead_time_days)
        .join(Supplier, Supplier.id == SupplierPrice.supplier_id)
        .where(Supplier.is_active.is_(True), SupplierPrice.valid_from <= today,
               or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= today))
        .order_by(SupplierPrice.product_id, SupplierPrice.is_preferred.desc(), SupplierPrice.unit_price)
    ).all()
    terms: dict[int, tuple[float, float]] = {}
    for product_id, price, lead in rows:
        terms.setdefault(product_id, (float(price), float(lead)))
    return terms


def fill_rate_inputs(session: Session, *, today: dt.date) -> dict[str, Any]:
    """Keyword arguments for ``forecasting.plan.NetworkInputs``: ``target_fill_rates``,
    ``categories`` (product → category code), ``unit_values`` (product → unit price) and,
    when targets are set, ``spread`` from the past runs (:func:`spread_from_past_runs`; the
    replay showed the intervals alone deliver 7–12 points less fill rate than asked). Without
    targets the planner keeps the cycle service level and the forecast as it is."""
    targets = target_fill_rates(session)
    categories = dict(session.execute(select(Product.id, Category.code)
                                      .join(Category, Category.id == Product.category_id)).all())
    values = {pid: price for pid, (price, _) in _unit_terms(session, today).items()}
    out: dict[str, Any] = {"target_fill_rates": targets, "categories": categories, "unit_values": values}
    if targets:
        out["spread"] = spread_from_past_runs(session, today=today)
        out["error_pool"] = error_pool_from_past_runs(session, today=today)
    return out


def _network_demand(session: Session) -> dict[int, tuple[float, float]]:
    """Per product: network demand (mean units/day, σ_d) of the latest run — every
    warehouse's series summed (forward warehouses draw on the cloud), variances added."""
    latest = select(func.max(ForecastRun.id)).where(ForecastRun.status == RunStatus.SUCCEEDED.value)
    rows = session.execute(
        select(ForecastPoint.product_id, ForecastPoint.warehouse_id, func.avg(ForecastPoint.yhat),
               func.avg(ForecastPoint.yhat_hi_95 - ForecastPoint.yhat))
        .where(ForecastPoint.run_id == latest.scalar_subquery())
        .group_by(ForecastPoint.product_id, ForecastPoint.warehouse_id)).all()
    out: dict[int, tuple[float, float]] = {}
    for product_id, _warehouse_id, mean, width in rows:
        rate, var = out.get(product_id, (0.0, 0.0))
        out[product_id] = (rate + max(float(mean or 0), 0.0), var + (max(float(width or 0), 0.0) / Z95) ** 2)
    return {pid: (rate, math.sqrt(var)) for pid, (rate, var) in out.items()}


def stock_cost(session: Session, *, today: dt.date, alternatives: Sequence[float] = ALTERNATIVES,
               ) -> list[CategoryCost]:
    """Expected average stock value per category at its target and at ``alternatives``.

    Per SKU (cloud, network demand of the latest run, price-list lead time ``L``, review ``R``):
    the order-up-to level ``S`` the planner would allocate on the multi-cycle lost-sales curve
    (:mod:`forecasting.lost_sales`) of a normal demand over ``L + R``, and average on hand
    ``max(S − D_L − D_R / 2, 0)`` (full after an arrival, down by one review's demand),
    valued at the unit price. Categories without a forecast show no value.
    """
    targets = target_fill_rates(session)
    review = float(get_setting(session, "review_period_days"))
    demand = _network_demand(session)
    terms = _unit_terms(session, today)
    products = [(pid, code, localized_name(name, name_zh)) for pid, code, name, name_zh in session.execute(
        select(Product.id, Category.code, Category.name, Category.name_zh)
        .join(Category, Category.id == Product.category_id).where(Product.is_active.is_(True)))]
    names = {code: name for _, code, name in products}
    counts: dict[str, int] = {}
    for _, code, _ in products:
        counts[code] = counts.get(code, 0) + 1
    planned = [(pid, code) for pid, code, _ in products if demand.get(pid, (0.0, 0.0))[0] > 0]
    cost: dict[str, dict[float, float]] = {}
    if planned:
        rate = [demand[pid][0] for pid, _ in planned]
        lead = [terms.get(pid, (math.nan, NO_PRICE_LEAD_TIME_DAYS))[1] for pid, _ in planned]
        period = [lt + review for lt in lead]
        mean = [r * p for r, p in zip(rate, period, strict=True)]
        std = [math.sqrt(p * demand[pid][1] ** 2 + (r * PRICE_LIST_LEAD_TIME_CV * lt) ** 2)
               for (pid, _), r, p, lt in zip(planned, rate, period, lead, strict=True)]
        value = [terms.get(pid, (math.nan, 0.0))[0] for pid, _ in planned]
        groups = [code for _, code in planned]
        points = (np.arange(SCENARIO_POINTS) + 0.5) / SCENARIO_POINTS  # the normal's quantiles over P
        rows = quantile_above(1.0 - points[None, :], np.asarray(mean)[:, None], np.asarray(std)[:, None])
        grid, curves = lost_sales.fill_rate_curves(rows, review, period)
        for option in sorted({*alternatives, *targets.values()}):
            levels, _ = lost_sales.allocate_by_group({g: option for g in groups}, groups, grid, curves,
                                                     [r * review for r in rate], value, default_target=None,
                                                     floor_share=DEFAULT_FLOOR_SHARE)
            for i, code in enumerate(groups):
                on_hand = max(float(levels[i]) - rate[i] * lead[i] - rate[i] * review / 2, 0.0)
                price = value[i] if math.isfinite(value[i]) else 0.0
                cost.setdefault(code, {}).setdefault(option, 0.0)
                cost[code][option] += on_hand * price
    out = []
    for code in sorted(counts):
        target = targets.get(code, targets.get(OTHERS))
        by_option = cost.get(code, {})
        out.append(CategoryCost(code, names[code], target, counts[code],
                                by_option.get(target) if target is not None else None,
                                {a: by_option[a] for a in alternatives if a in by_option}))
    return out


def spread_from_past_runs(session: Session, *, today: dt.date, period_days: int = 14, runs: int = 4,
                          ) -> SpreadCalibration:
    """How the last ``runs`` succeeded runs whose first ``period_days`` have passed fared:
    their forecast summed over those days against what sold (shipments net of returns),
    pooled over SKU × warehouse (:func:`forecasting.calibration.calibrate_spread`). The
    planner multiplies the forecast by ``bias`` and σ_d by ``spread``."""
    return calibrate_spread(*_past_pairs(session, today=today, period_days=period_days, runs=runs))


def error_pool_from_past_runs(session: Session, *, today: dt.date, period_days: int = 14, runs: int = 8,
                              ) -> ErrorPool | None:
    """The same past (forecast, sold) pairs as :func:`spread_from_past_runs`, pooled per demand
    class (:func:`forecasting.protection.fit_error_pool`); None with too few pairs (the
    planner then uses the calibrated normal)."""
    forecast_sums, actual_sums, stds = _past_pairs(session, today=today, period_days=period_days, runs=runs)
    cvs = [std / max(total, FLOOR_UNITS) for total, std in zip(forecast_sums, stds, strict=True)]
    return fit_error_pool(forecast_sums, actual_sums, cvs)


def _past_pairs(session: Session, *, today: dt.date, period_days: int, runs: int,
                ) -> tuple[list[float], list[float], list[float]]:
    """(forecast over the period, sold over it, implied σ over it) per SKU × warehouse of the
    last ``runs`` succeeded runs whose first ``period_days`` have passed."""
    first_day = func.min(ForecastPoint.ds)
    past = session.execute(
        select(ForecastPoint.run_id, first_day).join(ForecastRun, ForecastRun.id == ForecastPoint.run_id)
        .where(ForecastRun.status == RunStatus.SUCCEEDED.value).group_by(ForecastPoint.run_id)
        .having(first_day <= today - dt.timedelta(days=period_days))
        .order_by(ForecastPoint.run_id.desc()).limit(runs)).all()
    forecast_sums: list[float] = []
    actual_sums: list[float] = []
    stds: list[float] = []
    for run_id, start in past:
        end = start + dt.timedelta(days=period_days)
        predicted = session.execute(
            select(ForecastPoint.product_id, ForecastPoint.warehouse_id, func.sum(ForecastPoint.yhat),
                   func.avg(ForecastPoint.yhat_hi_95 - ForecastPoint.yhat), func.count())
            .where(ForecastPoint.run_id == run_id, ForecastPoint.ds < end)
            .group_by(ForecastPoint.product_id, ForecastPoint.warehouse_id)).all()
        sold = dict(((p, w), max(-float(q or 0), 0.0)) for p, w, q in session.execute(
            select(StockMovement.product_id, StockMovement.warehouse_id, func.sum(StockMovement.quantity))
            .where(StockMovement.kind.in_([MovementKind.SHIPMENT.value, MovementKind.CUSTOMER_RETURN.value]),
                   StockMovement.business_date >= start, StockMovement.business_date < end)
            .group_by(StockMovement.product_id, StockMovement.warehouse_id)))
        for product_id, warehouse_id, total, width, days in predicted:
            scale = period_days / days if days else 1.0  # a run shorter than the period
            forecast_sums.append(float(total or 0) * scale)
            actual_sums.append(sold.get((product_id, warehouse_id), 0.0))
            stds.append(max(float(width or 0), 0.0) / Z95 * math.sqrt(period_days))
    return forecast_sums, actual_sums, stds
