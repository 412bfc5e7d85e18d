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

The fill rate of a level on such scenario rows (``[sku, point]``), the level search and the
allocation across SKUs are in :mod:`forecasting.lost_sales` (over several lost-sales review
cycles); here only the rows, their loss function ``ESC(S) = E[(X − S)+]`` and the review
period's share of their mean. Pure numpy, deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
POINTS = 200  # equally likely quantiles per class (the tail up to 99.75 %)
FLOOR_UNITS = 1.0  # a forecast below one unit over P is scaled as one unit
LEVEL_BINS = 8
CV_BINS = 3
MIN_SAMPLES = 40  # fewer pairs than this: no pool (the caller falls back to normal/gamma)
LEAD_SEED = 20111209


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
