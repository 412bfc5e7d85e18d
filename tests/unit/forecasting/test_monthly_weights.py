"""Where a global model competes (monthly data): stacked weights shrunk toward the global
model by a nested backtest, and the naive rule checked the same way."""

import numpy as np
import pandas as pd
import pytest

from forecasting.combine import mean_rmsse, shrunk_weights, stacked_weights
from forecasting.select import candidates, choose, naive_rule_pays

CUTOFFS = pd.to_datetime(["2024-01-01", "2024-04-01", "2024-07-01"])


def test_mean_rmsse_is_the_mean_of_the_series_rmsse():
    predictions = np.array([[1.0], [3.0], [0.0], [np.nan]])
    y = np.array([2.0, 2.0, 4.0, 1.0])
    series = np.array(["a", "a", "b", "b"])
    # a: errors ±1 on scale 1 → 1; b: error 4 on scale 4 → 2; the NaN row is left out
    got = mean_rmsse(predictions, y, np.array([1.0, 1.0, 4.0, 4.0]), series, np.array([1.0]))
    assert got == pytest.approx(1.5)


def _windows(errors_by_window):
    """Rows of 4 series × 3 windows × 3 steps; candidate k's error per window given."""
    rows = []
    for s in range(4):
        for w, cutoff in enumerate(CUTOFFS):
            for step in range(3):
                actual = float(2 + (s + step) % 3)
                rows.append((f"s{s}", cutoff, actual,
                             *(actual + e[w] * (1 if step % 2 else -1) for e in errors_by_window)))
    frame = pd.DataFrame(rows, columns=["unique_id", "cutoff", "y", "global", "level"])
    return (frame[["global", "level"]].to_numpy(), frame["y"].to_numpy(),
            np.ones(len(frame)), frame["unique_id"].to_numpy(), frame["cutoff"].to_numpy())


def test_shrinkage_toward_the_global_model_is_what_the_held_out_windows_reward():
    # The global model exact in the first two windows, poor in the last: fitted on all
    # windows the level model takes all the weight, but held out once each, the first two
    # windows reward the global model (fitted on the others, it is the level model) and the
    # last cannot tell (fitted on the first two, it is the global model): shrink fully.
    p, y, s, ids, cut = _windows([(0.0, 0.0, 3.0), (1.0, 1.0, 1.0)])
    np.testing.assert_allclose(stacked_weights(p, y, s), [0.0, 1.0], atol=1e-9)
    weights, amount = shrunk_weights(p, y, s, ids, cut, toward=0)
    assert amount == 1.0
    assert weights.tolist() == [1.0, 0.0]
    # The global model poor in every window: held out once each, the level model (fitted
    # on the other windows) beats it in all three, so the stacked weights stay as fitted.
    p, y, s, ids, cut = _windows([(2.0, 2.0, 2.0), (1.0, 1.0, 1.0)])
    weights, amount = shrunk_weights(p, y, s, ids, cut, toward=0)
    assert amount == 0.0
    np.testing.assert_allclose(weights, stacked_weights(p, y, s))


def test_shrinkage_keeps_the_other_candidates_only_where_every_held_out_window_agrees():
    # The global model poor in the first two windows and exact in the last: held out, the
    # first two reward the stack and by the sum of the scores it would be kept as fitted,
    # but the last window rewards the global model alone: shrink fully.
    p, y, s, ids, cut = _windows([(2.0, 2.0, 0.0), (1.0, 1.0, 1.0)])
    np.testing.assert_allclose(stacked_weights(p, y, s), [0.0, 1.0], atol=1e-9)
    weights, amount = shrunk_weights(p, y, s, ids, cut, toward=0)
    assert amount == 1.0
    assert weights.tolist() == [1.0, 0.0]


def test_shrinkage_without_a_window_to_score_is_the_global_model_alone():
    p, y, s, ids, cut = _windows([(2.0, 2.0, 2.0), (1.0, 1.0, 1.0)])
    # One window: nothing to hold out.
    last = cut == cut.max()
    weights, amount = shrunk_weights(p[last], y[last], s[last], ids[last], cut[last], toward=0)
    assert (amount, weights.tolist()) == (1.0, [1.0, 0.0])
    # A candidate missing before the last window (WindowAverage before its 24 months fill):
    # fitted on the windows without it, nothing is left to fit on; held out, no window
    # but the last has every candidate.
    p = p.copy()
    p[cut < cut.max(), 1] = np.nan
    weights, amount = shrunk_weights(p, y, s, ids, cut, toward=0)
    assert (amount, weights.tolist()) == (1.0, [1.0, 0.0])


def _cv(naive_minus_comb):
    """Two series × three windows × two steps; the naive's error above the combination's."""
    rows = []
    for uid, gaps in naive_minus_comb.items():
        for cutoff, gap in zip(CUTOFFS, gaps, strict=True):
            rows += [(uid, cutoff, gap)] * 2
    frame = pd.DataFrame(rows, columns=["unique_id", "cutoff", "gap"])
    comb = np.full(len(frame), 2.0)
    return frame, comb, comb + frame["gap"].to_numpy()


@pytest.mark.parametrize(
    ("gaps", "pays"),
    [
        ({"a": (-1.0, -1.0, -1.0), "b": (-1.0, -1.0, 5.0)}, False),  # b's switch fails late
        ({"a": (-1.0, -1.0, -1.0), "b": (-1.0, -1.0, -0.5)}, True),
        ({"a": (1.0, 1.0, -1.0), "b": (1.0, -1.0, -1.0)}, True),  # nobody switched early
    ],
)
def test_naive_rule_pays_only_if_it_held_in_the_last_window(gaps, pays):
    frame, comb, naive = _cv(gaps)
    assert naive_rule_pays(frame, comb, naive, np.ones(len(frame))) is pays


def test_monthly_choice_drops_the_naive_rule_when_the_nested_check_fails():
    # a: the naive wins every window (a little); b: it wins the first two and loses the last
    # by far. Daily data (no global model): a goes to the naive. Monthly: the rule, applied
    # to the first two windows, would switch a and b and lose in the last: nobody switches.
    names = sorted(set(candidates("MS")) | set(candidates("D")))  # both frequencies' columns
    rows = []
    for uid, naive_wins in (("a", (True, True, True)), ("b", (True, True, False))):
        for cutoff, wins in zip(CUTOFFS, naive_wins, strict=True):
            for step in range(3):
                actual = 4.0 + step
                row = {"unique_id": uid, "cutoff": cutoff, "y": actual,
                       "ds": cutoff + pd.DateOffset(months=step + 1)}
                row.update({n: actual + 2.0 for n in names})
                row["SeasonalNaive"] = actual + (1.0 if wins else 12.0)
                rows.append(row)
    cv = pd.DataFrame(rows)
    demand_class = pd.Series("intermittent", index=["a", "b"])
    scales = pd.DataFrame({"mae": 1.0, "mse": 1.0, "mse1": 1.0}, index=["a", "b"])
    daily, _, _ = choose(cv[["unique_id", "cutoff", "ds", "y", *candidates("D")]], demand_class, scales, "D")
    monthly, _, _ = choose(cv, demand_class, scales, "MS")
    assert daily.set_index("unique_id")["model"].to_dict() == {
        "a": "SeasonalNaive", "b": "Combination"}
    assert set(monthly["model"]) == {"Combination"}
