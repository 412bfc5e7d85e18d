"""Fill rate of an order-up-to level over several lost-sales review cycles.

The single-cycle formula ``1 − ESC / (D_R + ESC)`` (:mod:`forecasting.fill_rate`) assumes every
cycle starts with the position at ``S`` and the stock on hand at ``S`` less what the lead time
consumes. With lost sales that is not what happens: demand that finds the shelf empty is not
taken off the next cycle's stock, so a SKU that sells out still sells what each order brings.
At ``L = R`` the on-hand stock follows ``Iₜ₊₁ = S − min(Iₜ, Dₜ)``: a SKU that always sells out
alternates between ``I`` and ``S − I`` and serves ``S`` units every two review periods, a fill
rate of ``S / (demand over 2R)`` — where the single-cycle formula reads ``D_R / (3 D_R − S)``.
In the replay (``bench/replenishment.py``) the single-cycle formula under-predicted the fill
rate of low-service SKUs and the policy over-delivered low targets by up to 11 points.

:func:`fill_rate_curves` simulates the periodic-review system instead: review every ``R``
days, order up to ``S`` (position = on hand + on order), each order arriving ``L = P − R``
days later (orders outstanding when ``L ≥ R``; an arrival within a period splits its demand
pro rata), unmet demand lost. Each path keeps one of the SKU's scenarios over ``P``
(:func:`forecasting.protection.scenarios`, equally likely; :data:`PATHS` of them, stratified
and seeded) and demands its rate, ``R / P`` of it, every review period: a scenario's error is
mostly the forecast's error on the level, which lasts for the cycles that follow. Measured
in the replay (300-SKU sample, L = 7, achieved − asked at 70…98 %): one draw per path
−2.9…−1.3 points; an independent draw every period −7.8…−5.6 (the sum of independent weeks
has less spread than the scenarios over ``P``); one draw per ``P``-day block −3.3…−1.8. At
an integer ``L / R`` the curve is ``E[min(X, S)] / E[X]``; at a fractional one the stock
left when an order arrives within a period makes it differ (by up to 9 points), which is why
it is simulated. Fill rate = units served ÷ units demanded over :data:`CYCLES` review
periods after a warm-up, at :data:`GRID` levels per SKU (whole units from 0 to the largest
scenario: half at the scenarios' quantiles, half evenly spaced); levels between grid points
are read linearly. The same paths and levels rule for every SKU: the curves are
deterministic and a higher level never serves less. Pure numpy, vectorised over SKUs,
levels and paths.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from forecasting.fill_rate import check_fill_rate, per_group

Array = NDArray[np.float64]
PATHS = 100  # simulated paths per SKU and level (one scenario each)
CYCLES = 10  # measured review periods per path
WARMUP = 3  # review periods before measuring, after the lead time's own periods
GRID = 24  # levels per SKU (0 to the largest scenario, see grid_levels)
SEED = 20111209
CHUNK = 256  # SKUs simulated at once (bounds memory: CHUNK × GRID × PATHS floats per array)


def grid_levels(rows: ArrayLike, grid: int = GRID) -> Array:
    """``[sku, grid]`` candidate levels from 0 to the largest scenario: half of them the
    scenarios' quantiles, half evenly spaced, rounded up to whole units and sorted."""
    x = np.sort(np.atleast_2d(np.asarray(rows, dtype=float)), axis=1)
    quantiles = x[:, np.rint(np.linspace(0, x.shape[1] - 1, grid - grid // 2)).astype(int)]
    even = x[:, -1:] * np.linspace(0, 1, grid // 2)[None, :]
    levels = np.sort(np.concatenate([even, quantiles], axis=1), axis=1)
    return np.asarray(np.ceil(levels - 1e-9), dtype=float)


def _draws(points: int, paths: int) -> NDArray[np.int64]:
    """One scenario index per path: a stratified sample of the points (every point once when
    ``paths == points``), seeded."""
    strata = (np.arange(paths) + np.random.default_rng(SEED).uniform(size=paths)) / paths
    return np.asarray(np.floor(strata * points), dtype=np.int64)


def _simulate(levels: Array, period_demand: Array, lead_periods: float, warmup: int) -> Array:
    """Fill rate per ``[sku, level]`` of order-up-to ``levels`` ``[sku, level]`` on
    ``period_demand`` ``[sku, path, period]``, lead time ``lead_periods`` review periods."""
    whole_periods = math.floor(lead_periods + 1e-9)
    part = lead_periods - whole_periods if lead_periods - whole_periods > 1e-9 else 0.0
    s = levels[:, :, None]
    on_hand = np.broadcast_to(s, (*levels.shape, period_demand.shape[1])).copy()
    pipeline = [np.zeros_like(on_hand) for _ in range(whole_periods)]  # oldest first
    on_order = np.zeros_like(on_hand)
    served = np.zeros_like(on_hand)
    step = np.empty_like(on_hand)
    for t in range(period_demand.shape[2]):
        d = period_demand[:, None, :, t]
        if part == 0 and whole_periods > 0:  # the order placed L periods ago arrives before the review
            arrived = pipeline.pop(0)
            on_hand += arrived
            on_order -= arrived
        order = np.maximum(s - on_hand - on_order, 0.0)
        pipeline.append(order)
        on_order += order
        if part == 0 and whole_periods == 0:
            on_hand += pipeline.pop(0)
            on_order[:] = 0.0
        if part > 0:
            np.minimum(on_hand, d * part, out=step)
            on_hand -= step
            if t >= warmup:
                served += step
            arrived = pipeline.pop(0)  # the order placed L periods ago arrives within this period
            on_hand += arrived
            on_order -= arrived
        np.minimum(on_hand, d * (1 - part), out=step)
        on_hand -= step
        if t >= warmup:
            served += step
    demanded = period_demand[:, :, warmup:].sum(axis=(1, 2))
    total = served.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(demanded[:, None] > 0, total / np.where(demanded > 0, demanded, 1.0)[:, None], 1.0)
    return np.asarray(np.maximum.accumulate(np.clip(rate, 0.0, 1.0), axis=1), dtype=float)


def fill_rate_curves(rows: ArrayLike, review_days: ArrayLike, period_days: ArrayLike, *,
                     paths: int = PATHS, cycles: int = CYCLES, grid: int = GRID) -> tuple[Array, Array]:
    """``(levels, fill rates)``, both ``[sku, grid]``: the fill rate of each candidate level
    (:func:`grid_levels`) over ``cycles`` lost-sales review periods (see the module doc) of
    each SKU's protection-period scenarios ``rows`` ``[sku, point]`` over ``period_days``
    ``P`` with review every ``review_days`` ``R`` (lead time ``P − R``). Non-decreasing in the
    level; 1 for a SKU whose scenarios are all zero.

    Raises:
        ValueError: ``R`` <= 0 or ``P < R``.
    """
    x = np.sort(np.atleast_2d(np.asarray(rows, dtype=float)), axis=1)
    n, m = x.shape
    review = np.broadcast_to(np.asarray(review_days, dtype=float), (n,))
    period = np.broadcast_to(np.asarray(period_days, dtype=float), (n,))
    if (review <= 0).any() or (period < review - 1e-9).any():
        raise ValueError("review_days must be > 0 and period_days >= review_days")
    levels = grid_levels(x, grid)
    rates = np.ones_like(levels)
    lead_periods = np.round((period - review) / review, 6)
    for lead in np.unique(lead_periods):
        warmup = math.ceil(lead) + WARMUP
        draws = np.repeat(_draws(m, paths)[:, None], warmup + cycles, axis=1)  # [path, period]
        for chunk in np.array_split(np.flatnonzero(lead_periods == lead), max(n // CHUNK, 1)):
            if chunk.size == 0:
                continue
            share = (review[chunk] / period[chunk])[:, None, None]
            demand = x[chunk][:, draws] * share
            rates[chunk] = _simulate(levels[chunk], demand, float(lead), warmup)
    return levels, rates


def fill_rate_at(level: ArrayLike, levels: ArrayLike, rates: ArrayLike) -> Array:
    """The fill rate of ``level`` per SKU on its curve (linear between grid levels; the top
    level's rate above it)."""
    grid, curve = np.atleast_2d(np.asarray(levels, dtype=float)), np.atleast_2d(np.asarray(rates, dtype=float))
    s = np.broadcast_to(np.asarray(level, dtype=float), grid.shape[:1])
    return np.asarray([np.interp(v, g, r) for v, g, r in zip(s, grid, curve, strict=True)], dtype=float)


def level_for_fill_rate(fill_rate: ArrayLike, levels: ArrayLike, rates: ArrayLike) -> Array:
    """The lowest level per SKU whose fill rate on its curve reaches ``fill_rate`` (linear
    between grid levels, rounded up to whole units; the top level when none reaches it)."""
    grid, curve = np.atleast_2d(np.asarray(levels, dtype=float)), np.atleast_2d(np.asarray(rates, dtype=float))
    n, c = grid.shape
    beta = np.broadcast_to(np.asarray(fill_rate, dtype=float), (n,))
    reached = curve >= beta[:, None] - 1e-12
    k = np.where(reached.any(axis=1), np.argmax(reached, axis=1), c - 1)
    idx = np.arange(n)
    prev = np.maximum(k - 1, 0)
    rise = curve[idx, k] - curve[idx, prev]
    step = np.clip((beta - curve[idx, prev]) / np.where(rise > 0, rise, 1.0), 0.0, 1.0)
    level = np.where(k == 0, grid[:, 0], grid[idx, prev] + step * (grid[idx, k] - grid[idx, prev]))
    return np.asarray(np.ceil(level - 1e-9), dtype=float)


def allocate(target: float, levels: ArrayLike, rates: ArrayLike, review_demand: ArrayLike, unit_value: ArrayLike,
             floor_share: float) -> tuple[Array, Array]:
    """Per-SKU levels on the curves that serve ``target`` of the group's demand (weighted by
    each SKU's review-period demand) at the least ``Σ vᵢ Sᵢ``: each SKU takes the grid level
    maximising ``λ · D_R,ᵢ · βᵢ(S) − vᵢ · S`` (the lowest on a tie), never one below
    ``floor_share × target`` on its own, with ``λ`` the smallest that meets the target
    (bisection on ``log λ``). ``unit_value`` <= 0 or NaN: the group median. Returns
    (levels, fill rates).

    Raises:
        ValueError: ``target`` outside (0, 1).
    """
    check_fill_rate(target, "target")
    grid, curve = np.atleast_2d(np.asarray(levels, dtype=float)), np.atleast_2d(np.asarray(rates, dtype=float))
    n, c = grid.shape
    d = np.broadcast_to(np.asarray(review_demand, dtype=float), (n,))
    value = np.broadcast_to(np.asarray(unit_value, dtype=float), (n,)).copy()
    good = np.isfinite(value) & (value > 0)
    value = np.where(good, value, float(np.median(value[good])) if good.any() else 1.0)
    allowed = curve >= min(floor_share * target, 1.0) - 1e-12
    allowed[:, -1] = True  # the top level when no level reaches the floor
    first = np.argmax(allowed, axis=1)
    allowed = np.arange(c)[None, :] >= first[:, None]
    total = float(d.sum())
    idx = np.arange(n)

    def choose(log_lam: float) -> NDArray[np.int64]:
        score = math.exp(log_lam) * d[:, None] * curve - value[:, None] * grid
        return np.asarray(np.argmax(np.where(allowed, score, -np.inf), axis=1), dtype=np.int64)

    def served(log_lam: float) -> float:
        return float((d * curve[idx, choose(log_lam)]).sum())

    if total <= 0:
        k = first
    else:
        scale = math.log(float(np.median(value)) / max(float(np.median(d[d > 0])) if (d > 0).any() else 1.0, 1e-12))
        lo, hi = scale - 40.0, scale + 40.0
        if served(lo) >= target * total:
            hi = lo
        for _ in range(80):
            if hi - lo < 1e-9:
                break
            mid = (lo + hi) / 2
            if served(mid) >= target * total:
                hi = mid
            else:
                lo = mid
        k = choose(hi)
    return grid[idx, k], curve[idx, k]


def allocate_by_group(targets: dict[str, float], groups: Sequence[str], levels: ArrayLike, rates: ArrayLike,
                      review_demand: ArrayLike, unit_value: ArrayLike, *, default_target: float | None,
                      floor_share: float) -> tuple[Array, Array]:
    """:func:`allocate` once per group with its own target (``default_target`` for a group not
    in ``targets``; ``ValueError`` when a group has neither or ``floor_share`` is outside (0, 1])."""
    if not 0 < floor_share <= 1:
        raise ValueError(f"floor_share must be in (0, 1], got {floor_share}")
    grid, curve = np.atleast_2d(np.asarray(levels, dtype=float)), np.atleast_2d(np.asarray(rates, dtype=float))
    n = grid.shape[0]
    d = np.broadcast_to(np.asarray(review_demand, dtype=float), (n,))
    value = np.broadcast_to(np.asarray(unit_value, dtype=float), (n,))
    return per_group(targets, groups, n, default_target, lambda target, idx: allocate(
        target, grid[idx], curve[idx], d[idx], value[idx], floor_share))
