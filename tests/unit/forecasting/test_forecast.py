import numpy as np
import pandas as pd
import pytest

from forecasting import forecast, promotion_days, run_forecast, select_models
from forecasting.models import BASELINE_MODEL, COMBINATION_MODEL, SHORT_SERIES_MODEL
from forecasting.select import group_candidates

DAYS = pd.date_range(
    "2024-01-01", periods=196, freq="D"
)  # 28 weeks, starts on a Monday


def weekly_series(uid="weekly", seed=0, days=DAYS):
    rng = np.random.default_rng(seed)
    weekend = days.dayofweek >= 5
    y = np.where(weekend, 40.0, 20.0) + rng.normal(0, 1.5, len(days))
    return pd.DataFrame({"unique_id": uid, "ds": days, "y": y.clip(0)})


def intermittent_series(uid="slow", seed=1, days=DAYS, p=0.12):
    rng = np.random.default_rng(seed)
    y = (rng.random(len(days)) < p) * rng.integers(1, 4, len(days))
    return pd.DataFrame({"unique_id": uid, "ds": days, "y": y.astype(float)})


@pytest.fixture(scope="module")
def mixed():
    history = pd.concat([weekly_series(), intermittent_series()], ignore_index=True)
    return run_forecast(history, 14, n_jobs=1)


def test_weekly_pattern_is_recovered_with_weekend_peaks_above_weekday_troughs(mixed):
    rows = mixed.forecasts.loc[mixed.forecasts["unique_id"] == "weekly"]
    weekend = rows.loc[rows["ds"].dt.dayofweek >= 5, "yhat"]
    weekday = rows.loc[rows["ds"].dt.dayofweek < 5, "yhat"]
    assert weekend.min() > weekday.max()
    assert weekend.mean() == pytest.approx(40, abs=4)
    assert weekday.mean() == pytest.approx(20, abs=3)


def test_smooth_series_chooses_among_smooth_models_and_intermittent_among_intermittent(
    mixed,
):
    chosen = mixed.selection.set_index("unique_id")
    assert chosen.loc["weekly", "demand_class"] == "smooth"
    assert chosen.loc["weekly", "model"] == COMBINATION_MODEL
    assert chosen.loc["weekly", "top_model"] in group_candidates(seasonal=True)
    assert chosen.loc["slow", "demand_class"] in ("intermittent", "lumpy")
    assert chosen.loc["slow", "top_model"] in group_candidates(seasonal=False)


def test_intermittent_series_gets_an_intermittent_model_not_the_baseline():
    # A year of sales on ~1 day in 4 with no weekly pattern: with 3 × 28 backtest days
    # (~20 sales) a seasonal-naive copy of last week cannot beat a smoothed rate on RMSSE.
    days = pd.date_range("2024-01-01", periods=364, freq="D")
    histories = [
        intermittent_series(f"slow{i}", seed=i, days=days, p=0.25) for i in range(6)
    ]
    selection = select_models(pd.concat(histories), 28, n_jobs=1)
    assert (selection["demand_class"] == "intermittent").all()
    assert (selection["model"] == COMBINATION_MODEL).all()
    intermittent_only = set(group_candidates(seasonal=False)) - {BASELINE_MODEL}
    assert set(selection["top_model"]) <= intermittent_only
    assert (selection["selected_by"] == "rmsse").all()
    # the combination beat the naive in the backtest: that is why it is used
    assert (selection["rmsse"] < selection["rmsse_seasonal_naive"]).all()


def test_forecast_returns_one_row_per_series_and_future_day_with_contract_columns(
    mixed,
):
    out = mixed.forecasts
    assert list(out.columns) == [
        "unique_id",
        "ds",
        "yhat",
        "yhat_lo_80",
        "yhat_hi_80",
        "yhat_lo_95",
        "yhat_hi_95",
        "model",
    ]
    assert len(out) == 2 * 14
    assert out["ds"].min() == DAYS[-1] + pd.Timedelta(days=1)
    assert out["ds"].max() == DAYS[-1] + pd.Timedelta(days=14)


def test_intervals_nest_and_widen_with_level_for_every_model(mixed):
    out = mixed.forecasts
    assert (out["yhat_lo_95"] <= out["yhat_lo_80"]).all()
    assert (out["yhat_lo_80"] <= out["yhat"]).all()
    assert (out["yhat"] <= out["yhat_hi_80"]).all()
    assert (out["yhat_hi_80"] <= out["yhat_hi_95"]).all()
    # strictly wider somewhere for each series, including the Croston-family one
    widths = out.assign(
        w80=out["yhat_hi_80"] - out["yhat_lo_80"],
        w95=out["yhat_hi_95"] - out["yhat_lo_95"],
    )
    wider = (widths["w95"] > widths["w80"]).groupby(widths["unique_id"]).any()
    assert wider.all()


def test_forecasts_and_bounds_are_never_negative():
    # a steep decline that any trend model would extrapolate below zero
    declining = pd.DataFrame(
        {"unique_id": "fall", "ds": DAYS, "y": np.linspace(200, 0, len(DAYS))}
    )
    out = forecast(declining, 28, n_jobs=1)
    values = out[["yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"]]
    assert (values >= 0).all().all()


def test_interval_columns_follow_the_requested_levels(mixed):
    history = weekly_series()
    out = forecast(history, 7, level=(50, 90, 99), n_jobs=1)
    assert [c for c in out.columns if c.startswith("yhat_")] == [
        "yhat_lo_50",
        "yhat_hi_50",
        "yhat_lo_90",
        "yhat_hi_90",
        "yhat_lo_99",
        "yhat_hi_99",
    ]
    assert (out["yhat_lo_99"] <= out["yhat_lo_90"]).all()
    assert (out["yhat_hi_90"] <= out["yhat_hi_99"]).all()


def test_series_too_short_to_backtest_fall_back_to_historic_average():
    short = pd.DataFrame(
        {"unique_id": "new", "ds": DAYS[-5:], "y": [2.0, 4.0, 6.0, 4.0, 4.0]}
    )
    result = run_forecast(pd.concat([short, weekly_series()]), 7, n_jobs=1)
    rows = result.forecasts.loc[result.forecasts["unique_id"] == "new"]
    assert (rows["model"] == SHORT_SERIES_MODEL).all()
    # the historic average, spread over the week by the pooled profile: a week sums to 7 × 4
    assert rows["yhat"].mean() == pytest.approx(4.0)
    weekend = rows["ds"].dt.dayofweek >= 5  # the weekly series sells double at weekends
    assert rows.loc[weekend, "yhat"].min() > rows.loc[~weekend, "yhat"].max()
    assert (rows["yhat_hi_95"] > rows["yhat_hi_80"]).all()
    row = result.selection.set_index("unique_id").loc["new"]
    assert row["selected_by"] == "too_short"
    assert np.isnan(row["mase"])


def test_promotion_uplift_is_applied_on_a_future_event_day_and_kept_out_of_the_baseline():
    days = pd.date_range("2024-06-01", "2025-06-10", freq="D")
    rng = np.random.default_rng(5)
    events = promotion_days("2024-06-01", "2025-06-30")
    on_event = days.isin(events["ds"])
    y = 20 + rng.normal(0, 1, len(days)) + np.where(on_event, 60.0, 0.0)  # ×4 on events
    history = pd.DataFrame({"unique_id": "promo", "ds": days, "y": y})
    with_events = run_forecast(history, 14, events=events, n_jobs=1)
    out = with_events.forecasts.set_index("ds")
    peak = out.loc[pd.Timestamp("2025-06-18"), "yhat"]
    ordinary = out.drop(index=pd.Timestamp("2025-06-18"))["yhat"]
    assert ordinary.mean() == pytest.approx(20, abs=2)
    assert peak == pytest.approx(80, rel=0.2)
    assert out.loc[pd.Timestamp("2025-06-18"), "yhat_hi_95"] > peak
    uplift = with_events.uplift.set_index("event")["uplift"]
    assert uplift["618"] == pytest.approx(4, rel=0.2)


def test_monthly_data_uses_the_given_season_length():
    months = pd.date_range("2018-01-01", periods=60, freq="MS")
    y = 100 + 50 * (months.month == 12)
    history = pd.DataFrame({"unique_id": "m", "ds": months, "y": y.astype(float)})
    out = forecast(history, 12, freq="MS", season_length=12, n_jobs=1)
    assert out["ds"].dt.month.tolist() == list(range(1, 13))
    december = out.loc[out["ds"].dt.month == 12, "yhat"].iloc[0]
    assert december > out.loc[out["ds"].dt.month != 12, "yhat"].max() + 30


GOOD = weekly_series().iloc[:60]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"history": GOOD.drop(columns=["ds"])}, "missing required column"),
        ({"history": GOOD.assign(y=-GOOD["y"])}, "negative demand"),
        ({"history": GOOD.assign(y=GOOD["y"].where(GOOD.index != 3))}, "NaN"),
        ({"history": pd.concat([GOOD, GOOD.iloc[:1]])}, "duplicate"),
        ({"history": GOOD.iloc[:0]}, "no rows"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": 2.5}, "horizon"),
        ({"level": (80, 100)}, "unknown level"),
        ({"level": (80.5,)}, "unknown level"),
        ({"level": ("high",)}, "unknown level"),
        ({"engine": "spark"}, "unknown engine"),
        ({"events": pd.DataFrame({"ds": ["2024-01-01"]})}, "events is missing"),
    ],
)
def test_forecast_rejects_bad_input_with_value_error_naming_it(kwargs, message):
    args = {"history": GOOD, "horizon": 7, "n_jobs": 1} | kwargs
    with pytest.raises(ValueError, match=message):
        forecast(**args)


def test_ray_engine_fails_clearly_when_ray_is_not_installed():
    pytest.importorskip(
        "dask"
    )  # keeps the import machinery warm; ray itself must be absent
    try:
        import ray  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="ray"):
            forecast(GOOD, 7, engine="ray", n_jobs=1)
    else:
        pytest.skip("ray is installed here")
