"""The global LightGBM candidate (forecasting.global_model): real fits, small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting import global_model


def _weekly(n_series: int = 12, days: int = 140, seed: int = 0) -> pd.DataFrame:
    """Series of different sizes that sell nothing on one weekday (like Online Retail)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    rows = []
    for i in range(n_series):
        rate = 2.0 + 3.0 * i
        y = rng.poisson(rate, days).astype(float)
        y[ds.dayofweek == 5] = 0.0
        rows.append(pd.DataFrame({"unique_id": f"s{i:02d}", "ds": ds, "y": y}))
    return pd.concat(rows, ignore_index=True)


def test_forecast_is_deterministic_non_negative_and_learns_the_weekday() -> None:
    train = _weekly()
    first = global_model.forecast(train, 14, "D")
    second = global_model.forecast(train, 14, "D")
    pd.testing.assert_frame_equal(first, second)
    assert len(first) == 12 * 14
    assert set(first["unique_id"]) == set(train["unique_id"])
    assert (first[global_model.NAME] >= 0).all()
    saturday = first["ds"].dt.dayofweek == 5
    by_day = first.groupby(saturday)[global_model.NAME].mean()
    # The shop's closed day is forecast far below the open days.
    assert by_day[True] < 0.3 * by_day[False]
    # A bigger seller gets a bigger forecast: the model is global but scale-aware.
    level = first.loc[~saturday].groupby("unique_id")[global_model.NAME].mean()
    assert level["s11"] > 3 * level["s00"]


def test_backtest_uses_only_data_up_to_each_cutoff() -> None:
    train = _weekly()
    cutoffs = np.array(["2024-04-21", "2024-05-05"], dtype="datetime64[ns]")
    before = global_model.backtest(train, cutoffs, 7, "D", max_train=364)
    assert sorted(before["cutoff"].unique()) == list(pd.to_datetime(cutoffs))
    assert len(before) == 2 * 12 * 7
    changed = train.copy()
    late = changed["ds"] > pd.Timestamp("2024-04-21")
    changed.loc[late, "y"] = changed.loc[late, "y"] * 10
    after = global_model.backtest(changed, cutoffs, 7, "D", max_train=364)
    first = before["cutoff"] == pd.Timestamp("2024-04-21")
    # The first window's forecast did not see the (changed) data after its cutoff ...
    pd.testing.assert_frame_equal(before.loc[first], after.loc[first])
    # ... and the second window's did.
    assert not np.allclose(
        before.loc[~first, global_model.NAME], after.loc[~first, global_model.NAME]
    )


def test_global_model_is_a_candidate_for_monthly_data_only() -> None:
    from forecasting import models
    from forecasting.select import candidates

    assert models.global_models("MS") == (global_model.NAME,)
    assert models.global_models("ME") == (global_model.NAME,)
    assert models.global_models("D") == ()
    assert global_model.NAME in candidates("MS")
    assert global_model.NAME not in candidates("D")
