"""Empirical protection-period demand: what SKUs like this one actually sold over ``L + R``.

The fill-rate policy needs the distribution of demand ``X`` over the protection period
``P = L + R``. A normal or gamma with σ from the forecast's daily interval scaled by ``√P``
misses on lumpy demand (the replay of ``bench/replenishment.py``: the implied σ is half the
real error and the tail is the wrong shape). Here the distribution comes from past
forecasts instead: for every past (forecast, actual) pair over ``P`` the ratio
``actual ÷ max(forecast, FLOOR_UNITS)`` is pooled per *demand class* — the forecast's own
level over ``P`` (quantile bins of its log) × the forecast's implied coefficient of
variation (how erratic the model thinks the series is) — and kept as :data:`POINTS`
equally likely quantiles. A SKU's protection-period demand is then ``max(μ, FLOOR_UNITS) ×``
its class's ratios: the bias of the forecast (per level), its spread and the shape of the
tail all come from what happened, and a SKU whose class mostly sells nothing over ``P``
gets mostly zeros (it is not stocked unless it is cheap to). Lead-time variability (σ_L)
is added by stretching each point by a stratified lead-time draw.

:func:`level_for_fill_rate` and :func:`allocate_fill_rates` are the loss-function
counterparts of :mod:`forecasting.fill_rate` on such scenario rows (``[sku, point]``):
expected units short per cycle ``ESC(S) = E[(X − S)+]``, fill rate ``1 − ESC / (D_R + ESC)``
(lost sales, :data:`forecasting.fill_rate.LOST_SALES`) with ``D_R`` the review period's
share of the scenarios' mean, levels in whole units (:data:`WHOLE_UNITS`), and the exchange-curve allocation
``P(Xᵢ > Sᵢ) = vᵢ / λ``. Pure numpy, deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from forecasting.fill_rate import (
    allowed_shortage,
    check_fill_rate,
    fill_rate_of,
    smallest_multiplier_within,
)

Array = NDArray[np.float64]
POINTS = 200  # equally likely quantiles per class (the tail up to 99.75 %)
FLOOR_UNITS = 1.0  # a forecast below one unit over P is scaled as one unit
LEVEL_BINS = 8
CV_BINS = 3
MIN_SAMPLES = 40  # fewer pairs than this: no pool (the caller falls back to normal/gamma)
LEAD_SEED = 20111209
# Orders are whole units (``forecasting.replenish.round_order`` rounds up), so a position
# topped up to a fractional level ends at the next whole unit: levels are chosen as whole units.
WHOLE_UNITS = True


@dataclass(frozen=True)
class ErrorPool:
    """Ratios ``actual ÷ max(forecast, 1)`` over ``P`` per demand class (see the module doc).

    ``level_edges``/``cv_edges``: inner bin edges of ``log(max(forecast, 1))`` and of the
    implied CV; ``ratios[level_bin * len(cv bins) + cv_bin]``: :data:`POINTS` sorted
    quantiles; ``samples``: the pairs it was fitted on.
    """

    level_edges: tuple[float, ...]
    cv_edges: tuple[float, ...]
    ratios: tuple[tuple[float, ...], ...]
    samples: int

    def classes(self, mean: ArrayLike, cv: ArrayLike) -> NDArray[np.int64]:
        """The class index of each (forecast over P, implied CV)."""
        level = np.log(np.maximum(np.asarray(mean, dtype=float), FLOOR_UNITS))
        level_bin = np.searchsorted(np.asarray(self.level_edges), level, side="right")
        cv_bin = np.searchsorted(np.asarray(self.cv_edges), np.nan_to_num(np.asarray(cv, dtype=float)),
                                 side="right")
        return np.asarray(level_bin * (len(self.cv_edges) + 1) + cv_bin, dtype=np.int64)


def _edges(values: Array, bins: int) -> tuple[float, ...]:
    if bins <= 1 or values.size == 0:
        return ()
    inner = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
    return tuple(float(e) for e in np.unique(inner))


def fit_error_pool(forecast_sums: ArrayLike, actual_sums: ArrayLike, implied_cv: ArrayLike, *,
                   level_bins: int = LEVEL_BINS, cv_bins: int = CV_BINS, points: int = POINTS,
                   min_samples: int = MIN_SAMPLES) -> ErrorPool | None:
    """:class:`ErrorPool` from past (forecast over P, actual over P, implied CV) triples; a
    class with fewer than ``min_samples`` pairs borrows its level bin's pairs (all CVs), then
    all pairs. None with fewer than ``min_samples`` pairs in all.

    Raises:
        ValueError: the three arrays differ in length.
    """
    forecast, actual, cv = (np.asarray(a, dtype=float).ravel() for a in (forecast_sums, actual_sums, implied_cv))
    if not forecast.shape == actual.shape == cv.shape:
        raise ValueError("forecast_sums, actual_sums and implied_cv must have the same length")
    ok = np.isfinite(forecast) & np.isfinite(actual) & (forecast >= 0) & (actual >= 0)
    forecast, actual, cv = forecast[ok], actual[ok], np.nan_to_num(cv[ok])
    if forecast.size < min_samples:
        return None
    ratio = actual / np.maximum(forecast, FLOOR_UNITS)
    level = np.log(np.maximum(forecast, FLOOR_UNITS))
    level_edges = _edges(level, level_bins)
    level_bin = np.searchsorted(np.asarray(level_edges), level, side="right")
    probabilities = (np.arange(points) + 0.5) / points
    cv_edges = _edges(cv, cv_bins)
    cv_bin = np.searchsorted(np.asarray(cv_edges), cv, side="right")
    n_cv = len(cv_edges) + 1
    ratios = []
    for lb in range(len(level_edges) + 1):
        in_level = level_bin == lb
        for cb in range(n_cv):
            chosen = in_level & (cv_bin == cb)
            if chosen.sum() < min_samples:
                chosen = in_level if in_level.sum() >= min_samples else np.ones_like(in_level)
            ratios.append(tuple(float(q) for q in np.quantile(ratio[chosen], probabilities)))
    return ErrorPool(level_edges, cv_edges, tuple(ratios), int(forecast.size))


def scenarios(pool: ErrorPool, mean: ArrayLike, cv: ArrayLike, *, period_days: float = 0.0,
              lead_std_days: float = 0.0) -> Array:
    """``[sku, point]`` equally likely protection-period demands: ``max(μ, 1) ×`` the class's
    ratios, each point stretched by ``1 + ΔL / P`` with ``ΔL`` a stratified uniform draw of
    standard deviation ``lead_std_days`` (paired with the points by a fixed permutation)."""
    mu = np.atleast_1d(np.asarray(mean, dtype=float))
    table = np.asarray(pool.ratios, dtype=float)
    rows = np.maximum(mu, FLOOR_UNITS)[:, None] * table[pool.classes(mu, np.broadcast_to(cv, mu.shape))]
    rows = np.where(mu[:, None] > 0, rows, 0.0)
    if lead_std_days > 0 and period_days > 0:
        points = table.shape[1]
        half_width = lead_std_days * math.sqrt(3.0)  # a uniform of this std
        draws = (np.arange(points) + 0.5) / points * 2 - 1
        stretch = 1 + half_width * draws[np.random.default_rng(LEAD_SEED).permutation(points)] / period_days
        rows = np.sort(rows * np.maximum(stretch, 0.0)[None, :], axis=1)
    return np.asarray(rows, dtype=float)


def expected_shortage(level: ArrayLike, rows: ArrayLike) -> Array:
    """``E[(X − level)+]`` per row of equally likely demands."""
    x = np.atleast_2d(np.asarray(rows, dtype=float))
    s = np.broadcast_to(np.asarray(level, dtype=float), x.shape[:1])
    return np.asarray(np.maximum(x - s[:, None], 0.0).mean(axis=1), dtype=float)


def review_demand(rows: ArrayLike, review_days: ArrayLike, period_days: ArrayLike) -> Array:
    """The review period's expected demand: its share ``R / P`` of the scenarios' mean."""
    x = np.atleast_2d(np.asarray(rows, dtype=float))
    return np.asarray(x.mean(axis=1) * np.asarray(review_days, dtype=float) / np.asarray(period_days, dtype=float),
                      dtype=float)


def whole(levels: Array) -> Array:
    """Levels rounded up to whole units when :data:`WHOLE_UNITS` (a hair below a whole number
    stays on it)."""
    return np.asarray(np.ceil(levels - 1e-9), dtype=float) if WHOLE_UNITS else levels


def expected_fill_rate(level: ArrayLike, rows: ArrayLike, d_r: ArrayLike) -> Array:
    """The fill rate of ``level`` per row (:func:`fill_rate_of` its ``ESC``), in [0, 1]; 1 for
    a row without expected demand."""
    return fill_rate_of(expected_shortage(level, rows), d_r)


def level_for_fill_rate(fill_rate: ArrayLike, rows: ArrayLike, d_r: ArrayLike) -> Array:
    """The lowest level (>= 0) per row whose expected fill rate reaches ``fill_rate``.

    Exact: ``ESC`` is piecewise linear between the sorted points (slope −(points above)/m),
    so the level that leaves ``(1 − fill rate) · D_R`` short is found on the right piece.
    """
    x = np.sort(np.atleast_2d(np.asarray(rows, dtype=float)), axis=1)
    n, m = x.shape
    beta = np.broadcast_to(np.asarray(fill_rate, dtype=float), (n,))
    allowed = allowed_shortage(beta, np.broadcast_to(np.asarray(d_r, dtype=float), (n,)))
    above = m - 1 - np.arange(m)  # points strictly above x_k
    tail = np.cumsum(x[:, ::-1], axis=1)[:, ::-1] - x  # Σ_{j>k} x_j
    esc = (tail - above * x) / m  # ESC(x_k), non-increasing in k
    k = np.argmax(esc <= allowed[:, None] + 1e-12, axis=1)  # first point within the allowance
    idx = np.arange(n)
    prev = np.maximum(k - 1, 0)
    piece = x[idx, prev] + (esc[idx, prev] - allowed) * m / np.maximum(m - k, 1)
    below_first = np.maximum(x.mean(axis=1) - allowed, 0.0)  # S <= x_0: ESC = mean − S
    level = np.where(k == 0, np.minimum(below_first, x[:, 0]), np.minimum(piece, x[idx, k]))
    return np.asarray(np.where(x[:, -1] > 0, np.maximum(level, 0.0), 0.0), dtype=float)


def quantile_above(probability: ArrayLike, rows: ArrayLike) -> Array:
    """The level that demand exceeds with ``probability`` (linear between the points)."""
    x = np.atleast_2d(np.asarray(rows, dtype=float))
    m = x.shape[1]
    p = np.clip(np.broadcast_to(np.asarray(probability, dtype=float), x.shape[:1]), 0.0, 1.0)
    # point j is the (j + 0.5)/m quantile; P(X > x_j) = 1 − (j + 0.5)/m
    position = np.clip((1.0 - p) * m - 0.5, 0.0, m - 1.0)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, m - 1)
    weight = position - low
    idx = np.arange(x.shape[0])
    out = x[idx, low] * (1 - weight) + x[idx, high] * weight
    return np.asarray(np.where(p >= 1.0, 0.0, out), dtype=float)


def allocate_fill_rates(target: float, rows: ArrayLike, d_r: ArrayLike, unit_value: ArrayLike,
                        floor_share: float) -> tuple[Array, Array]:
    """Per-row levels meeting one group ``target`` fill rate (demand-weighted) at minimum stock
    value: ``Sᵢ = F⁻¹(1 − vᵢ/λ)``, never below the level giving ``floor_share × target`` on its
    own (see :func:`forecasting.fill_rate.allocate_fill_rates`). Returns (levels, fill rates).
    """
    check_fill_rate(target, "target")
    if not 0 < floor_share <= 1:
        raise ValueError(f"floor_share must be in (0, 1], got {floor_share}")
    x = np.atleast_2d(np.asarray(rows, dtype=float))
    d = np.broadcast_to(np.asarray(d_r, dtype=float), x.shape[:1]).copy()
    value = np.broadcast_to(np.asarray(unit_value, dtype=float), x.shape[:1]).copy()
    good = np.isfinite(value) & (value > 0)
    value = np.where(good, value, float(np.median(value[good])) if good.any() else 1.0)
    floor = level_for_fill_rate(floor_share * target, x, d)
    budget = float(allowed_shortage(target, float(d.sum())))

    def levels(lam: float) -> Array:
        return whole(np.maximum(quantile_above(np.clip(value / lam, 0.0, 1.0), x), floor))

    def shortage(lam: float) -> float:
        return float(expected_shortage(levels(lam), x).sum())

    chosen = levels(smallest_multiplier_within(shortage, budget, value))
    return chosen, expected_fill_rate(chosen, x, d)


def allocate_by_group(targets: dict[str, float], groups: Sequence[str], rows: ArrayLike, d_r: ArrayLike,
                      unit_value: ArrayLike, *, default_target: float | None, floor_share: float,
                      ) -> tuple[Array, Array]:
    """:func:`allocate_fill_rates` once per group with its own target (``default_target`` for a
    group not in ``targets``; ``ValueError`` when a group has neither)."""
    x = np.atleast_2d(np.asarray(rows, dtype=float))
    d = np.broadcast_to(np.asarray(d_r, dtype=float), x.shape[:1])
    value = np.broadcast_to(np.asarray(unit_value, dtype=float), x.shape[:1])
    labels = np.asarray(list(groups), dtype=object)
    if labels.shape != x.shape[:1]:
        raise ValueError("groups must name one group per row")
    levels, rates = np.zeros(x.shape[0]), np.ones(x.shape[0])
    for group in sorted(set(labels.tolist())):
        target = targets.get(group, default_target)
        if target is None:
            raise ValueError(f"no target fill rate for group {group!r}")
        idx = labels == group
        levels[idx], rates[idx] = allocate_fill_rates(target, x[idx], d[idx], value[idx], floor_share)
    return levels, rates
