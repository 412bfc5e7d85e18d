"""What a series' stored backtest scores say to the buyer: the verdict and the percentage."""
from __future__ import annotations

import pytest

from app.planning.accuracy import NETWORK_ONLY, NO_FORECAST, SeriesAccuracy, Verdict, naive_kind


@pytest.mark.parametrize(("model", "rmsse", "naive", "mase", "mase_naive", "verdict", "percent"), [
    ("Combination", 0.41, 0.50, None, None, Verdict.BETTER, 18),
    ("Combination", 0.499, 0.50, None, None, Verdict.BETTER, 0),  # worded "less than 1 % below"
    ("SeasonalNaive", 0.70, 0.70, 0.6, 0.6, Verdict.PLANNED_ON_NAIVE, 0),
    ("Combination", 0.84, 0.80, None, None, Verdict.NO_BETTER, 5),
    ("Combination", 0.50, 0.50, None, None, Verdict.NO_BETTER, 0),  # a tie is no better
    ("Combination", None, None, 0.45, 0.50, Verdict.BETTER, 10),  # MASE when RMSSE is missing
    ("Combination", 0.40, 0.0, None, None, Verdict.NOT_COMPARABLE, None),  # the naive has no scale
    ("Combination", None, None, None, None, Verdict.NOT_COMPARABLE, None),
    ("HistoricAverage", None, None, None, None, Verdict.TOO_SHORT, None),
])
def test_verdict_and_percent_follow_the_stored_scores(model: str, rmsse: float | None, naive: float | None,
                                                      mase: float | None, mase_naive: float | None,
                                                      verdict: Verdict, percent: int | None) -> None:
    scores = SeriesAccuracy(1, model, "smooth", rmsse, naive, mase, mase_naive)
    assert (scores.verdict, scores.percent) == (verdict, percent)


def test_no_series_is_no_forecast_or_planned_from_the_warehouses_supplied() -> None:
    assert NO_FORECAST.verdict is Verdict.NO_FORECAST and NO_FORECAST.ratio is None
    assert NETWORK_ONLY.verdict is Verdict.SUPPLIES_OTHERS


@pytest.mark.parametrize(("season", "freq", "kind"), [
    (7, "D", "last_week"), (12, "MS", "last_year_month"), (52, "W", "last_year_week"), (1, "D", "last_period"),
    (24, "h", "last_season"),
])
def test_the_naive_is_named_for_the_series_season(season: int, freq: str, kind: str) -> None:
    assert naive_kind(season, freq) == kind


def test_the_app_runs_daily_with_a_weekly_season() -> None:
    assert naive_kind() == "last_week"
