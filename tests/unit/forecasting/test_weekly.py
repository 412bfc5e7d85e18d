"""Weekly level candidates on daily data (forecasting/weekly.py) and their place in the
combination: 7-day buckets ending at each cutoff, the week's forecast ÷ 7 per day."""

import numpy as np
import pandas as pd
import pytest

from forecasting import run_forecast
from forecasting.models import weekly_models
from forecasting.select import backtest_rows, candidates, choose
from forecasting.weekly import build_weekly, weekly_levels, weekly_totals


def _daily(uid, start, values):
    ds = pd.date_range(start, periods=len(values), freq="D")
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.asarray(values, dtype=float)})


def test_weekly_totals_end_at_the_cutoff_and_drop_a_partial_first_week():
    # 17 days, one unit a day, 3 units on the last day: buckets of 7 end at the cutoff;
    # the 3 oldest days do not make a full week and are dropped.
    y = np.ones(17)
    y[-1] = 3.0
    frame = _daily("a", "2024-01-01", y)
    cutoff = frame["ds"].max()
    totals = weekly_totals(frame, cutoff)
    assert totals["ds"].tolist() == [cutoff - pd.Timedelta(days=7), cutoff]
    assert totals["y"].tolist() == [7.0, 9.0]
    # An earlier cutoff cuts its own buckets: nothing after it is counted.
    earlier = weekly_totals(frame, cutoff - pd.Timedelta(days=3))
    assert earlier["ds"].max() == cutoff - pd.Timedelta(days=3)
    assert earlier["y"].tolist() == [7.0, 7.0]


def test_weekly_levels_give_each_day_its_weeks_forecast_divided_by_seven():
    # Lumpy daily demand with a steady weekly total: 14 units every Monday, nothing else.
    days = pd.date_range("2024-01-01", periods=12 * 7, freq="D")
    steady = pd.DataFrame({"unique_id": "steady", "ds": days,
                           "y": np.where(days.dayofweek == 0, 14.0, 0.0)})
    # A series that started selling three days before the cutoff: no full week yet.
    new = _daily("new", days[-3], [1.0, 0.0, 2.0])
    history = pd.concat([steady, new], ignore_index=True)
    cutoff = days[-1]
    future = pd.date_range(cutoff + pd.Timedelta(days=1), periods=10, freq="D")
    keys = pd.DataFrame({
        "unique_id": np.repeat(["steady", "new"], len(future)),
        "cutoff": cutoff,
        "ds": np.tile(future, 2),
    })
    names = weekly_models("D")
    out = weekly_levels(history, keys, names)
    assert out[["unique_id", "cutoff", "ds"]].equals(keys)
    flat = out.loc[out["unique_id"] == "steady", list(names)].to_numpy()
    np.testing.assert_allclose(flat, 2.0, rtol=1e-6)  # 14 a week = 2 a day, every day
    assert out.loc[out["unique_id"] == "new", list(names)].isna().all().all()


def test_weekly_candidates_are_daily_only_and_profiled():
    daily, monthly = candidates("D"), candidates("MS")
    assert weekly_models("D") and not weekly_models("MS")
    for name in weekly_models("D"):
        assert f"{name}*profile" in daily
        assert name not in daily  # only the profiled twin competes
        assert not any(c.startswith(name) for c in monthly)
        assert build_weekly(name).alias == name
    with pytest.raises(ValueError, match="unknown weekly model"):
        build_weekly("AutoETS(week)")


def test_daily_weights_are_stacked_so_two_opposite_biases_cancel():
    # IMAPA and ADIDA err by ±1 in opposite directions, TSB by a smaller independent noise,
    # the rest by 3 + noise: TSB has the lowest error of any single candidate (the power
    # weights give it nearly all), but the equal mix of IMAPA and ADIDA has none — the
    # stacked (convex, fitted) weights find it.
    rng = np.random.default_rng(7)
    names = list(candidates("D"))
    rows = []
    for uid in ("s1", "s2", "s3"):
        for cutoff in pd.to_datetime(["2024-01-07", "2024-01-14", "2024-01-21"]):
            for step in range(7):
                y = float(rng.integers(0, 6))
                e = float(rng.choice([-1.0, 1.0]))
                row = {"unique_id": uid, "cutoff": cutoff,
                       "ds": cutoff + pd.Timedelta(days=step + 1), "y": y}
                row.update({n: y + 3.0 + rng.normal(0, 1) for n in names})
                row.update({"IMAPA": y + e, "ADIDA": y - e, "TSB": y + rng.normal(0, 0.5)})
                rows.append(row)
    cv = pd.DataFrame(rows)
    ids = ["s1", "s2", "s3"]
    demand_class = pd.Series("lumpy", index=ids)
    scales = pd.DataFrame({"mae": 1.0, "mse": 1.0, "mse1": 1.0}, index=ids)
    _chosen, _errors, weights = choose(cv, demand_class, scales, "D")
    for uid in ids:
        assert weights.loc[uid, "IMAPA"] == pytest.approx(0.5, abs=0.02)
        assert weights.loc[uid, "ADIDA"] == pytest.approx(0.5, abs=0.02)
        assert weights.loc[uid].sum() == pytest.approx(1.0)


def test_a_daily_run_combines_the_weekly_candidates():
    # Lumpy weekly-total demand on weekdays only: the run backtests and uses the weekly
    # candidates (finite in the final fits), and the forecast keeps most of the closed Saturday
    # (plain, unprofiled level models may keep some weight).
    rng = np.random.default_rng(3)
    days = pd.date_range("2024-01-01", periods=140, freq="D")
    frames = []
    for k in range(6):
        y = (rng.random(len(days)) < 0.3) * rng.integers(1, 6, len(days)).astype(float)
        y[days.dayofweek == 5] = 0.0
        frames.append(pd.DataFrame({"unique_id": f"p{k}", "ds": days, "y": y}))
    history = pd.concat(frames, ignore_index=True)
    backtest = backtest_rows(history, 14, freq="D", season_length=7, n_windows=3,
                             engine="local", n_jobs=1, final=True)
    weekly = list(weekly_models("D"))
    assert backtest.cv["cutoff"].nunique() == 3
    assert np.isfinite(backtest.cv[weekly].to_numpy()).all()
    assert backtest.final is not None and np.isfinite(backtest.final[weekly].to_numpy()).all()
    rows = run_forecast(history, 14, n_jobs=1).forecasts
    assert (rows["model"] == "Combination").all()
    assert np.isfinite(rows["yhat"]).all()
    saturday = rows.loc[rows["ds"].dt.dayofweek == 5, "yhat"].mean()
    assert saturday < 0.5 * rows.loc[rows["ds"].dt.dayofweek != 5, "yhat"].mean()


def test_stacked_weights_that_leave_a_backtest_window_uncovered_are_not_used():
    # WindowAverage is exact but cannot forecast the first window (too little history):
    # fitted only on the rows where every candidate is finite, the stack puts all weight on
    # it and leaves the first window without a forecast. The class keeps its power weights,
    # so every backtest row has a combination and every series a finite backtest error.
    rng = np.random.default_rng(11)
    names = list(candidates("D"))
    rows = []
    for uid in ("s1", "s2"):
        for w, cutoff in enumerate(pd.to_datetime(["2024-01-07", "2024-01-14", "2024-01-21"])):
            for step in range(7):
                y = float(rng.integers(0, 6))
                row = {"unique_id": uid, "cutoff": cutoff,
                       "ds": cutoff + pd.Timedelta(days=step + 1), "y": y}
                row.update({n: y + rng.normal(0, 1) for n in names})
                row["WindowAverage"] = np.nan if w == 0 else y
                rows.append(row)
    cv = pd.DataFrame(rows)
    ids = ["s1", "s2"]
    scales = pd.DataFrame({"mae": 1.0, "mse": 1.0, "mse1": 1.0}, index=ids)
    chosen, errors, weights = choose(cv, pd.Series("lumpy", index=ids), scales, "D")
    assert np.isfinite(errors["abs_error"]).all()
    assert chosen["rmsse"].notna().all()
    assert (weights["WindowAverage"] < 0.99).all()
