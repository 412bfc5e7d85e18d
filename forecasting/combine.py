"""Combining candidate forecasts: a pooled seasonal profile and error-weighted averages.

Two pieces, both pure numpy/pandas so they run the same after any engine:

* **Pooled seasonal profile.** Croston, ADIDA, IMAPA, TSB and WindowAverage forecast a flat
  level, which cannot carry a weekly pattern (Online Retail does not trade on Saturdays).
  :func:`pooled_profile` measures the share of demand that falls on each position of the
  season (day of week, month of year) over *all* series of the batch — one profile, pooled
  because a single slow mover's own weekday shares are noise — and :func:`apply_profile`
  multiplies a level forecast by it, so the profiled candidate sells the same total over
  a season, distributed like the shop's demand. Measured on the real sets, a per-product
  profile shrunk toward the pooled one did worse than the pooled one alone.
* **Weights pooled per demand class.** :func:`class_weights` gives every candidate the
  weight ``1 / e**POWER``, ``e`` the candidate's mean scaled squared backtest error over the
  series of one demand class (RMSSE², each series' errors divided by its in-sample
  seasonal-naive MSE). Pooling over the class makes the weights stable where one series'
  three windows are not (per-series inverse-error weights and per-series picks both did
  worse on the real sets); the high power lets the clearly better candidates dominate
  while near-ties share the weight.
* **Stacked weights** (:func:`stacked_weights`), used instead where a global model competes
  (monthly data): convex weights fitted to the class's backtest rows. The power weights
  spread over the level models and their profiled twins, which err together, and left the
  global model 7–15 % where it was the best method. They are then shrunk toward the global
  model by the amount a nested backtest chooses (:func:`shrunk_weights`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import nnls

# Exponent of the inverse pooled error: 1 ≈ equal weights among near-equal candidates,
# very large = pick the class's best. 8 did best or tied on all three real sets (see
# docs/forecasting.md), chosen on a subsample with origins before the bench's.
POWER = 8.0
# Weights below this are dropped (and the rest renormalised): a candidate that contributes
# under 1 % need not be fitted for the final forecast, which keeps AutoETS/Theta off most
# series where they do not help.
MIN_WEIGHT = 0.01
PROFILE_SUFFIX = "*profile"


def season_position(ds: pd.Series, freq: str, season_length: int) -> np.ndarray:
    """Position of each date in the season: 0 .. ``season_length`` − 1, calendar-aligned.

    Monthly data counts months (so with a season of 12 the position is the calendar
    month); other frequencies count whole periods since the epoch (daily data with a season
    of 7: the weekday, Thursday = 0).
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(ds))
    offset = pd.tseries.frequencies.to_offset(freq)
    if offset.name.startswith("M"):
        periods = stamps.year.to_numpy() * 12 + stamps.month.to_numpy() - 1
    else:
        step = pd.Timedelta(offset).value
        periods = stamps.asi8 // step
    return np.asarray(periods % season_length, dtype=np.int64)


def pooled_profile(
    train: pd.DataFrame, freq: str, season_length: int
) -> np.ndarray:
    """Demand share of each season position over all series, scaled to mean 1.

    ``train`` has ``ds, y``. Returns ``season_length`` factors (all 1 without demand).
    """
    if season_length < 2 or train.empty:
        return np.ones(max(season_length, 1))
    position = season_position(train["ds"], freq, season_length)
    totals = np.bincount(
        position, weights=train["y"].to_numpy(dtype=float), minlength=season_length
    )
    # Normalise by how often each position occurs, so a short window that holds one
    # Monday more than Sundays does not read as a Monday peak.
    counts = np.bincount(position, minlength=season_length).astype(float)
    rate = np.divide(totals, counts, out=np.zeros(season_length), where=counts > 0)
    if rate.sum() <= 0:
        return np.ones(season_length)
    return rate / rate.mean()


def apply_profile(
    level: np.ndarray, ds: pd.Series, profile: np.ndarray, freq: str
) -> np.ndarray:
    """``level`` (a flat forecast per row) times the profile factor of each row's date."""
    return level * profile[season_position(ds, freq, len(profile))]


def class_weights(
    scaled_mse: pd.DataFrame, demand_class: pd.Series, power: float = POWER
) -> pd.DataFrame:
    """Per series (index) and candidate (columns), weights summing to 1 per row.

    ``scaled_mse``: each series' backtest MSE per candidate divided by its scale (NaN where
    the scale is zero, +inf where a candidate failed). ``demand_class``: the class of each
    series (same index). All series of a class get the class's weights: ``1 / e**power``
    with ``e`` the class mean of ``scaled_mse`` over series with finite errors for every
    candidate. A class without such a series gets equal weights; a candidate that failed on
    every series gets none; weights under :data:`MIN_WEIGHT` are dropped.
    """
    names = list(scaled_mse.columns)
    weights = pd.DataFrame(np.nan, index=scaled_mse.index, columns=names)
    for _cls, members in scaled_mse.groupby(demand_class.reindex(scaled_mse.index)):
        finite = members.loc[np.isfinite(members.to_numpy()).all(axis=1)]
        if finite.empty:
            failed = np.isinf(members.to_numpy()).all(axis=0)
            row = np.where(failed, 0.0, 1.0)
        else:
            mean = finite.mean().to_numpy()
            best = mean.min()
            # Relative to the best, so the power cannot overflow or underflow to all-zero.
            row = np.ones(len(names)) if best <= 0 else (best / mean) ** power
        if row.sum() <= 0:
            row = np.ones(len(names))
        row = row / row.sum()
        row = np.where(row < MIN_WEIGHT, 0.0, row)
        weights.loc[members.index] = row / row.sum()
    return weights


def combine(predictions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted mean of ``predictions`` (rows × candidates), NaNs left out.

    A NaN prediction (a candidate that failed for that series) drops out and the other
    weights are renormalised; a row with no usable prediction is NaN.
    """
    usable = ~np.isnan(predictions)
    w = np.where(usable, weights, 0.0)
    total = w.sum(axis=1)
    values = np.where(usable, predictions, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (values * w).sum(axis=1) / total, np.nan)


def stacked_weights(
    predictions: np.ndarray, y: np.ndarray, scale: np.ndarray
) -> np.ndarray | None:
    """Convex weights (>= 0, sum 1) minimising the pooled scaled squared backtest error.

    ``predictions``: backtest rows × candidates; ``y`` the actuals; ``scale`` each row's
    series' one-step naive MSE. Rows with a NaN prediction or no scale are left out;
    None when no row is left.
    """
    ok = np.isfinite(predictions).all(axis=1) & np.isfinite(scale) & (scale > 0)
    if not ok.any():
        return None
    root = 1.0 / np.sqrt(scale[ok])
    a = predictions[ok] * root[:, None]
    b = y[ok] * root
    gram = a.T @ a
    rhs = a.T @ b
    # Sum-to-one as a heavily weighted extra equation on the normal equations' factor.
    k = gram.shape[0]
    big = 1e3 * (np.trace(gram) / k + 1.0)
    lower = np.linalg.cholesky(gram + 1e-9 * np.trace(gram) / k * np.eye(k))
    target = np.linalg.solve(lower, rhs)
    system = np.vstack([lower.T, np.full((1, k), np.sqrt(big))])
    goal = np.concatenate([target, [np.sqrt(big)]])
    w, _ = nnls(system, goal)
    if w.sum() <= 0:
        return None
    w = w / w.sum()
    w = np.where(w < MIN_WEIGHT, 0.0, w)
    return w / w.sum()


# Shrinkage toward the global model tried by the nested backtest (0 = the stacked weights).
SHRINK_STEPS = (0.0, 0.25, 0.5, 0.75, 1.0)


def mean_rmsse(
    predictions: np.ndarray, y: np.ndarray, scale: np.ndarray, series: np.ndarray,
    weights: np.ndarray,
) -> float:
    """Mean over series of the RMSSE of ``predictions @ weights`` (rows as in
    :func:`stacked_weights`; rows with a NaN prediction or no scale left out; NaN if none)."""
    ok = np.isfinite(predictions).all(axis=1) & np.isfinite(scale) & (scale > 0)
    if not ok.any():
        return float("nan")
    codes, _ = pd.factorize(series[ok])
    e2 = (predictions[ok] @ weights - y[ok]) ** 2 / scale[ok]
    per_series = np.bincount(codes, weights=e2) / np.bincount(codes)
    return float(np.sqrt(per_series).mean())


def shrunk_weights(
    predictions: np.ndarray,
    y: np.ndarray,
    scale: np.ndarray,
    series: np.ndarray,
    cutoffs: np.ndarray,
    toward: int,
) -> tuple[np.ndarray, float] | None:
    """:func:`stacked_weights` shrunk toward candidate ``toward`` (a column index), by the
    amount a nested backtest chooses; returns ``(weights, amount)``, None as
    :func:`stacked_weights`.

    Nested, each backtest window held out once: the weights are fitted on the other
    windows, each amount of :data:`SHRINK_STEPS` mixes them with ``toward`` alone and the mix
    is scored by its mean per-series RMSSE (the metric the real sets are scored by) on the
    held-out window. An amount below 1 (some weight left on the other candidates) is only
    taken where it scored lower than ``toward`` alone in *every* held-out window; among
    those, the one with the lowest sum of scores (ties: the smaller amount) is applied to
    the weights fitted on all windows. Otherwise — and where no window can be held out and
    scored (one window, or a candidate missing in every window but one) — ``toward`` alone.
    """
    full = stacked_weights(predictions, y, scale)
    if full is None:
        return None
    one = np.zeros(predictions.shape[1])
    one[toward] = 1.0
    # Every window held out once, not only the last: measured on the monthly sets, carparts
    # 0.6794 -> 0.6792, RAF 0.6747 -> 0.6744 (docs/forecasting.md).
    scores = []
    for held_out in np.unique(cutoffs):
        rest = cutoffs != held_out
        fitted = stacked_weights(predictions[rest], y[rest], scale[rest]) if rest.any() else None
        if fitted is None:
            continue
        out = ~rest
        window = np.array([
            mean_rmsse(predictions[out], y[out], scale[out], series[out],
                       (1 - a) * fitted + a * one)
            for a in SHRINK_STEPS
        ])
        if np.isfinite(window).all():
            scores.append(window)
    amount = 1.0
    if scores:
        # Keep weight on the other candidates only where every held-out window agrees: by
        # the lowest sum alone RAF's intermittent class kept ¼ on the level models at every
        # origin and lost at the last (carparts 0.6792 -> 0.6790, RAF 0.6744 -> 0.6741,
        # LightGBM 0.6790 / 0.6742; docs/forecasting.md).
        table = np.array(scores)
        beats = (table < table[:, [-1]]).all(axis=0)
        if beats.any():
            amount = SHRINK_STEPS[int(np.argmin(np.where(beats, table.sum(axis=0), np.inf)))]
    w = (1 - amount) * full + amount * one
    w = np.where(w < MIN_WEIGHT, 0.0, w)
    return w / w.sum(), amount
