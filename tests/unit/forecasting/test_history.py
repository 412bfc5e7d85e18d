import numpy as np
import pandas as pd
import pytest

from forecasting.history import (
    DemandClass,
    classify_demand,
    classify_series,
    fill_gaps,
    validate_history,
)


def frame(**columns):
    base = {
        "unique_id": ["a", "a"],
        "ds": pd.to_datetime(["2025-01-01", "2025-01-02"]),
        "y": [1.0, 2.0],
    }
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        # every period sells, sizes steady → smooth
        ([10, 11, 9, 10, 12, 10, 9, 11], DemandClass.SMOOTH),
        # every period sells, sizes swing wildly → erratic
        ([1, 30, 2, 40, 1, 25, 3, 50], DemandClass.ERRATIC),
        # one sale in three periods, steady sizes → intermittent
        ([5, 0, 0, 5, 0, 0, 6, 0, 0], DemandClass.INTERMITTENT),
        # rare and wildly varying → lumpy
        ([1, 0, 0, 40, 0, 0, 2, 0, 0, 60], DemandClass.LUMPY),
        # no demand at all → intermittent (forecast zero)
        ([0, 0, 0, 0], DemandClass.INTERMITTENT),
    ],
)
def test_classify_demand_puts_series_in_its_syntetos_boylan_quadrant(y, expected):
    assert classify_demand(np.array(y, dtype=float))[2] is expected


@pytest.mark.parametrize(
    ("y", "adi", "cv2", "expected"),
    [
        # ADI exactly 1.32 is intermittent (cut-off is inclusive): 33 periods, 25 sales
        ([1.0] * 25 + [0.0] * 8, 33 / 25, 0.0, DemandClass.INTERMITTENT),
        # ADI just under the cut-off stays smooth
        ([1.0] * 26 + [0.0] * 8, 34 / 26, 0.0, DemandClass.SMOOTH),
    ],
)
def test_classification_cutoffs_are_inclusive_at_1_32(y, adi, cv2, expected):
    got_adi, got_cv2, got_class = classify_demand(np.array(y))
    assert got_adi == pytest.approx(adi)
    assert got_cv2 == pytest.approx(cv2)
    assert got_class is expected


def test_classify_series_matches_single_series_classification():
    rng = np.random.default_rng(3)
    series = {
        "smooth": rng.poisson(20, 60).astype(float),
        "lumpy": (rng.random(60) < 0.2) * rng.integers(1, 100, 60).astype(float),
        "empty": np.zeros(60),
    }
    history = pd.concat(
        pd.DataFrame(
            {"unique_id": k, "ds": pd.date_range("2025-01-01", periods=60), "y": v}
        )
        for k, v in series.items()
    )
    table = classify_series(history).set_index("unique_id")
    for key, values in series.items():
        adi, cv2, demand_class = classify_demand(values)
        assert table.loc[key, "demand_class"] == demand_class.value
        assert table.loc[key, "adi"] == pytest.approx(adi)
        assert table.loc[key, "cv2"] == pytest.approx(cv2)


def test_fill_gaps_inserts_zero_days_up_to_the_latest_date_of_any_series():
    history = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b"],
            "ds": pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-05"]),
            "y": [1.0, 2.0, 3.0],
        }
    )
    filled = fill_gaps(validate_history(history))
    a = filled.loc[filled["unique_id"] == "a"]
    assert a["ds"].dt.day.tolist() == [1, 2, 3, 4, 5]
    assert a["y"].tolist() == [1.0, 0.0, 2.0, 0.0, 0.0]
    assert filled.loc[filled["unique_id"] == "b", "y"].tolist() == [3.0]


def test_fill_gaps_aligns_monthly_dates_to_month_start_and_sums_them():
    history = pd.DataFrame(
        {
            "unique_id": ["a", "a", "a"],
            "ds": pd.to_datetime(["2025-01-15", "2025-01-20", "2025-03-02"]),
            "y": [1.0, 2.0, 4.0],
        }
    )
    filled = fill_gaps(validate_history(history), freq="MS")
    assert filled["ds"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-01-01",
        "2025-02-01",
        "2025-03-01",
    ]
    assert filled["y"].tolist() == [3.0, 0.0, 4.0]


@pytest.mark.parametrize(
    ("history", "message"),
    [
        (frame().drop(columns=["y"]), "missing required column"),
        (frame(y=[1.0, -2.0]), "negative demand"),
        (frame(y=[1.0, np.nan]), "NaN"),
        (frame(ds=pd.to_datetime(["2025-01-01", "2025-01-01"])), "duplicate"),
        (frame(ds=["2025-01-01", "not a date"]), "datetime"),
        (frame(y=["1", "2"]), "numeric"),
    ],
)
def test_validate_history_rejects_bad_input_naming_the_problem(history, message):
    with pytest.raises(ValueError, match=message):
        validate_history(history)


def test_validate_history_returns_typed_sorted_copy():
    history = pd.DataFrame(
        {"unique_id": [2, 1], "ds": ["2025-01-02", "2025-01-01"], "y": [1, 2]}
    )
    clean = validate_history(history)
    assert clean["unique_id"].tolist() == ["1", "2"]
    assert clean["y"].dtype == np.float64
    assert pd.api.types.is_datetime64_any_dtype(clean["ds"])
