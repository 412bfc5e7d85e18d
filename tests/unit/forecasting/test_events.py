import pandas as pd
import pytest

from forecasting.events import promotion_days


def test_promotion_days_lists_fixed_days_and_the_new_year_festival():
    days = promotion_days("2025-01-01", "2025-12-31")
    by_event = days.groupby("event")["ds"].agg(list)
    assert by_event["618"] == [pd.Timestamp("2025-06-18")]
    assert by_event["double11"] == [pd.Timestamp("2025-11-11")]
    assert by_event["double12"] == [pd.Timestamp("2025-12-12")]
    # Chinese New Year 2025 is 29 January: the festival is the 14 days before it
    assert by_event["new_year_festival"] == list(
        pd.date_range("2025-01-15", "2025-01-28")
    )
    assert days["ds"].is_monotonic_increasing


def test_promotion_days_are_clipped_to_the_range():
    days = promotion_days("2026-06-01", "2026-11-30")
    assert days["event"].tolist() == ["618", "double11"]


def test_promotion_days_refuses_years_without_a_known_new_year_date():
    with pytest.raises(ValueError, match="Chinese New Year"):
        promotion_days("2031-01-01", "2031-03-01")
    # the autumn of an unknown year needs no festival date
    assert len(promotion_days("2022-06-01", "2022-12-31")) == 3


def test_promotion_days_rejects_an_inverted_range():
    with pytest.raises(ValueError, match="before"):
        promotion_days("2025-02-01", "2025-01-01")
