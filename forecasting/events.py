"""Promotion calendar and multiplicative promotion uplift.

The big promotion days multiply demand. Left in the history they would be smeared into the
baseline (raising every ordinary day's forecast) and still not be forecast on the day. So:

1. :func:`estimate_uplift` — per series and event name, uplift = demand on that event's
   days ÷ the local baseline on those days (a centred rolling mean of the *non-event* days,
   ±2 seasons wide). Few observations give noisy ratios, so the series' own ratio is shrunk
   towards the ratio pooled over all series with weight ``b / (b + PRIOR_BASELINE_UNITS)``,
   ``b`` = the series' baseline demand summed over its event days. Floored at
   :data:`MIN_UPLIFT`.
2. :func:`remove_uplift` — divide history on event days by the uplift (de-promoted history),
   which the models are fitted on.
3. :func:`apply_uplift` — multiply the forecast (and its interval bounds) on future event
   days by the same uplift. An event never seen in the history gets uplift 1.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

# Chinese New Year (Spring Festival day 1). The New-Year goods festival is the 14 days before.
CHINESE_NEW_YEAR = {
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}
CNY_FESTIVAL_DAYS = 14
FIXED_EVENTS = {"618": (6, 18), "double11": (11, 11), "double12": (12, 12)}
CNY_EVENT = "new_year_festival"

PRIOR_BASELINE_UNITS = 10.0
MIN_UPLIFT = 0.1


def promotion_days(
    start: dt.date | str | pd.Timestamp, end: dt.date | str | pd.Timestamp
) -> pd.DataFrame:
    """Promotion days between ``start`` and ``end`` inclusive, as ``ds`` (datetime64), ``event``.

    Events: ``618`` (18 June), ``double11`` (11 November), ``double12`` (12 December) and
    ``new_year_festival`` (the 14 days before Chinese New Year). Sorted by ``ds``.

    Raises:
        ValueError: ``end`` before ``start``, or the range touches a year whose Chinese New
            Year date is not in :data:`CHINESE_NEW_YEAR` (2023–2030).
    """
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if last < first:
        raise ValueError(f"end {last:%Y-%m-%d} is before start {first:%Y-%m-%d}")
    rows: list[tuple[pd.Timestamp, str]] = []
    for year in range(first.year, last.year + 1):
        for name, (month, day) in FIXED_EVENTS.items():
            rows.append((pd.Timestamp(year, month, day), name))
        # The festival always falls in January–February; only those months need the table.
        if last < pd.Timestamp(year, 1, 1) or first >= pd.Timestamp(year, 3, 1):
            continue
        if year not in CHINESE_NEW_YEAR:
            raise ValueError(
                f"no Chinese New Year date for {year}; known years: "
                f"{min(CHINESE_NEW_YEAR)}-{max(CHINESE_NEW_YEAR)}"
            )
        new_year = pd.Timestamp(CHINESE_NEW_YEAR[year])
        rows.extend(
            (new_year - pd.Timedelta(days=offset), CNY_EVENT)
            for offset in range(1, CNY_FESTIVAL_DAYS + 1)
        )
    days = pd.DataFrame(rows, columns=["ds", "event"])
    days = days.loc[(days["ds"] >= first) & (days["ds"] <= last)]
    return days.sort_values("ds", kind="stable").reset_index(drop=True)


def validate_events(events: pd.DataFrame) -> pd.DataFrame:
    """Check an events frame (``ds``, ``event``; one event per day) and return a clean copy.

    Raises:
        TypeError: ``events`` is not a DataFrame.
        ValueError: missing columns, NaN, or two events on one day.
    """
    if not isinstance(events, pd.DataFrame):
        raise TypeError(
            f"events must be a pandas DataFrame, got {type(events).__name__}"
        )
    missing = [col for col in ("ds", "event") if col not in events.columns]
    if missing:
        raise ValueError(f"events is missing required column(s): {', '.join(missing)}")
    frame = events.loc[:, ["ds", "event"]].copy()
    if frame.isna().any().any():
        raise ValueError("events has NaN/missing values")
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["event"] = frame["event"].astype(str)
    if frame["ds"].duplicated().any():
        day = frame.loc[frame["ds"].duplicated(), "ds"].iloc[0]
        raise ValueError(f"events has more than one event on {day:%Y-%m-%d}")
    return frame.reset_index(drop=True)


def estimate_uplift(
    filled: pd.DataFrame, events: pd.DataFrame, season_length: int = 7
) -> pd.DataFrame:
    """Uplift per (``unique_id``, ``event``) from a gap-filled history; see the module doc.

    Returns columns ``unique_id, event, uplift`` for every series × every event name that
    occurs in the history's date range (events outside it are simply absent → uplift 1).
    """
    marked = filled.merge(events, on="ds", how="left")
    marked = marked.sort_values(["unique_id", "ds"], kind="stable").reset_index(
        drop=True
    )
    ordinary = marked["y"].where(marked["event"].isna())
    window = 4 * season_length + 1
    baseline = (
        ordinary.groupby(marked["unique_id"], sort=False)
        .rolling(window, center=True, min_periods=season_length)
        .mean()
        .reset_index(level=0, drop=True)
        .sort_index()
    )
    on_event = marked.loc[marked["event"].notna()].assign(baseline=baseline)
    on_event = on_event.loc[on_event["baseline"].notna()]
    if on_event.empty:
        return pd.DataFrame({"unique_id": [], "event": [], "uplift": []})
    sums = on_event.groupby(["unique_id", "event"], as_index=False)[
        ["y", "baseline"]
    ].sum()
    pooled_sums = sums.groupby("event")[["y", "baseline"]].sum()
    pooled = (
        pooled_sums["y"] / pooled_sums["baseline"].where(pooled_sums["baseline"] > 0)
    ).fillna(1.0)
    prior = sums["event"].map(pooled).to_numpy()
    own_base = sums["baseline"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(own_base > 0, sums["y"].to_numpy() / own_base, prior)
    weight = own_base / (own_base + PRIOR_BASELINE_UNITS)
    uplift = np.maximum(weight * own + (1 - weight) * prior, MIN_UPLIFT)
    return pd.DataFrame(
        {"unique_id": sums["unique_id"], "event": sums["event"], "uplift": uplift}
    )


def _uplift_per_row(
    frame: pd.DataFrame, events: pd.DataFrame, uplift: pd.DataFrame
) -> np.ndarray:
    keyed = frame[["unique_id", "ds"]].merge(events, on="ds", how="left")
    keyed = keyed.merge(uplift, on=["unique_id", "event"], how="left")
    return keyed["uplift"].fillna(1.0).to_numpy()


def remove_uplift(
    filled: pd.DataFrame, events: pd.DataFrame, uplift: pd.DataFrame
) -> pd.DataFrame:
    """Return a copy of ``filled`` with event-day demand divided by its uplift."""
    factor = _uplift_per_row(filled, events, uplift)
    return filled.assign(y=filled["y"].to_numpy() / factor)


def apply_uplift(
    forecasts: pd.DataFrame,
    events: pd.DataFrame,
    uplift: pd.DataFrame,
    columns: list[str],
) -> pd.DataFrame:
    """Return a copy of ``forecasts`` with ``columns`` multiplied by the uplift on event days."""
    factor = _uplift_per_row(forecasts, events, uplift)
    result = forecasts.copy()
    result[columns] = result[columns].to_numpy() * factor[:, None]
    return result
