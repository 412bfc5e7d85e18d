"""The candidate models, the baseline and the fallbacks — the one place that lists them.

Every backtested series gets the level models (:data:`LEVEL_MODELS`: CrostonOptimized,
ADIDA, IMAPA, TSB(0.2, 0.2), WindowAverage) and SeasonalNaive; smooth and erratic series
(Syntetos–Boylan) also get :data:`SEASONAL_MODELS` (AutoETS, DynamicOptimizedTheta); on
monthly data every backtested series also gets the global LightGBM model
(:data:`GLOBAL_MODELS`, :mod:`forecasting.global_model`); on daily data every backtested
series also gets IMAPA and simple exponential smoothing fitted on weekly totals
(:data:`WEEKLY_MODELS`, :mod:`forecasting.weekly`; only × the profile). Each
level model also competes with the pooled seasonal profile applied (``ADIDA*profile``, see
:mod:`forecasting.combine`). :mod:`forecasting.select` combines them; SeasonalNaive is the
baseline every series is checked against. Series too short to backtest get :data:`SHORT_SERIES_MODEL` (the mean of
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
    WindowAverage,
)

from forecasting.history import DemandClass

BASELINE_MODEL = "SeasonalNaive"
SHORT_SERIES_MODEL = "HistoricAverage"
COMBINATION_MODEL = "Combination"
# Flat-level models: the pooled seasonal profile may be applied to their forecasts.
LEVEL_MODELS = ("CrostonOptimized", "ADIDA", "IMAPA", "TSB", "WindowAverage")
# Refitted every backtest window (no ``forward`` in statsforecast; cheap): every series.
REFIT_MODELS = (*LEVEL_MODELS, BASELINE_MODEL)
# Fitted once and rolled forward over the windows: smooth and erratic series only.
SEASONAL_MODELS = ("AutoETS", "DynamicOptimizedTheta")
# One model fitted across all series of a batch (forecasting.global_model), every series,
# by frequency family ("M": monthly, "D": daily, ...; see :func:`global_models`). On for
# monthly data: the best single method on both monthly real sets, and a fit is cheap there.
# Off for daily data: worse than the profiled level models on Online Retail alone and
# 4-8 ms CPU a series per fit (4 fits per batch: 3 cutoffs + final), see docs/forecasting.md.
GLOBAL_MODELS: dict[str, tuple[str, ...]] = {"M": ("LightGBM",)}
# Level models fitted on 7-day totals (forecasting.weekly), by frequency family like
# GLOBAL_MODELS; only their profiled twins are candidates. Daily data only: summed into
# weeks a lumpy daily series is far less intermittent (Online Retail, docs/forecasting.md).
WEEKLY_MODELS: dict[str, tuple[str, ...]] = {"D": ("IMAPA(week)", "SES(week)")}
INTERMITTENT_MODELS = REFIT_MODELS
SMOOTH_MODELS = (*SEASONAL_MODELS, *REFIT_MODELS)

# Fit on at most the last 52 seasons (364 days for daily data). ETS/Theta cost grows with
# length and a year of daily history pins down a weekly pattern; yearly peaks are events.
TRAIN_SEASONS = 52


def frequency_family(freq: str) -> str:
    """``"M"`` for any monthly offset (``MS``, ``ME``, ``M``), else the offset's name."""
    import pandas as pd

    name = str(pd.tseries.frequencies.to_offset(freq).name)
    return "M" if name.startswith("M") else name


def global_models(freq: str) -> tuple[str, ...]:
    """The global models fitted for data of frequency ``freq`` (:data:`GLOBAL_MODELS`)."""
    return GLOBAL_MODELS.get(frequency_family(freq), ())


def weekly_models(freq: str) -> tuple[str, ...]:
    """The weekly level models fitted for data of frequency ``freq`` (:data:`WEEKLY_MODELS`)."""
    return WEEKLY_MODELS.get(frequency_family(freq), ())


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
    if name == "WindowAverage":
        return WindowAverage(window_size=window_size(season_length), alias=name)
    if name == SHORT_SERIES_MODEL:
        return HistoricAverage(alias=name)
    raise ValueError(f"unknown model name {name!r}")


def window_size(season_length: int) -> int:
    """WindowAverage's window: whole seasons covering about four weeks (28 days; 12 months)."""
    return season_length * max(1, 28 // season_length)


def candidate_names(demand_class: DemandClass | str) -> tuple[str, ...]:
    """Model names that are fitted for a series of this class (profiled variants aside)."""
    if DemandClass(demand_class) in (DemandClass.SMOOTH, DemandClass.ERRATIC):
        return SMOOTH_MODELS
    return INTERMITTENT_MODELS


def profiled_name(name: str) -> str:
    """Name of the candidate ``name`` × the pooled seasonal profile (``ADIDA*profile``)."""
    return f"{name}*profile"


def fallback_model(season_length: int) -> Any:
    """Model statsforecast uses in place of one that raises (needs ``season_length`` points)."""
    return SeasonalNaive(season_length=season_length, alias=BASELINE_MODEL)


def min_backtest_length(horizon: int, n_windows: int, season_length: int) -> int:
    """Fewest periods a series needs to be backtested: one season of training + the windows.

    One season is what SeasonalNaive needs; a model that cannot fit on so little is replaced
    by the fallback in that window. (Two seasons left carparts' 51 months too short for a
    6-month horizon at any origin before the last.)
    """
    return n_windows * horizon + season_length


def max_train_length(season_length: int) -> int:
    """Most recent periods used to fit a model (see :data:`TRAIN_SEASONS`)."""
    return TRAIN_SEASONS * season_length
