"""The replenishment policy for one SKU × warehouse — pure, integer quantities in base units.

Policy (periodic review, reorder point s and order-up-to level S), with
``L`` = lead time (days, mean), ``σ_L`` its standard deviation, ``R`` = review period (days),
``d`` = mean forecast demand per day over the lead time, ``σ_d`` = standard deviation of
daily demand, ``z`` = standard-normal quantile of the service level (cycle service level):

* lead-time demand   ``D_L``  = forecast summed over the next ``L`` days
* safety stock       ``SS``   = ``z · sqrt(L · σ_d² + d² · σ_L²)`` — demand variability over
  the lead time plus lead-time variability at the mean demand rate (both independent)
* reorder point      ``s``    = ``D_L + SS``
* order-up-to level  ``S``    = ``s +`` forecast summed over the ``R`` days after the lead time
* position                    = on hand + in transit + on order − reserved
* quantity: 0 when position > s; otherwise ``S − position``, rounded up to whole units,
  then up to the MOQ, then up to a multiple of the pack size.

**Fill-rate mode** (``ReplenishmentInput.fill_rate`` set — the target share of demanded units
served from stock, what a buyer asks for instead of a z value): the order placed at a review
must last until the *next* review's order arrives, so the stock is set against the demand
over the protection period ``P = L + R`` (mean ``D_P``, ``σ_P = sqrt(P · σ_d² + d² · σ_L²)``):

* order-up-to level  ``S``    = with scenarios of ``X_P`` from past errors
  (:mod:`forecasting.protection`), the lowest level whose fill rate over several lost-sales
  review cycles reaches the target (:mod:`forecasting.lost_sales`); without them, the lowest
  whose expected units short per cycle ``E[(X_P − S)+]`` are at most
  ``(1 − fill rate) / fill rate ×`` the review period's demand (lost sales, one cycle; a
  normal or gamma distribution, :mod:`forecasting.fill_rate`)
* safety stock       ``SS``   = ``S − D_P``
* reorder point      ``s``    = ``D_L + SS`` (below it, stock runs short before an order
  placed today arrives: the low-stock line)
* quantity: ``S − position`` whenever the position is below ``S`` (every review tops up),
  rounded as above.

:func:`allocate_fill_rates_to_items` spreads one target fill rate per group (category, ABC
class) over its SKUs at minimum stock value and sets each item's own ``fill_rate``.

The item (stock position, lead time, forecast) and the arithmetic on it (demand over days,
days until stock-out, σ_d, order rounding, lead time from receipts) are :mod:`forecasting.inventory`.
Network rules (cloud → forward transfers, cloud purchases) live in :mod:`forecasting.network`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from forecasting import lost_sales, protection
from forecasting.fill_rate import (
    DEFAULT_FLOOR_SHARE,
    allocate_by_group,
    allowed_shortage,
    check_distribution,
    check_fill_rate,
    level_for_fill_rate_one,
)
from forecasting.inventory import (
    LeadTime,
    ReplenishmentInput,
    days_until_stockout,
    demand_between,
    protection_demand,
    round_order,
)


@dataclass(frozen=True)
class Replenishment:
    """Outcome for one SKU × warehouse; ``reasons`` explains it to a buyer, step by step."""

    sku: str
    warehouse: str
    lead_time_demand: float
    review_period_demand: float
    safety_stock: float
    reorder_point: float
    order_up_to: float
    position: int
    needed_quantity: float  # S − position when triggered, else 0 (before rounding)
    suggested_quantity: int
    days_until_stockout: float | None  # None: no demand forecast, never runs out
    reasons: dict[str, str] = field(default_factory=dict)


def z_for_service_level(service_level: float) -> float:
    """Standard-normal quantile for a cycle service level in (0, 1), e.g. 0.95 → 1.645.

    Raises:
        ValueError: service level outside (0, 1).
    """
    if not 0 < service_level < 1:
        raise ValueError(f"service_level must be in (0, 1), got {service_level}")
    return NormalDist().inv_cdf(service_level)


def allocate_fill_rates_to_items(
    items: Sequence[ReplenishmentInput],
    targets: dict[str, float],
    groups: Sequence[str],
    unit_values: Sequence[float],
    default_target: float | None = None,
    floor_share: float = DEFAULT_FLOOR_SHARE,
) -> list[ReplenishmentInput]:
    """The items with their own ``fill_rate`` set so that each group meets its target fill
    rate at minimum stock value (:func:`forecasting.lost_sales.allocate_by_group` on the
    items' multi-cycle fill-rate curves when every item has protection scenarios, else
    :func:`forecasting.fill_rate.allocate_by_group`).

    ``groups[i]`` names item ``i``'s group (category or ABC class), ``unit_values[i]`` its
    value per unit (cost or price; <= 0 or NaN: the group median). All items share the
    first item's ``distribution``.

    Raises:
        ValueError: lengths differ, a target outside (0, 1), a group without a target.
    """
    if not items:
        return []
    if not len(items) == len(groups) == len(unit_values):
        raise ValueError("items, groups and unit_values must have the same length")
    for group, target in targets.items():
        check_fill_rate(target, f"target fill rate of {group!r}")
    if all(item.protection_scenarios is not None for item in items):
        rows = _scenario_rows(items)
        levels, curve = _fill_rate_curves(items, rows)
        _, rates = lost_sales.allocate_by_group(
            targets, list(groups), levels, curve, _scenario_review_demand(items, rows),
            np.asarray(unit_values, dtype=float), default_target=default_target, floor_share=floor_share)
    else:
        demand = [protection_demand(item) for item in items]
        _, rates = allocate_by_group(
            targets, list(groups), [d.mean for d in demand], [d.std for d in demand],
            [d.review_demand for d in demand], np.asarray(unit_values, dtype=float),
            check_distribution(items[0].distribution), default_target=default_target, floor_share=floor_share,
        )
    # A SKU allocated (almost) full service keeps a finite target: the loss function solves it.
    return [dataclasses.replace(item, fill_rate=float(min(max(rate, 0.01), 0.9999)))
            for item, rate in zip(items, rates.tolist(), strict=True)]


def with_protection_scenarios(items: Sequence[ReplenishmentInput], pool: protection.ErrorPool, *,
                              bias: float = 1.0, spread: float = 1.0) -> list[ReplenishmentInput]:
    """The items with their protection-period demand scenarios from ``pool``
    (:func:`forecasting.protection.scenarios`): class by the forecast over ``L + R`` and its
    implied CV ``σ_d·√P / max(forecast, 1)``, lead-time variability from each item's
    ``lead_time.std_days``. ``bias``/``spread``: the calibration already applied to the items'
    forecast and σ_d, divided out (the pool was fitted on the forecasts as they were)."""
    out = []
    for item in items:
        period = item.lead_time.mean_days + item.review_period_days
        mean = protection_demand(item).mean / bias
        cv = item.demand_std_per_day / (bias * spread) * math.sqrt(period) / max(mean, protection.FLOOR_UNITS)
        row = protection.scenarios(pool, [mean], [cv], period_days=period, lead_std_days=item.lead_time.std_days)[0]
        out.append(dataclasses.replace(item, protection_scenarios=tuple(row.tolist()), fill_rate_curve=None))
    if not out:
        return out
    levels, curve = _fill_rate_curves(out, _scenario_rows(out))
    return [dataclasses.replace(item, fill_rate_curve=(tuple(lv.tolist()), tuple(rate.tolist())))
            for item, lv, rate in zip(out, levels, curve, strict=True)]


def _fill_rate_curves(items: Sequence[ReplenishmentInput], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(levels, fill rates)`` per item: its ``fill_rate_curve``, computed in one vectorised call
    (:func:`forecasting.lost_sales.fill_rate_curves`) for the items without one."""
    known = {i: (np.asarray(item.fill_rate_curve[0], dtype=float), np.asarray(item.fill_rate_curve[1], dtype=float))
             for i, item in enumerate(items) if item.fill_rate_curve is not None}
    missing = [i for i in range(len(items)) if i not in known]
    if missing:
        periods = [items[i].lead_time.mean_days + items[i].review_period_days for i in missing]
        levels, rates = lost_sales.fill_rate_curves(rows[missing], [items[i].review_period_days for i in missing],
                                                    periods)
        known.update((i, (levels[k], rates[k])) for k, i in enumerate(missing))
    return (np.asarray([known[i][0] for i in range(len(items))], dtype=float),
            np.asarray([known[i][1] for i in range(len(items))], dtype=float))


def _scenario_rows(items: Sequence[ReplenishmentInput]) -> np.ndarray:
    rows = [list(item.protection_scenarios or ()) for item in items]
    if len({len(r) for r in rows}) != 1 or not rows[0]:
        raise ValueError("protection_scenarios must have the same, non-zero length for every item")
    return np.asarray(rows, dtype=float)


def _scenario_review_demand(items: Sequence[ReplenishmentInput], rows: np.ndarray) -> np.ndarray:
    periods = [item.lead_time.mean_days + item.review_period_days for item in items]
    return protection.review_demand(rows, [item.review_period_days for item in items], periods)


def replenish(item: ReplenishmentInput) -> Replenishment:
    """Apply the policy in the module doc to one SKU × warehouse.

    Raises:
        ValueError: service level outside (0, 1), negative lead time / review period /
            σ, MOQ or pack size < 1, or an empty forecast.
    """
    lead = item.lead_time
    if lead.mean_days < 0 or lead.std_days < 0 or item.review_period_days < 0:
        raise ValueError("lead time, its std and review period must be >= 0")
    if item.demand_std_per_day < 0:
        raise ValueError("demand_std_per_day must be >= 0")
    if item.fill_rate is not None:
        return _replenish_for_fill_rate(item)
    z = z_for_service_level(item.service_level)
    lead_time_demand = demand_between(item.daily_demand, 0, lead.mean_days)
    review_demand = demand_between(
        item.daily_demand, lead.mean_days, lead.mean_days + item.review_period_days
    )
    rate = (
        lead_time_demand / lead.mean_days
        if lead.mean_days > 0
        else item.daily_demand[0]
    )
    safety_stock = z * math.sqrt(
        lead.mean_days * item.demand_std_per_day**2 + rate**2 * lead.std_days**2
    )
    reorder_point = lead_time_demand + safety_stock
    order_up_to = reorder_point + review_demand
    position = item.stock.position
    triggered = position <= reorder_point
    needed = max(order_up_to - position, 0.0) if triggered else 0.0
    quantity = round_order(needed, item.moq, item.pack_size)
    stockout = days_until_stockout(item.stock.available, item.daily_demand)
    reasons = {
        "position": _position_reason(item),
        "lead_time": _lead_time_reason(lead, lead_time_demand),
        "safety_stock": (
            f"safety stock {safety_stock:.1f} = z {z:.2f} (service level "
            f"{item.service_level:.0%}) × √({lead.mean_days:g} × {item.demand_std_per_day:.2f}² "
            f"+ {rate:.2f}² × {lead.std_days:g}²)"
        ),
        "trigger": (
            f"position {position} {'≤' if triggered else '>'} reorder point "
            f"{reorder_point:.1f}: {'order' if triggered else 'no order needed'}"
        ),
    }
    if triggered:
        reasons["quantity"] = (
            f"order up to {order_up_to:.1f} (reorder point + {review_demand:.1f} demand over "
            f"the {item.review_period_days:g}-day review period) − position {position} = "
            f"{needed:.1f} → rounded up to MOQ {item.moq} and pack {item.pack_size}: {quantity}"
        )
    reasons["stockout"] = stockout_reason(item.stock.available, stockout)
    return Replenishment(
        sku=item.sku,
        warehouse=item.warehouse,
        lead_time_demand=lead_time_demand,
        review_period_demand=review_demand,
        safety_stock=safety_stock,
        reorder_point=reorder_point,
        order_up_to=order_up_to,
        position=position,
        needed_quantity=needed,
        suggested_quantity=quantity,
        days_until_stockout=stockout,
        reasons=reasons,
    )


def _position_reason(item: ReplenishmentInput) -> str:
    stock = item.stock
    return (f"position {stock.position} = on hand {stock.on_hand} + in transit {stock.in_transit} "
            f"+ on order {stock.on_order} − reserved {stock.reserved}")


def _lead_time_reason(lead: LeadTime, lead_time_demand: float) -> str:
    return (f"lead time {lead.mean_days:g} ± {lead.std_days:g} days (from {lead.source}); "
            f"forecast demand over it {lead_time_demand:.1f}")


def stockout_reason(available: int, stockout: float | None) -> str:
    if stockout is None:
        return "no demand forecast: no stock-out expected"
    return f"available {available} lasts {stockout:.1f} days at forecast demand"


def _replenish_for_fill_rate(item: ReplenishmentInput) -> Replenishment:
    """The fill-rate mode of the module doc (``item.fill_rate`` is set)."""
    fill_rate = check_fill_rate(float(item.fill_rate or 0), "fill_rate")
    distribution = check_distribution(item.distribution)
    lead = item.lead_time
    demand = protection_demand(item)
    if item.protection_scenarios is not None:
        rows = _scenario_rows([item])
        d_r = _scenario_review_demand([item], rows)
        levels, curve = _fill_rate_curves([item], rows)
        order_up_to = float(lost_sales.level_for_fill_rate(fill_rate, levels, curve)[0])
        spread = float(rows.std())
        demand = dataclasses.replace(demand, mean=float(rows.mean()), std=spread, review_demand=float(d_r[0]))
        distribution = f"from past forecast errors, {rows.shape[1]} points"
        cycle_text = (f"order up to {order_up_to:.1f} serves {float(lost_sales.fill_rate_at(order_up_to, levels, curve)[0]):.1%} "
                      f"of demand over {lost_sales.CYCLES} lost-sales review cycles")
    else:
        order_up_to = level_for_fill_rate_one(fill_rate, demand.mean, demand.std, demand.review_demand,
                                              distribution)
        cycle_text = (f"order up to {order_up_to:.1f} leaves "
                      f"{float(allowed_shortage(fill_rate, demand.review_demand)):.1f} units short per "
                      f"{item.review_period_days:g}-day cycle")
    safety_stock = order_up_to - demand.mean
    reorder_point = demand.lead_time_demand + safety_stock
    position = item.stock.position
    triggered = position < order_up_to
    needed = order_up_to - position if triggered else 0.0
    quantity = round_order(needed, item.moq, item.pack_size)
    stockout = days_until_stockout(item.stock.available, item.daily_demand)
    period = lead.mean_days + item.review_period_days
    reasons = {
        "position": _position_reason(item),
        "lead_time": _lead_time_reason(lead, demand.lead_time_demand),
        "safety_stock": (
            f"target fill rate {fill_rate:.1%}: demand over lead time + review ({period:g} days) "
            f"{demand.mean:.1f} ± {demand.std:.1f} ({distribution}); {cycle_text}; "
            f"safety stock {safety_stock:.1f}"
        ),
        "trigger": (
            f"position {position} {'<' if triggered else '≥'} order-up-to level "
            f"{order_up_to:.1f}: {'order' if triggered else 'no order needed'}"
        ),
    }
    if triggered:
        reasons["quantity"] = (
            f"order up to {order_up_to:.1f} − position {position} = {needed:.1f} → rounded up to "
            f"MOQ {item.moq} and pack {item.pack_size}: {quantity}"
        )
    reasons["stockout"] = stockout_reason(item.stock.available, stockout)
    return Replenishment(
        sku=item.sku, warehouse=item.warehouse, lead_time_demand=demand.lead_time_demand,
        review_period_demand=demand.review_demand, safety_stock=safety_stock, reorder_point=reorder_point,
        order_up_to=order_up_to, position=position, needed_quantity=needed, suggested_quantity=quantity,
        days_until_stockout=stockout, reasons=reasons,
    )

