"""The combination's pieces: seasonal position and pooled profile, class weights, the
row-wise combination, the naive rule and the drift-corrected conformal widths."""

import numpy as np
import pandas as pd
import pytest

from forecasting.combine import (
    MIN_WEIGHT,
    apply_profile,
    class_weights,
    combine,
    pooled_profile,
    season_position,
    stacked_weights,
)
from forecasting.fits import conformal_widths, drift_factors
from forecasting.select import candidates, choose, naive_wins_every_window


@pytest.mark.parametrize(
    ("dates", "freq", "season", "expected"),
    [
        (["1970-01-01", "1970-01-02", "1970-01-08"], "D", 7, [0, 1, 0]),  # Thursday = 0
        (["2024-01-06", "2024-01-13", "2024-01-07"], "D", 7, [2, 2, 3]),  # Sat, Sat, Sun
        (["2024-01-01", "2024-02-01", "2025-01-01", "2024-12-01"], "MS", 12, [0, 1, 0, 11]),
        (["2024-01-01", "2024-04-01"], "MS", 3, [0, 0]),
    ],
)
def test_season_position_is_calendar_aligned(dates, freq, season, expected):
    assert season_position(pd.Series(pd.to_datetime(dates)), freq, season).tolist() == expected


def _shop(days, saturday=0.0, other=6.0, ids=("a", "b")):
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    y = np.where(ds.dayofweek == 5, saturday, other)
    return pd.concat([pd.DataFrame({"unique_id": u, "ds": ds, "y": y}) for u in ids])


def test_pooled_profile_has_mean_one_and_no_saturday_when_the_shop_is_closed():
    frame = _shop(28)
    profile = pooled_profile(frame, "D", 7)
    saturday = season_position(pd.Series([pd.Timestamp("2024-01-06")]), "D", 7)[0]
    assert profile.mean() == pytest.approx(1.0)
    assert profile[saturday] == 0.0
    assert np.delete(profile, saturday) == pytest.approx(7 / 6)


def test_pooled_profile_counts_rates_not_totals_when_a_weekday_occurs_more_often():
    # 8 days from a Monday: two Mondays, flat demand -> still a flat profile
    frame = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=8), "y": 3.0})
    assert pooled_profile(frame, "D", 7) == pytest.approx(np.ones(7))


@pytest.mark.parametrize("frame", [pd.DataFrame({"ds": pd.to_datetime([]), "y": []}),
                                   _shop(14, saturday=0.0, other=0.0)])
def test_pooled_profile_without_demand_is_flat(frame):
    assert pooled_profile(frame, "D", 7).tolist() == [1.0] * 7


def test_apply_profile_spreads_a_level_and_keeps_its_weekly_total():
    ds = pd.Series(pd.date_range("2024-01-01", periods=7))
    profile = pooled_profile(_shop(28), "D", 7)
    spread = apply_profile(np.full(7, 2.0), ds, profile, "D")
    assert spread.sum() == pytest.approx(14.0)
    assert spread[ds.dt.dayofweek.to_numpy() == 5] == pytest.approx(0.0)


def test_class_weights_are_pooled_per_class_and_favour_each_class_best():
    mse = pd.DataFrame(
        {"A": [1.0, 1.2, 4.0, 4.4], "B": [2.0, 2.2, 1.0, 1.1]}, index=list("wxyz")
    )
    classes = pd.Series(["smooth", "smooth", "lumpy", "lumpy"], index=list("wxyz"))
    weights = class_weights(mse, classes)
    assert weights.sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert weights.loc["w"].equals(weights.loc["x"])  # one weight row per class
    assert weights.loc["w", "A"] > 0.99 - MIN_WEIGHT
    assert weights.loc["y", "B"] > 0.99 - MIN_WEIGHT


@pytest.mark.parametrize(
    ("a", "b", "expected_a"),
    [
        ([1.0, 1.0], [1.0, 1.0], 0.5),  # equal errors: equal weights
        ([1.0, 1.0], [1.1, 1.1], 1 / (1 + (1 / 1.1) ** 8)),  # near tie: shared
        ([1.0, 1.0], [np.inf, np.inf], 1.0),  # B failed everywhere: no weight
        ([1.0, 1.0], [3.0, 3.0], 1.0),  # B's weight (3**-8 ~ 0.0002) is dropped
    ],
)
def test_class_weights_table(a, b, expected_a):
    mse = pd.DataFrame({"A": a, "B": b}, index=["s1", "s2"])
    weights = class_weights(mse, pd.Series("intermittent", index=mse.index))
    assert weights["A"].to_numpy() == pytest.approx(expected_a)
    assert weights.sum(axis=1).to_numpy() == pytest.approx(1.0)


def test_stacked_weights_are_convex_and_favour_the_candidate_that_fits():
    rng = np.random.default_rng(0)
    y = rng.poisson(3.0, 400).astype(float)
    good = y + rng.normal(0, 0.3, 400)
    flat = np.full(400, y.mean())
    bad = y[::-1].copy()
    weights = stacked_weights(np.column_stack([good, flat, bad]), y, np.ones(400))
    assert weights is not None
    assert weights.sum() == pytest.approx(1.0)
    assert (weights >= 0).all()
    assert weights[0] > 0.8
    # Rows with a NaN prediction or no scale are left out; none left: None.
    nan_rows = np.column_stack([np.full(3, np.nan), np.ones(3)])
    assert stacked_weights(nan_rows, np.ones(3), np.ones(3)) is None


def test_a_candidate_missing_one_backtest_window_does_not_flatten_the_class_weights():
    # Two series, three windows; WindowAverage cannot forecast the first window (too little
    # history), everything else is finite. IMAPA is the clear best: it must get the weight
    # (before, the class had no series finite for every candidate and got equal weights).
    names = list(candidates("D"))
    rows = []
    for uid in ("s1", "s2"):
        for w, cutoff in enumerate(pd.to_datetime(["2024-01-07", "2024-01-14", "2024-01-21"])):
            for step in range(7):
                y = float((step + w) % 3)
                row = {"unique_id": uid, "cutoff": cutoff,
                       "ds": cutoff + pd.Timedelta(days=step + 1), "y": y}
                row.update({n: y + 2.0 for n in names})
                row["IMAPA"] = y + 0.1
                if w == 0:
                    row["WindowAverage"] = np.nan
                rows.append(row)
    cv = pd.DataFrame(rows)
    demand_class = pd.Series("intermittent", index=["s1", "s2"])
    scales = pd.DataFrame({"mae": 1.0, "mse": 1.0, "mse1": 1.0}, index=["s1", "s2"])
    _chosen, _errors, weights = choose(cv, demand_class, scales, "D")
    assert weights.loc["s1", "IMAPA"] > 0.99 - MIN_WEIGHT


def test_class_weights_skip_series_without_a_scale_when_pooling():
    # s2 has no scale (NaN): only s1's errors decide, B is better there
    mse = pd.DataFrame({"A": [2.0, np.nan], "B": [1.0, np.nan]}, index=["s1", "s2"])
    weights = class_weights(mse, pd.Series("smooth", index=mse.index))
    assert (weights["B"] > weights["A"]).all()


@pytest.mark.parametrize(
    ("predictions", "weights", "expected"),
    [
        ([[1.0, 3.0]], [[0.5, 0.5]], [2.0]),
        ([[1.0, np.nan]], [[0.25, 0.75]], [1.0]),  # failed candidate: renormalised
        ([[np.nan, np.nan]], [[0.5, 0.5]], [np.nan]),
        ([[4.0, 8.0]], [[0.0, 1.0]], [8.0]),
    ],
)
def test_combine_table(predictions, weights, expected):
    got = combine(np.array(predictions), np.array(weights))
    np.testing.assert_allclose(got, expected)


def test_naive_is_used_only_where_it_wins_every_backtest_window():
    cutoffs = np.repeat(pd.to_datetime(["2024-01-07", "2024-01-14"]), 2)
    cv = pd.DataFrame({"unique_id": np.repeat(["always", "once", "never"], 4),
                       "cutoff": np.tile(cutoffs, 3)})
    combination = np.array([2, 2, 2, 2, 2, 2, 0, 0, 1, 1, 1, 1], dtype=float)
    naive = np.array([1, 1, 1, 1, 1, 1, 5, 5, 2, 2, 2, 2], dtype=float)
    wins = naive_wins_every_window(cv, combination, naive)
    assert wins.to_dict() == {"always": True, "never": False, "once": False}


def _errors(earlier, last):
    rows = [("s", pd.Timestamp("2024-01-07"), e) for e in earlier]
    rows += [("s", pd.Timestamp("2024-01-14"), e) for e in last]
    return pd.DataFrame(rows, columns=["unique_id", "cutoff", "abs_error"])


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (list(np.arange(1.0, 11.0)), 1.0),  # the last window looks like the earlier ones
        (list(np.arange(1.0, 11.0) * 1.5), 1.5),  # errors grew by half: widen by half
        (list(np.arange(1.0, 11.0) * 5), 2.0),  # capped
        (list(np.arange(1.0, 11.0) / 2), 1.0),  # never narrower than plain conformal
    ],
)
def test_drift_factor_makes_earlier_intervals_cover_the_last_window(last, expected):
    errors = _errors(list(np.arange(1.0, 11.0)), last)
    assert drift_factors(errors, (80,))[80] == pytest.approx(expected, rel=0.1)


def test_drift_factor_never_shrinks_for_a_wider_level():
    # Earlier errors 1..10 (80 %: 9, 95 %: 10); every last-window error is 14: on its own
    # the 95 % factor (14 / 10) would come out below the 80 % one (14 / 9), and the 95 %
    # width (14 x 1.4 over all 20 errors) below the 80 % one (14 x 1.56).
    errors = _errors(list(np.arange(1.0, 11.0)), [14.0] * 10)
    factors = drift_factors(errors, (80, 95))
    assert factors[80] == pytest.approx(14 / 9)
    assert factors[95] >= factors[80]
    widths = conformal_widths(errors, (80, 95))
    assert widths.loc["s", 95] >= widths.loc["s", 80]


def test_conformal_widths_grow_with_level_and_with_one_window_are_plain_conformal():
    errors = _errors(list(np.arange(1.0, 21.0)), [])
    widths = conformal_widths(errors, (50, 80, 95))
    # n = 20: the ceil(21 * level)-th smallest error
    assert widths.loc["s"].tolist() == [11.0, 17.0, 20.0]
