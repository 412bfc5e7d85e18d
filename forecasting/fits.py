"""One batch's model fits, and the run-wide assembly of the final forecasts.

A batch task (:class:`BatchTask`, run on a pool worker or in process) does everything that
costs CPU: the backtest and the forecast of every candidate a series may use, in the same
statsforecast calls (:func:`forecasting.select.backtest_rows` with ``final=True``: one
cross-validation window more, over the horizon past the data). The level models and the
seasonal naive are refitted per window, so their forecast is a fit on the last 52 seasons;
AutoETS and DynamicOptimizedTheta are fitted once per series, at the first backtest window,
and rolled forward (``forward``: the same parameters, states run over the newer data)
through the later windows *and* to the forecast — the way they were backtested — instead
of being fitted a second time on the latest data (their two fits were ~90 % of a batch's
CPU time; one fit and a forward cut it by ~40 %). Nothing in the task depends
on other series, so the pooled pieces — the seasonal profile and the class weights — are
computed once over the whole run by :func:`assemble`, and batching cannot change a forecast.

Intervals: split-conformal from each series' own backtest — the ``level``% interval is
``yhat ± λ·q``, ``q`` the ``ceil((n+1)·level/100)``-th smallest of the used forecast's ``n``
absolute backtest errors (all windows and horizon steps pooled, so the width is constant
over the horizon), clipped at zero. ``λ >= 1``, one per level for the whole run, corrects
for drift: plain conformal assumes the future errors look like the past ones, and on Online
Retail's run-up to Christmas they did not (80 % intervals covered 73 %). So ``q`` is also
computed from all windows but the last, and ``λ`` is the factor that makes those
intervals cover ``level``% of the last window's points, pooled over all series
(:func:`drift_factors`) — measured on data before the forecast origin only. Intervals nest
(a wider level is never narrower). Series too short to backtest use HistoricAverage's own
normal intervals, times the profile.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting import global_model, models
from forecasting.combine import combine
from forecasting.engine import run_statsforecast
from forecasting.models import (
    BASELINE_MODEL,
    COMBINATION_MODEL,
    LEVEL_MODELS,
    REFIT_MODELS,
    SEASONAL_MODELS,
    SHORT_SERIES_MODEL,
    build_model,
    max_train_length,
    profiled_name,
)
from forecasting.select import (
    Backtest,
    BacktestRows,
    add_profiled,
    backtest_rows,
    candidates,
)

# The drift correction never more than doubles an interval: beyond that the last window
# is more likely an outlier than a trend.
MAX_DRIFT = 2.0


@dataclass(frozen=True)
class BatchFits:
    """A batch's backtest rows and final fits: ``raw`` has ``unique_id, ds`` and one column
    per statsforecast candidate (NaN where not fitted); ``short`` the short series'
    HistoricAverage forecasts in output layout."""

    rows: BacktestRows
    raw: pd.DataFrame
    short: pd.DataFrame


def interval_columns(level: tuple[int, ...] | list[int]) -> list[str]:
    """Output interval columns, e.g. ``yhat_lo_80, yhat_hi_80, yhat_lo_95, yhat_hi_95``."""
    return [f"yhat_{side}_{lv}" for lv in level for side in ("lo", "hi")]


@dataclass(frozen=True)
class BatchTask:
    """The settings every batch is run with (picklable: sent to the pool's workers)."""

    horizon: int
    freq: str
    levels: tuple[int, ...]
    season_length: int
    n_windows: int
    engine: str
    n_jobs: int

    def __call__(self, filled: pd.DataFrame) -> BatchFits:
        rows = backtest_rows(
            filled,
            self.horizon,
            freq=self.freq,
            season_length=self.season_length,
            n_windows=self.n_windows,
            engine=self.engine,
            n_jobs=self.n_jobs,
            final=True,
        )
        recent = filled.groupby("unique_id", sort=False).tail(
            max_train_length(self.season_length)
        )
        classes = rows.classes.set_index("unique_id")
        tested = classes.index[classes["long_enough"]]
        fitted = [*REFIT_MODELS, *SEASONAL_MODELS, *models.weekly_models(self.freq)]
        raw = pd.DataFrame(columns=["unique_id", "ds", *fitted])
        if len(tested) and rows.final is not None:
            raw = rows.final.loc[:, ["unique_id", "ds", *fitted]]
            if models.global_models(self.freq):
                pooled = global_model.forecast(
                    recent.loc[recent["unique_id"].isin(tested)], self.horizon, self.freq
                )
                raw = raw.merge(pooled, on=["unique_id", "ds"], how="left")
        short_ids = classes.index[~classes["long_enough"]]
        short = pd.DataFrame()
        if len(short_ids):
            fitted = run_statsforecast(
                "forecast",
                recent.loc[recent["unique_id"].isin(short_ids)],
                [build_model(SHORT_SERIES_MODEL, self.season_length)],
                freq=self.freq,
                fallback=None,  # SeasonalNaive needs a full season, which these lack.
                engine=self.engine,
                n_jobs=self.n_jobs,
                h=self.horizon,
                level=list(self.levels) if self.levels else None,
            )
            short = _standardise_short(fitted, self.levels)
        return BatchFits(rows=dataclasses.replace(rows, final=None), raw=raw, short=short)


def _standardise_short(raw: pd.DataFrame, levels: tuple[int, ...]) -> pd.DataFrame:
    name = SHORT_SERIES_MODEL
    frame = pd.DataFrame(
        {"unique_id": raw["unique_id"], "ds": raw["ds"], "yhat": raw[name]}
    )
    for lv in levels:
        for side in ("lo", "hi"):
            source = f"{name}-{side}-{lv}"
            frame[f"yhat_{side}_{lv}"] = raw.get(source, np.nan)
    frame["model"] = name
    return frame


def assemble(
    raw: pd.DataFrame,
    short: pd.DataFrame,
    backtest: Backtest,
    filled: pd.DataFrame,
    freq: str,
    levels: tuple[int, ...],
    season_length: int,
) -> pd.DataFrame:
    """Final forecasts in output layout from every batch's fits and the run's choice."""
    parts = [_profiled_short(short, filled, freq, levels, season_length)] if not short.empty else []
    if not raw.empty:
        raw = add_profiled(raw, filled, freq, season_length)
        names = list(candidates(freq))
        row_weights = backtest.weights.reindex(raw["unique_id"]).to_numpy(dtype=float)
        combined = combine(raw[names].to_numpy(dtype=float), np.nan_to_num(row_weights))
        model = raw["unique_id"].map(backtest.selection.set_index("unique_id")["model"])
        naive = (model != COMBINATION_MODEL).to_numpy()
        frame = raw[["unique_id", "ds"]].assign(
            yhat=np.where(naive, raw[BASELINE_MODEL].to_numpy(), combined),
            model=np.where(naive, BASELINE_MODEL, COMBINATION_MODEL),
        )
        for column in interval_columns(levels):
            frame[column] = np.nan
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True)
    conformal = conformal_widths(backtest.errors, levels)
    previous: pd.Series | float = 0.0
    for lv in levels:
        width = frame["unique_id"].map(conformal[lv]) if not conformal.empty else np.nan
        width = np.maximum(width, previous)  # nested: never narrower than a lower level
        previous = width
        lo, hi = f"yhat_lo_{lv}", f"yhat_hi_{lv}"
        frame[lo] = frame[lo].fillna(frame["yhat"] - width)
        frame[hi] = frame[hi].fillna(frame["yhat"] + width)
        # One-point series have no spread at all: a zero-width interval, not NaN.
        frame[lo] = frame[lo].fillna(frame["yhat"])
        frame[hi] = frame[hi].fillna(frame["yhat"])
    columns = ["unique_id", "ds", "yhat", *interval_columns(levels), "model"]
    return (
        frame.loc[:, columns]
        .sort_values(["unique_id", "ds"], kind="stable")
        .reset_index(drop=True)
    )


def _profiled_short(
    short: pd.DataFrame,
    filled: pd.DataFrame,
    freq: str,
    levels: tuple[int, ...],
    season_length: int,
) -> pd.DataFrame:
    """HistoricAverage is a flat level too: spread it (and its bounds) by the profile."""
    columns = ["yhat", *interval_columns(levels)]
    factor = add_profiled(
        short[["unique_id", "ds"]].assign(**{m: 1.0 for m in LEVEL_MODELS}),
        filled, freq, season_length,
    )[profiled_name(LEVEL_MODELS[0])].to_numpy()
    out = short.copy()
    out[columns] = out[columns].mul(factor, axis=0)
    return out


def _quantiles(abs_errors: pd.DataFrame, level: int) -> pd.Series:
    """Per series the ``ceil((n+1)·level/100)``-th smallest absolute error (capped at n)."""
    ordered = abs_errors.sort_values(["unique_id", "abs_error"], kind="stable")
    ranks = ordered.groupby("unique_id").cumcount() + 1  # 1-based order statistic
    counts = ordered.groupby("unique_id")["abs_error"].transform("size")
    wanted = np.minimum(np.ceil((counts + 1) * level / 100), counts)
    return ordered.loc[ranks == wanted].set_index("unique_id")["abs_error"]


def drift_factors(errors: pd.DataFrame, levels: tuple[int, ...]) -> dict[int, float]:
    """Per level, λ >= 1 that makes earlier-window intervals cover the last window (doc).

    ``errors``: ``unique_id, cutoff, abs_error``. With a single window there is nothing to
    check against: λ = 1. λ does not decrease with the level.
    """
    last = errors["cutoff"].max()
    earlier, latest = errors.loc[errors["cutoff"] < last], errors.loc[errors["cutoff"] == last]
    if earlier.empty or latest.empty:
        return dict.fromkeys(levels, 1.0)
    factors = {}
    for lv in levels:
        q = latest["unique_id"].map(_quantiles(earlier, lv)).to_numpy()
        e = latest["abs_error"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            # covered iff |e| <= λ·q (also with the lower bound clipped at zero)
            ratio = np.where(q > 0, e / q, np.where(e > 0, np.inf, 0.0))
        ratio = ratio[~np.isnan(ratio)]
        needed = float(np.quantile(ratio, lv / 100)) if len(ratio) else 1.0
        factors[lv] = min(max(1.0, needed), MAX_DRIFT) if np.isfinite(needed) else MAX_DRIFT
    # Never smaller for a wider level: with few series the last window's quantiles are
    # noisy, and a 80 % factor above the 95 % one made both intervals the same width.
    for lower, higher in zip(sorted(factors), sorted(factors)[1:], strict=False):
        factors[higher] = max(factors[higher], factors[lower])
    return factors


def conformal_widths(errors: pd.DataFrame, levels: tuple[int, ...]) -> pd.DataFrame:
    """Per series (index) and level (columns), the interval half-width ``λ·q`` (module doc)."""
    if errors.empty:
        return pd.DataFrame()
    factors = drift_factors(errors, levels)
    return pd.DataFrame({lv: _quantiles(errors, lv) * factors[lv] for lv in levels})
