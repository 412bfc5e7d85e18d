"""The batch task's forecasts come out of the backtest's calls (forecasting.fits.BatchTask)."""

import numpy as np
import pandas as pd
from statsforecast import StatsForecast

from forecasting.engine import run_statsforecast
from forecasting.fits import BatchTask
from forecasting.history import fill_gaps, validate_history, with_placeholders
from forecasting.models import (
    REFIT_MODELS,
    SEASONAL_MODELS,
    build_model,
    fallback_model,
    max_train_length,
)
from forecasting.synthetic import make_daily_demand

HORIZON, WINDOWS, SEASON = 14, 3, 7


def test_placeholders_follow_each_series_end_with_zero_demand():
    filled = pd.DataFrame({
        "unique_id": ["a", "a", "b", "b", "b"],
        "ds": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-01", "2025-01-02", "2025-01-03"]),
        "y": [1.0, 2.0, 3.0, 4.0, 5.0],
    })
    out = with_placeholders(filled, 2)
    assert out["unique_id"].tolist() == ["a"] * 4 + ["b"] * 5
    assert out.loc[out["unique_id"] == "a", "ds"].dt.day.tolist() == [1, 2, 3, 4]
    assert out.loc[out["unique_id"] == "b", "ds"].dt.day.tolist() == [1, 2, 3, 4, 5]
    assert out["y"].tolist() == [1.0, 2.0, 0.0, 0.0, 3.0, 4.0, 5.0, 0.0, 0.0]


def test_level_models_are_refitted_and_seasonal_models_rolled_forward_to_the_forecast():
    filled = fill_gaps(validate_history(make_daily_demand(12, 420, seed=3)))
    fits = BatchTask(HORIZON, "D", (80, 95), SEASON, WINDOWS, "local", 1)(filled)
    raw = fits.raw.set_index(["unique_id", "ds"]).sort_index()
    tested = raw.index.get_level_values("unique_id").unique()
    recent = filled.loc[filled["unique_id"].isin(tested)].groupby("unique_id").tail(max_train_length(SEASON))

    # Level models and the naive: the same as a separate fit on the last 52 seasons.
    separate = run_statsforecast(
        "forecast", recent, [build_model(m, SEASON) for m in REFIT_MODELS], freq="D",
        fallback=fallback_model(SEASON), engine="local", n_jobs=1, h=HORIZON,
    ).set_index(["unique_id", "ds"]).sort_index()
    pd.testing.assert_frame_equal(raw[list(REFIT_MODELS)], separate[list(REFIT_MODELS)])

    # AutoETS/Theta: fitted once on the first backtest window's training slice, then the
    # same model run forward over the latest data.
    seasonal = raw.index[raw["AutoETS"].notna()].get_level_values("unique_id").unique()
    assert len(seasonal) > 0
    for uid in seasonal[:3]:
        y = filled.loc[filled["unique_id"] == uid, "y"].to_numpy()
        first_cutoff = len(y) - WINDOWS * HORIZON
        train = y[max(0, first_cutoff - max_train_length(SEASON)):first_cutoff]
        latest = y[-max_train_length(SEASON):]
        for name in SEASONAL_MODELS:
            model = build_model(name, SEASON).fit(y=train)
            expected = model.forward(y=latest, h=HORIZON)["mean"]
            np.testing.assert_allclose(raw.loc[uid, name].to_numpy(), expected, rtol=1e-9)
        # ... which is not what a fresh fit on the latest data gives.
        fresh = StatsForecast(models=[build_model("AutoETS", SEASON)], freq="D").forecast(
            df=recent.loc[recent["unique_id"] == uid], h=HORIZON)
        assert not np.allclose(fresh["AutoETS"].to_numpy(), raw.loc[uid, "AutoETS"].to_numpy())


def test_the_forecast_window_does_not_change_the_backtest():
    filled = fill_gaps(validate_history(make_daily_demand(6, 300, seed=5)))
    common = dict(freq="D", fallback=fallback_model(SEASON), engine="local", n_jobs=1, h=HORIZON,
                  step_size=HORIZON, input_size=max_train_length(SEASON), refit=True)
    models = [build_model(m, SEASON) for m in REFIT_MODELS]
    plain = run_statsforecast("cross_validation", filled, models, n_windows=WINDOWS, **common)
    extended = run_statsforecast("cross_validation", with_placeholders(filled, HORIZON, "D"), models,
                                 n_windows=WINDOWS + 1, **common)
    last = filled.groupby("unique_id")["ds"].max()
    backtest = extended.loc[extended["cutoff"] != extended["unique_id"].map(last)].reset_index(drop=True)
    pd.testing.assert_frame_equal(backtest, plain)
