"""One SKU × warehouse as the replenishment policy sees it — pure, integer quantities in base units.

Its stock position (on hand + in transit + on order − reserved), its lead time, its forecast
demand, and the arithmetic the policy (:mod:`forecasting.replenish`) builds on: demand over a
span of days (fractional days pro rata, past the forecast at the mean of its last
:data:`TAIL_DAYS` days), over the protection period ``L + R``, days until stock-out, σ_d from a
forecast interval, and an order rounded up to whole units, the MOQ and the pack size.

Lead time comes from measured receipts when there are at least :data:`MIN_RECEIPTS`;
otherwise from the price list, with an assumed coefficient of variation
:data:`PRICE_LIST_LEAD_TIME_CV` (a promised lead time is not a guaranteed one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean, stdev

MIN_RECEIPTS = 3
PRICE_LIST_LEAD_TIME_CV = 0.25
# Beyond the forecast horizon, demand continues at the mean of the last week forecast.
TAIL_DAYS = 7


@dataclass(frozen=True)
class LeadTime:
    """Lead time in days: mean, standard deviation, and where the figures come from."""

    mean_days: float
    std_days: float
    source: str  # "receipts" or "price_list"


@dataclass(frozen=True)
class StockPosition:
    """Quantities in base units for one SKU in one warehouse."""

    on_hand: int
    in_transit: int = 0
    on_order: int = 0
    reserved: int = 0

    @property
    def position(self) -> int:
        """Inventory position: on hand + in transit + on order − reserved."""
        return self.on_hand + self.in_transit + self.on_order - self.reserved

    @property
    def available(self) -> int:
        """What can leave the warehouse now: on hand − reserved (never below zero)."""
        return max(self.on_hand - self.reserved, 0)


@dataclass(frozen=True)
class ReplenishmentInput:
    """Everything the policy needs for one SKU × warehouse.

    ``daily_demand``: forecast mean demand per day, first element = tomorrow.
    ``demand_std_per_day``: σ_d (see :func:`demand_std_from_interval`).
    ``fill_rate``: target fill rate in (0, 1) — the fill-rate mode of :mod:`forecasting.replenish`, with
    lead-time demand as ``distribution`` (``normal`` or ``gamma``); None: the cycle
    ``service_level`` (z) mode. ``protection_scenarios``: equally likely demands over the
    protection period ``L + R`` (:func:`forecasting.protection.scenarios`, from past forecast
    errors); when given, the fill-rate mode uses them instead of ``distribution``, with the
    fill rate of a level over several lost-sales cycles (:mod:`forecasting.lost_sales`):
    ``fill_rate_curve`` = (levels, their fill rates) from
    :func:`forecasting.lost_sales.fill_rate_curves` (computed when missing).
    """

    sku: str
    warehouse: str
    daily_demand: Sequence[float]
    demand_std_per_day: float
    lead_time: LeadTime
    review_period_days: float
    service_level: float
    stock: StockPosition
    moq: int = 1
    pack_size: int = 1
    fill_rate: float | None = None
    distribution: str = "normal"
    protection_scenarios: Sequence[float] | None = None
    fill_rate_curve: tuple[tuple[float, ...], tuple[float, ...]] | None = None


@dataclass(frozen=True)
class ProtectionDemand:
    """Demand over the protection period ``L + R`` of one item: mean and σ (units), the
    review period's mean demand, and the daily rate used for lead-time variability."""

    mean: float
    std: float
    review_demand: float
    lead_time_demand: float
    rate: float



def demand_std_from_interval(
    yhat: Sequence[float], yhat_hi: Sequence[float], level: int
) -> float:
    """σ_d implied by a two-sided ``level``% forecast interval: mean of (hi − yhat) / z.

    ``level`` 95 → z = 1.96. Clipping at zero only narrows the lower bound, so the upper
    bound is the one to read.
    """
    if not yhat or len(yhat) != len(yhat_hi):
        raise ValueError("yhat and yhat_hi must be non-empty and of equal length")
    z = NormalDist().inv_cdf(0.5 + level / 200)
    return (
        fmean(max(hi - mean, 0.0) for mean, hi in zip(yhat, yhat_hi, strict=True)) / z
    )


def lead_time_from_receipts(
    receipt_lead_times_days: Sequence[float], price_list_days: float
) -> LeadTime:
    """Measured lead time from past receipts, or the price list's when too few were measured."""
    if len(receipt_lead_times_days) >= MIN_RECEIPTS:
        return LeadTime(
            mean_days=fmean(receipt_lead_times_days),
            std_days=stdev(receipt_lead_times_days),
            source="receipts",
        )
    return LeadTime(
        mean_days=float(price_list_days),
        std_days=PRICE_LIST_LEAD_TIME_CV * float(price_list_days),
        source="price_list",
    )


def demand_between(
    daily_demand: Sequence[float], start_day: float, end_day: float
) -> float:
    """Forecast demand over days ``[start_day, end_day)`` (fractional days pro rata).

    Past the end of the forecast, demand continues at the mean of its last
    :data:`TAIL_DAYS` days.
    """
    if not daily_demand:
        raise ValueError("daily_demand must hold at least one day")
    tail = fmean(daily_demand[-TAIL_DAYS:])
    total = 0.0
    day = math.floor(start_day)
    while day < end_day:
        overlap = min(end_day, day + 1) - max(start_day, day)
        rate = daily_demand[day] if day < len(daily_demand) else tail
        total += overlap * rate
        day += 1
    return total


def days_until_stockout(
    available: float, daily_demand: Sequence[float]
) -> float | None:
    """Days until forecast demand uses up ``available`` (linear within a day).

    0.0 when nothing is available; ``None`` when no demand is forecast at all.
    """
    if available <= 0:
        return 0.0
    used = 0.0
    for day, rate in enumerate(daily_demand):
        if used + rate >= available:
            return day + (available - used) / rate
        used += rate
    tail = fmean(daily_demand[-TAIL_DAYS:]) if daily_demand else 0.0
    if tail <= 0:
        return None
    return len(daily_demand) + (available - used) / tail


def round_order(quantity: float, moq: int = 1, pack_size: int = 1) -> int:
    """Round a needed quantity up to whole units, then to the MOQ, then to whole packs.

    Returns 0 for a quantity <= 0. Raises ``ValueError`` for ``moq`` < 1 or ``pack_size`` < 1.
    """
    if moq < 1 or pack_size < 1:
        raise ValueError(
            f"moq and pack_size must be >= 1, got moq={moq}, pack_size={pack_size}"
        )
    if quantity <= 0:
        return 0
    units = max(math.ceil(quantity - 1e-9), moq)  # 1e-9: 12.000000001 is 12, not 13
    return math.ceil(units / pack_size) * pack_size


def protection_demand(item: ReplenishmentInput) -> ProtectionDemand:
    """Demand over the protection period ``P = L + R``: mean ``D_P``, σ
    ``sqrt(P · σ_d² + d² · σ_L²)`` at the mean daily rate ``d`` over ``P``, the review
    period's demand and the lead-time demand ``D_L``."""
    lead = item.lead_time
    lead_time_demand = demand_between(item.daily_demand, 0, lead.mean_days)
    period = lead.mean_days + item.review_period_days
    mean = demand_between(item.daily_demand, 0, period)
    rate = mean / period if period > 0 else item.daily_demand[0]
    std = math.sqrt(period * item.demand_std_per_day**2 + rate**2 * lead.std_days**2)
    review = demand_between(item.daily_demand, lead.mean_days, period)
    return ProtectionDemand(mean, std, review, lead_time_demand, rate)

