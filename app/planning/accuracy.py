"""How good a run's forecasts were in their backtest, against repeating the last season.

Every series of a run stores the backtest RMSSE and MASE of the forecast it planned on, and
the seasonal naive's ("repeat last week's sales" for the daily runs of this app) on the same
windows and scale (:class:`app.planning.models.ForecastSeries`). The buyer-facing figure is
the **ratio** ``rmsse / rmsse_seasonal_naive`` (RMSSE is what model selection ranks by):
below 1 the forecast's error was that much smaller than the naive's; at 1 or above it was
no better. Nothing is recomputed here: this reads what the run stored, so the words match
what the plan really used (the model column says ``SeasonalNaive`` where the run planned on
the naive).

Read-only; a fixed number of queries per call whatever the number of rows.
"""
from __future__ import annotations

import enum
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.planning.demand_figures import _suppliers_of as suppliers_of  # the one network rule
from app.planning.models import ForecastRun, ForecastSeries, ReplenishmentSuggestion, RunStatus
from app.stock.models import Warehouse
from forecasting.batch import BatchSpec
from forecasting.models import BASELINE_MODEL, SHORT_SERIES_MODEL

# The app forecasts daily demand with the batch spec's season (7: a week); the words for the
# naive follow from it (see :func:`naive_kind`).
SEASON_LENGTH: int = BatchSpec.season_length
FREQUENCY = "D"
DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy")


class Verdict(enum.StrEnum):
    BETTER = "better"  # backtest error below the seasonal naive's
    PLANNED_ON_NAIVE = "naive"  # no better than the naive: the run planned on the naive
    NO_BETTER = "no_better"  # no better than the naive, yet the run kept its own forecast
    TOO_SHORT = "too_short"  # too little history to backtest (planned on the average so far)
    NOT_COMPARABLE = "not_comparable"  # scored, but the naive has no error scale (no change week to week)
    SUPPLIES_OTHERS = "supplies_others"  # no demand of its own: planned from the warehouses it supplies
    NO_FORECAST = "no_forecast"  # no succeeded run has a series for this SKU × warehouse


def naive_kind(season_length: int = SEASON_LENGTH, freq: str = FREQUENCY) -> str:
    """Which "repeat the last season" the series was measured against, as a code the UI words:
    ``last_week`` (daily data, season 7), ``last_year_month`` (monthly, 12),
    ``last_year_week`` (weekly, 52), ``last_period`` (season 1), else ``last_season``."""
    if freq == "D" and season_length == 7:
        return "last_week"
    if freq.startswith("M") and season_length == 12:
        return "last_year_month"
    if freq.startswith("W") and season_length == 52:
        return "last_year_week"
    return "last_period" if season_length == 1 else "last_season"


@dataclass(frozen=True)
class SeriesAccuracy:
    """One SKU × warehouse's stored backtest scores in one run (all None: not backtested)."""

    run_id: int | None
    model: str | None
    demand_class: str | None
    rmsse: float | None = None
    rmsse_seasonal_naive: float | None = None
    mase: float | None = None
    mase_seasonal_naive: float | None = None
    supplies_others: bool = False  # no series here, but the warehouses this one supplies have one

    @property
    def ratio(self) -> float | None:
        """The forecast's backtest RMSSE ÷ the seasonal naive's (MASE when RMSSE is missing)."""
        for ours, naive in ((self.rmsse, self.rmsse_seasonal_naive), (self.mase, self.mase_seasonal_naive)):
            if ours is not None and naive:
                return ours / naive
        return None

    @property
    def verdict(self) -> Verdict:
        if self.run_id is None or self.model is None:
            return Verdict.SUPPLIES_OTHERS if self.supplies_others else Verdict.NO_FORECAST
        if self.model == BASELINE_MODEL:
            return Verdict.PLANNED_ON_NAIVE
        ratio = self.ratio
        if ratio is None:
            # too short to backtest, or the naive has no scale (no week-to-week change: no score at all)
            return Verdict.TOO_SHORT if self.model == SHORT_SERIES_MODEL else Verdict.NOT_COMPARABLE
        return Verdict.BETTER if ratio < 1 else Verdict.NO_BETTER

    @property
    def percent(self) -> int | None:
        """|1 − ratio| in whole percent: how much below (better) or above (worse) the naive."""
        ratio = self.ratio
        return None if ratio is None else round(abs(1 - ratio) * 100)


NO_FORECAST = SeriesAccuracy(None, None, None)
NETWORK_ONLY = SeriesAccuracy(None, None, None, supplies_others=True)


def of_series(series: ForecastSeries | None) -> SeriesAccuracy:
    """The stored scores of one series row; :data:`NO_FORECAST` without one."""
    if series is None:
        return NO_FORECAST
    return SeriesAccuracy(series.run_id, series.model, series.demand_class, series.rmsse,
                          series.rmsse_seasonal_naive, series.mase, series.mase_seasonal_naive)


def latest_for_product(session: Session, *, product_id: int) -> dict[int, SeriesAccuracy]:
    """``{warehouse id: accuracy}`` of one product from the latest succeeded run that has a
    series for it in that warehouse; a cloud warehouse without demand of its own that supplies
    a warehouse with a series gets :data:`NETWORK_ONLY` (2 queries)."""
    latest = (
        select(ForecastSeries.warehouse_id, func.max(ForecastSeries.run_id).label("run_id"))
        .join(ForecastRun, ForecastRun.id == ForecastSeries.run_id)
        .where(ForecastSeries.product_id == product_id, ForecastRun.status == RunStatus.SUCCEEDED.value)
        .group_by(ForecastSeries.warehouse_id).subquery())
    rows = session.scalars(
        select(ForecastSeries).join(latest, (latest.c.warehouse_id == ForecastSeries.warehouse_id)
                                    & (latest.c.run_id == ForecastSeries.run_id))
        .where(ForecastSeries.product_id == product_id))
    found = {s.warehouse_id: of_series(s) for s in rows}
    if found:
        source_of, _clouds = suppliers_of(session)
        for warehouse_id in list(found):
            cloud = source_of.get(warehouse_id)
            if cloud is not None and cloud not in found:
                found[cloud] = NETWORK_ONLY
    return found


@dataclass(frozen=True)
class PlannedFrom:
    """A series a suggestion was planned from: its own warehouse's (``warehouse_code`` None) or,
    for a warehouse that supplies others, one of theirs (network demand)."""

    warehouse_code: str | None
    accuracy: SeriesAccuracy


def for_suggestions(session: Session, suggestions: Iterable[ReplenishmentSuggestion]) -> dict[int, list[PlannedFrom]]:
    """``{suggestion id: the series it was planned from}``, from the suggestion's own run: its
    own warehouse's series first, then those of the warehouses it supplies (a cloud plans for
    the network), by code; ``[PlannedFrom(None, NO_FORECAST)]`` where the run kept none (2 queries)."""
    wanted = list(suggestions)
    if not wanted:
        return {}
    found: dict[tuple[int, int], list[tuple[int, str, SeriesAccuracy]]] = {}
    for series, code in session.execute(
            select(ForecastSeries, Warehouse.code).join(Warehouse, Warehouse.id == ForecastSeries.warehouse_id)
            .where(ForecastSeries.run_id.in_({s.run_id for s in wanted}),
                   ForecastSeries.product_id.in_({s.product_id for s in wanted}))):
        found.setdefault((series.run_id, series.product_id), []).append((series.warehouse_id, code, of_series(series)))
    source_of, _clouds = suppliers_of(session)
    out: dict[int, list[PlannedFrom]] = {}
    for s in wanted:
        rows = found.get((s.run_id, s.product_id), [])
        own = [PlannedFrom(None, acc) for wid, _code, acc in rows if wid == s.warehouse_id]
        others = sorted((PlannedFrom(code, acc) for wid, code, acc in rows
                         if wid != s.warehouse_id and source_of.get(wid) == s.warehouse_id),
                        key=lambda p: p.warehouse_code or "")
        out[s.id] = own + others or [PlannedFrom(None, NO_FORECAST)]
    return out


@dataclass(frozen=True)
class ModelShare:
    model: str
    series: int
    share: float  # of the run's series, 0..1


@dataclass(frozen=True)
class ClassAccuracy:
    """Backtest accuracy of one demand class of a run (``demand_class`` None: all series)."""

    demand_class: str | None
    series: int
    scored: int  # series with a ratio to the naive
    mean_ratio: float | None
    median_ratio: float | None
    better: int  # scored series whose error was below the naive's
    planned_on_naive: int

    @property
    def better_share(self) -> float | None:
        return self.better / self.scored if self.scored else None


@dataclass(frozen=True)
class RunAccuracy:
    mix: list[ModelShare]
    classes: list[ClassAccuracy]
    overall: ClassAccuracy
    season: str  # :func:`naive_kind`


def _summary(demand_class: str | None, rows: list[tuple[str, float | None]]) -> ClassAccuracy:
    ratios = [r for _model, r in rows if r is not None]
    return ClassAccuracy(
        demand_class, len(rows), len(ratios), statistics.fmean(ratios) if ratios else None,
        statistics.median(ratios) if ratios else None, sum(1 for r in ratios if r < 1),
        sum(1 for model, _r in rows if model == BASELINE_MODEL))


def run_accuracy(session: Session, run_id: int) -> RunAccuracy:
    """Model mix and, per demand class and overall, the mean and median per-series ratio to the
    seasonal naive, how many series were scored and how many beat it (1 query)."""
    ratio = ForecastSeries.rmsse / func.nullif(ForecastSeries.rmsse_seasonal_naive, 0)
    rows = session.execute(
        select(ForecastSeries.demand_class, ForecastSeries.model, ratio).where(ForecastSeries.run_id == run_id)).all()
    per_class: dict[str, list[tuple[str, float | None]]] = {}
    models: dict[str, int] = {}
    for demand_class, model, value in rows:
        per_class.setdefault(demand_class, []).append((model, None if value is None else float(value)))
        models[model] = models.get(model, 0) + 1
    total = len(rows)
    mix = [ModelShare(m, n, n / total) for m, n in sorted(models.items(), key=lambda kv: (-kv[1], kv[0]))]
    order = {c: i for i, c in enumerate(DEMAND_CLASSES)}
    classes = [_summary(c, per_class[c]) for c in sorted(per_class, key=lambda c: (order.get(c, len(order)), c))]
    return RunAccuracy(mix, classes, _summary(None, [r for part in per_class.values() for r in part]), naive_kind())

