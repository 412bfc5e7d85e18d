"""The replay engine of ``bench/replenishment.py``: daily lost-sales inventory simulation.

Pure numpy over a demand matrix ``demand[sku, day]`` (units). Each review day (every
``review_days``) a policy sees only the history before that day and the stock position
(on hand + on order) and returns an order per SKU; the order arrives ``lead`` days later
(drawn per SKU and review, uniform ±``lead_spread`` around the mean, rounded to whole days,
seeded, the same draws for every policy: common random numbers). Each day: arrivals are
put away, then demand is served from on hand; what cannot be served is lost. Figures are
measured after a warm-up, over the SKUs given.

Policies:

* :class:`MinMaxPolicy` — the buyer's days-of-cover rule: min = ``k`` days of the average
  daily demand over the last 8 weeks, max = min + ``review_days`` days; order up to max when
  the position is below min.
* :class:`StockwisePolicy` — the project's own code: :func:`forecasting.forecast` (through
  the forecasts given, one call per forecast day for all SKUs) → :func:`forecasting.replenish.
  allocate_fill_rates_to_items` (fill-rate mode) or the cycle service level (z mode) →
  :func:`forecasting.replenish.replenish` per SKU.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting import protection
from forecasting.calibration import SpreadCalibration, calibrate_spread, spread_per_sku
from forecasting.inventory import LeadTime, ReplenishmentInput, StockPosition, demand_std_from_interval
from forecasting.replenish import allocate_fill_rates_to_items, replenish, with_protection_scenarios

AVERAGE_WINDOW_DAYS = 56  # min/max: average demand over the last 8 weeks
LEAD_SPREAD = 0.3  # lead times vary uniformly ±30 %

Array = np.ndarray


@dataclass(frozen=True)
class Scenario:
    """The demand to replay and the rules of the replay."""

    demand: Array  # float [sku, day], units; NaN before a SKU's first sale
    price: Array  # float [sku], value per unit
    days: pd.DatetimeIndex  # the dates of the demand columns
    start: int  # first simulated day (index into days)
    lead_days: int
    review_days: int = 7
    warmup_days: int = 28
    seed: int = 0


@dataclass(frozen=True)
class Outcome:
    """What one policy achieved in one scenario (after the warm-up)."""

    policy: str
    setting: str
    fill_rate: float
    cycle_service_level: float
    average_units: float
    average_value: float
    orders: int
    # per SKU: units served, units demanded, average units on hand (bench/replenishment.py's breakdown)
    served: Array | None = field(default=None, repr=False, compare=False)
    demanded: Array | None = field(default=None, repr=False, compare=False)
    stock: Array | None = field(default=None, repr=False, compare=False)


Planner = Callable[[int, Array, Array], Array]  # (day, on hand, on order) -> order units


def review_days(scenario: Scenario) -> list[int]:
    return list(range(scenario.start, scenario.demand.shape[1], scenario.review_days))


def lead_time_draws(scenario: Scenario) -> Array:
    """int [review, sku]: whole days, uniform ±30 % around the mean, at least 1."""
    rng = np.random.default_rng([scenario.seed, scenario.lead_days])
    n_reviews, n_skus = len(review_days(scenario)), scenario.demand.shape[0]
    draws = scenario.lead_days * rng.uniform(1 - LEAD_SPREAD, 1 + LEAD_SPREAD, size=(n_reviews, n_skus))
    return np.maximum(np.rint(draws), 1).astype(int)


def opening_state(scenario: Scenario) -> tuple[Array, Array, Array, Array]:
    """(demand with gaps as 0, lead-time draws, empty arrivals by day, opening stock: the last
    8 weeks' average demand over lead time + review) — where every replay starts."""
    demand = np.nan_to_num(scenario.demand, nan=0.0)
    n_skus, n_days = demand.shape
    leads = lead_time_draws(scenario)
    arrivals = np.zeros((n_days + int(leads.max()) + 1, n_skus))
    past = demand[:, max(scenario.start - AVERAGE_WINDOW_DAYS, 0):scenario.start]
    on_hand = np.ceil(past.mean(axis=1) * (scenario.lead_days + scenario.review_days))
    return demand, leads, arrivals, on_hand


def simulate(scenario: Scenario, plan: Planner, policy: str, setting: str) -> Outcome:
    """Replay ``plan`` over the scenario (see the module doc)."""
    demand, leads, arrivals, on_hand = opening_state(scenario)
    n_skus, n_days = demand.shape
    measured_from = scenario.start + scenario.warmup_days
    served_sku, demanded_sku = np.zeros(n_skus), np.zeros(n_skus)
    stock_sum = np.zeros(n_skus)
    measured_days = orders = 0
    cycles = cycles_ok = 0
    cycle_lost = np.zeros(n_skus)
    cycle_demand = np.zeros(n_skus)
    reviews = dict((day, i) for i, day in enumerate(review_days(scenario)))
    for day in range(scenario.start, n_days):
        on_hand += arrivals[day]
        if day in reviews:
            if day > measured_from:
                had_demand = cycle_demand > 0
                cycles += int(had_demand.sum())
                cycles_ok += int((had_demand & (cycle_lost == 0)).sum())
            cycle_lost[:] = 0
            cycle_demand[:] = 0
            on_order = arrivals[day + 1:].sum(axis=0)
            order = np.maximum(np.asarray(plan(day, on_hand.copy(), on_order), dtype=float), 0.0)
            lead = leads[reviews[day]]
            np.add.at(arrivals, (day + lead, np.arange(n_skus)), order)
            if day >= measured_from:
                orders += int((order > 0).sum())
        today = demand[:, day]
        served = np.minimum(on_hand, today)
        on_hand -= served
        if day >= measured_from:
            served_sku += served
            demanded_sku += today
            stock_sum += on_hand
            measured_days += 1
            cycle_lost += today - served
            cycle_demand += today
    average = stock_sum / max(measured_days, 1)
    served_total, demanded_total = float(served_sku.sum()), float(demanded_sku.sum())
    return Outcome(
        policy, setting,
        fill_rate=served_total / demanded_total if demanded_total else math.nan,
        cycle_service_level=cycles_ok / cycles if cycles else math.nan,
        average_units=float(average.sum()), average_value=float((average * scenario.price).sum()), orders=orders,
        served=served_sku, demanded=demanded_sku, stock=average,
    )


class MinMaxPolicy:
    """Days-of-cover min/max with ``k`` days (see the module doc)."""

    def __init__(self, scenario: Scenario, k_days: float) -> None:
        self.demand = np.nan_to_num(scenario.demand, nan=0.0)
        self.k, self.review = k_days, scenario.review_days

    def __call__(self, day: int, on_hand: Array, on_order: Array) -> Array:
        rate = self.demand[:, max(day - AVERAGE_WINDOW_DAYS, 0):day].mean(axis=1)
        low, high = self.k * rate, (self.k + self.review) * rate
        position = on_hand + on_order
        return np.where(position < low, np.ceil(high - position), 0.0)


@dataclass(frozen=True)
class Forecasts:
    """``forecast()`` output made on ``made_on`` (day index): ``yhat``/``hi95`` [sku, horizon]."""

    made_on: int
    yhat: Array
    hi95: Array


class StockwisePolicy:
    """The project's replenishment code on the latest forecast made on or before each review.

    ``mode``: ``"z"`` (cycle service level ``target``, today's default), ``"fill"`` (every
    SKU its own fill rate ``target``) or ``"allocate"`` (assortment target at minimum stock
    value, :func:`forecasting.replenish.allocate_fill_rates_to_items`).
    """

    def __init__(self, scenario: Scenario, forecasts: list[Forecasts], *, mode: str, target: float,
                 distribution: str = "normal", calibrate: str = "", floor_share: float = 0.85) -> None:
        if mode not in ("z", "fill", "allocate", "empirical"):
            raise ValueError(f"unknown mode {mode!r}")
        self.scenario, self.forecasts = scenario, sorted(forecasts, key=lambda f: f.made_on)
        self.mode, self.target, self.distribution, self.calibrate = mode, target, distribution, calibrate
        self.floor_share = floor_share
        self.pools: dict[tuple[int, ...], protection.ErrorPool | None] = {}
        self.demand = np.nan_to_num(scenario.demand, nan=0.0)
        spread = LEAD_SPREAD * scenario.lead_days / math.sqrt(3)  # σ of a uniform ±30 %
        self.lead = LeadTime(mean_days=float(scenario.lead_days), std_days=spread, source="price_list")

    def items(self, day: int, on_hand: Array, on_order: Array) -> list[ReplenishmentInput]:
        latest = [f for f in self.forecasts if f.made_on <= day]
        if not latest:
            raise ValueError(f"no forecast made on or before day {day}")
        fc = latest[-1]
        offset = day - fc.made_on
        cal, spread = self.calibration(day) if self.calibrate else (SpreadCalibration(), None)
        pool = self.error_pool(day) if self.mode == "empirical" else None
        out = []
        for i in range(on_hand.shape[0]):
            yhat, hi = fc.yhat[i, offset:].tolist(), fc.hi95[i, offset:].tolist()
            factor = cal.spread if spread is None else float(spread[i])
            out.append(ReplenishmentInput(
                sku=str(i), warehouse="sim", daily_demand=[cal.bias * v for v in yhat],
                demand_std_per_day=cal.bias * factor * demand_std_from_interval(yhat, hi, 95),
                lead_time=self.lead,
                review_period_days=self.scenario.review_days,
                service_level=self.target if self.mode == "z" else 0.95,
                stock=StockPosition(on_hand=int(on_hand[i]), on_order=int(on_order[i])),
                fill_rate=None if self.mode == "z" else self.target, distribution=self.distribution,
            ))
        if pool is not None:
            out = with_protection_scenarios(out, pool)
        return out

    def error_pool(self, day: int, origins: int = 8) -> protection.ErrorPool | None:
        """:func:`forecasting.protection.fit_error_pool` on the last ``origins`` forecasts whose
        protection period had ended by ``day``: their forecast over ``P`` against what sold."""
        period = round(self.lead.mean_days + self.scenario.review_days)
        done = [f for f in self.forecasts if f.made_on + period <= day][-origins:]
        key = tuple(f.made_on for f in done)
        if key not in self.pools:
            forecast_sums, actual_sums, cvs = [], [], []
            for f in done:
                horizon = min(period, f.yhat.shape[1])
                total = f.yhat[:, :horizon].sum(axis=1) * period / horizon
                sigma_d = np.maximum(f.hi95 - f.yhat, 0).mean(axis=1) / 1.959963984540054
                forecast_sums.append(total)
                actual_sums.append(self.demand[:, f.made_on:f.made_on + period].sum(axis=1))
                cvs.append(sigma_d * math.sqrt(period) / np.maximum(total, protection.FLOOR_UNITS))
            self.pools[key] = protection.fit_error_pool(np.concatenate(forecast_sums), np.concatenate(actual_sums),
                                                        np.concatenate(cvs)) if done else None
        return self.pools[key]

    def calibration(self, day: int, origins: int = 8) -> tuple[SpreadCalibration, Array | None]:
        """:func:`forecasting.calibration.calibrate_spread` on the last ``origins`` forecasts whose
        protection period had ended by ``day`` (only demand seen before ``day``); with
        ``calibrate="sku"`` also each SKU's own spread (:func:`forecasting.calibration.spread_per_sku`)."""
        period = round(self.lead.mean_days + self.scenario.review_days)
        done = [f for f in self.forecasts if f.made_on + period <= day][-origins:]
        forecast_sums, actual_sums, stds = [], [], []
        for f in done:
            horizon = min(period, f.yhat.shape[1])
            forecast_sums.extend((f.yhat[:, :horizon].sum(axis=1) * period / horizon).tolist())
            actual_sums.extend(self.demand[:, f.made_on:f.made_on + period].sum(axis=1).tolist())
            sigma_d = np.maximum(f.hi95 - f.yhat, 0).mean(axis=1) / 1.959963984540054
            stds.extend((sigma_d * math.sqrt(period)).tolist())
        pooled = calibrate_spread(forecast_sums, actual_sums, stds,
                                  method="quantile" if self.calibrate == "quantile" else "rms")
        if self.calibrate != "sku" or not done:
            return pooled, None
        shape = (len(done), self.demand.shape[0])
        per_sku = spread_per_sku(np.reshape(forecast_sums, shape), np.reshape(actual_sums, shape),
                                 np.reshape(stds, shape), pooled=pooled)
        return pooled, per_sku

    def __call__(self, day: int, on_hand: Array, on_order: Array) -> Array:
        items = self.items(day, on_hand, on_order)
        if self.mode in ("allocate", "empirical"):
            groups = ["assortment"] * len(items)
            items = allocate_fill_rates_to_items(items, {"assortment": self.target}, groups,
                                                 self.scenario.price.tolist(), floor_share=self.floor_share)
        return np.array([replenish(item).suggested_quantity for item in items], dtype=float)


def interpolate_value(outcomes: list[Outcome], fill_rate: float) -> float | None:
    """Average stock value at ``fill_rate`` on a policy's curve (lower envelope, linear
    between measured settings); None outside the measured range."""
    points = sorted((o.fill_rate, o.average_value) for o in outcomes if np.isfinite(o.fill_rate))
    if not points or not points[0][0] <= fill_rate <= points[-1][0]:
        return None
    # Lower envelope: a setting that reaches a higher fill rate for less stock dominates.
    envelope: list[tuple[float, float]] = []
    for rate, value in reversed(points):
        if not envelope or value < envelope[-1][1]:
            envelope.append((rate, value))
    envelope.reverse()
    rates = [p[0] for p in envelope]
    if not rates[0] <= fill_rate <= rates[-1]:
        return envelope[0][1] if fill_rate < rates[0] else None
    return float(np.interp(fill_rate, rates, [p[1] for p in envelope]))


def with_lead(scenario: Scenario, lead_days: int) -> Scenario:
    return dataclasses.replace(scenario, lead_days=lead_days)
