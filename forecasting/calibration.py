"""Calibrating the forecast's spread on how past forecasts fared (pure).

The replenishment replay (``bench/replenishment.py``) showed that the σ implied by the
forecast intervals, summed over lead time + review, is about half the real error and that
the forecast runs low on a growing assortment. These functions measure both from past
(forecast, actual) pairs over the protection period; the planner multiplies the forecast by
``bias`` and σ_d by ``spread``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SpreadCalibration:
    """How past forecasts fared over the protection period, pooled over SKUs and origins.

    ``bias`` = actual ÷ forecast demand (1: unbiased); ``spread`` = RMS of the actual errors
    ÷ RMS of the σ the intervals implied (1: the intervals were right). Multiply the daily
    forecast by ``bias`` and σ_d by ``spread`` before planning.
    """

    bias: float = 1.0
    spread: float = 1.0
    samples: int = 0


def calibrate_spread(
    forecast_sums: Sequence[float], actual_sums: Sequence[float], implied_std: Sequence[float],
    *, bias_limits: tuple[float, float] = (0.5, 2.0), spread_limits: tuple[float, float] = (1.0, 4.0),
    method: str = "rms",
) -> SpreadCalibration:
    """:class:`SpreadCalibration` from past (forecast sum, actual sum, implied σ) triples over
    the protection period. The spread is measured after the bias correction and never
    narrows the intervals below their own width (``spread_limits``); no data → no change.
    ``method``: ``"rms"`` (RMS error ÷ RMS σ, dominated by the big SKUs) or ``"quantile"``
    (the 95th percentile of error ÷ σ over 1.645: scale-free, set by the upper tail).

    Raises:
        ValueError: the three sequences differ in length, or an unknown method.
    """
    if method not in ("rms", "quantile"):
        raise ValueError(f"method must be 'rms' or 'quantile', got {method!r}")
    if not len(forecast_sums) == len(actual_sums) == len(implied_std):
        raise ValueError("forecast_sums, actual_sums and implied_std must have the same length")
    forecast = np.asarray(forecast_sums, dtype=float)
    actual = np.asarray(actual_sums, dtype=float)
    std = np.asarray(implied_std, dtype=float)
    if forecast.size == 0 or forecast.sum() <= 0 or float((std**2).sum()) <= 0:
        return SpreadCalibration()
    bias = float(np.clip(actual.sum() / forecast.sum(), *bias_limits))
    errors = actual - bias * forecast
    if method == "rms":
        raw = math.sqrt(float((errors**2).sum()) / float(((bias * std) ** 2).sum()))
    else:
        scaled = errors[std > 0] / (bias * std[std > 0])
        raw = float(np.quantile(scaled, 0.95)) / 1.6448536269514722 if scaled.size else 1.0
    spread = float(np.clip(raw, *spread_limits))
    return SpreadCalibration(bias=bias, spread=spread, samples=int(forecast.size))


def spread_per_sku(
    forecast_sums: np.ndarray, actual_sums: np.ndarray, implied_std: np.ndarray, *,
    pooled: SpreadCalibration, prior_origins: float = 2.0, limits: tuple[float, float] = (0.5, 6.0),
) -> np.ndarray:
    """Each SKU's own spread factor from its past errors ``[origin, sku]``, shrunk towards the
    pooled one as if ``prior_origins`` extra origins had shown exactly the pooled spread:
    ``κᵢ² = (Σ eᵢ² + m·κ²·σ̄ᵢ²) / (Σ σᵢ² + m·σ̄ᵢ²)`` (errors after the pooled bias)."""
    forecast, actual, std = (np.atleast_2d(np.asarray(a, dtype=float)) for a in (forecast_sums, actual_sums,
                                                                                  implied_std))
    if forecast.size == 0:
        return np.full(forecast.shape[-1], pooled.spread)
    errors = actual - pooled.bias * forecast
    var = (pooled.bias * std) ** 2
    mean_var = var.mean(axis=0)
    numerator = (errors**2).sum(axis=0) + prior_origins * pooled.spread**2 * mean_var
    denominator = var.sum(axis=0) + prior_origins * mean_var
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.sqrt(np.where(denominator > 0, numerator / denominator, pooled.spread**2))
    return np.asarray(np.clip(np.nan_to_num(spread, nan=pooled.spread), *limits), dtype=float)
