"""run_forecast options: forecast start date, batches on one process pool, progress hook."""

import numpy as np
import pandas as pd
import pytest

from forecasting import run_forecast

DAYS = pd.date_range("2024-01-01", periods=196, freq="D")  # ends 2024-07-14


def weekly_series(uid="weekly", seed=0):
    rng = np.random.default_rng(seed)
    y = np.where(DAYS.dayofweek >= 5, 40.0, 20.0) + rng.normal(0, 1.5, len(DAYS))
    return pd.DataFrame({"unique_id": uid, "ds": DAYS, "y": y.clip(0)})


def intermittent_series(uid, seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(len(DAYS)) < 0.15) * rng.integers(1, 4, len(DAYS))
    return pd.DataFrame({"unique_id": uid, "ds": DAYS, "y": y.astype(float)})


def test_a_start_after_the_last_sale_forecasts_from_start_over_zero_filled_history():
    history = weekly_series()  # ends 2024-07-14
    start = pd.Timestamp("2024-08-01")
    result = run_forecast(history, 7, n_jobs=1, start=start)
    assert result.forecasts["ds"].min() == start
    assert result.forecasts["ds"].max() == start + pd.Timedelta(days=6)
    # 17 idle days are read as no demand, so the forecast drops below the old weekday level
    assert result.forecasts["yhat"].mean() < 20
    assert result.selection.loc[0, "n_obs"] == len(history) + 17


def test_history_on_or_after_start_is_ignored():
    history = weekly_series()
    start = history["ds"].iloc[-7]
    cut = run_forecast(history.loc[history["ds"] < start], 7, n_jobs=1)
    late = run_forecast(history, 7, n_jobs=1, start=start)
    pd.testing.assert_frame_equal(late.forecasts, cut.forecasts)


def test_a_start_before_all_history_is_refused():
    with pytest.raises(ValueError, match="no rows before the forecast start"):
        run_forecast(weekly_series(), 7, n_jobs=1, start="2023-01-01")


def test_batches_on_a_process_pool_give_the_same_result_and_report_progress():
    history = pd.concat(
        [weekly_series(f"w{i}", seed=i) for i in range(3)]
        + [intermittent_series(f"s{i}", seed=i) for i in range(3)],
        ignore_index=True,
    )
    whole = run_forecast(history, 7, n_jobs=1)
    seen: list[tuple[int, int, str]] = []
    batched = run_forecast(
        history, 7, n_jobs=2, batch_size=2,
        progress=lambda done, total, stage: seen.append((done, total, stage)),
    )
    pd.testing.assert_frame_equal(batched.forecasts, whole.forecasts)
    pd.testing.assert_frame_equal(batched.selection, whole.selection)
    assert seen == [(0, 6, "forecasting"), (2, 6, "forecasting"), (4, 6, "forecasting"),
                    (6, 6, "forecasting")]


def test_batch_size_below_one_is_refused():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        run_forecast(weekly_series(), 7, batch_size=0)
