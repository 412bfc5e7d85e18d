"""Demand history: validation, gap filling and Syntetos–Boylan demand classes.

The data contract (shared with statsforecast) is a long frame with one row per series and
period: ``unique_id`` (str), ``ds`` (datetime), ``y`` (float demand, >= 0). A period that is
absent means *no demand*, not *unknown*: the order system only records shipments.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("unique_id", "ds", "y")

# Syntetos, Boylan & Croston (2005) cut-offs: ADI (average inter-demand interval, periods)
# and CV² (squared coefficient of variation of the non-zero demand sizes).
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


class DemandClass(StrEnum):
    """Syntetos–Boylan quadrant of a series."""

    SMOOTH = "smooth"  # ADI < 1.32, CV² < 0.49
    ERRATIC = "erratic"  # ADI < 1.32, CV² >= 0.49
    INTERMITTENT = "intermittent"  # ADI >= 1.32, CV² < 0.49
    LUMPY = "lumpy"  # ADI >= 1.32, CV² >= 0.49


def validate_history(history: pd.DataFrame) -> pd.DataFrame:
    """Check the long-format contract and return a clean copy.

    Returns a new frame with exactly the columns ``unique_id`` (str), ``ds``
    (datetime64[ns]) and ``y`` (float64), sorted by series then date. Extra columns are
    dropped.

    Raises:
        TypeError: ``history`` is not a DataFrame.
        ValueError: naming the problem — missing columns, no rows, ``ds`` not
            datetime-like, ``y`` not numeric, NaN in any column, negative demand, or a
            duplicated (unique_id, ds) pair.
    """
    if not isinstance(history, pd.DataFrame):
        raise TypeError(
            f"history must be a pandas DataFrame, got {type(history).__name__}"
        )
    missing = [col for col in REQUIRED_COLUMNS if col not in history.columns]
    if missing:
        raise ValueError(f"history is missing required column(s): {', '.join(missing)}")
    if history.empty:
        raise ValueError("history has no rows")
    frame = history.loc[:, list(REQUIRED_COLUMNS)].copy()
    for col in REQUIRED_COLUMNS:
        if frame[col].isna().any():
            raise ValueError(f"history has NaN/missing values in column {col!r}")
    if not pd.api.types.is_numeric_dtype(frame["y"]) or pd.api.types.is_bool_dtype(
        frame["y"]
    ):
        raise ValueError(
            f"history column 'y' must be numeric, got dtype {frame['y'].dtype}"
        )
    try:
        frame["ds"] = pd.to_datetime(frame["ds"])
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"history column 'ds' is not datetime-like: {error}"
        ) from error
    frame["y"] = frame["y"].astype("float64")
    if not np.isfinite(frame["y"].to_numpy()).all():
        raise ValueError("history column 'y' has infinite values")
    negative = frame["y"] < 0
    if negative.any():
        first = frame.loc[negative].iloc[0]
        raise ValueError(
            f"history has {int(negative.sum())} negative demand value(s) in 'y', "
            f"e.g. unique_id={first['unique_id']!r} ds={first['ds']:%Y-%m-%d} y={first['y']}"
        )
    frame["unique_id"] = frame["unique_id"].astype(str)
    duplicated = frame.duplicated(subset=["unique_id", "ds"])
    if duplicated.any():
        first = frame.loc[duplicated].iloc[0]
        raise ValueError(
            f"history has {int(duplicated.sum())} duplicate (unique_id, ds) row(s), "
            f"e.g. unique_id={first['unique_id']!r} ds={first['ds']:%Y-%m-%d}"
        )
    return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def fill_gaps(
    history: pd.DataFrame, freq: str = "D", end: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Make every series regular by inserting zero-demand periods.

    Each series runs from its own first period to ``end`` (default: the latest ``ds`` over
    all series; rows after ``end`` are dropped), so a SKU that stopped selling shows its recent zeros instead of looking
    current as of its last sale. ``history`` must already be validated; dates are
    normalised to the period start of ``freq`` and demand in the same period is summed.
    Returns columns ``unique_id, ds, y`` sorted by series then date.
    """
    if history.empty:
        return history.loc[:, list(REQUIRED_COLUMNS)].copy()
    frame = history.loc[:, list(REQUIRED_COLUMNS)].copy()
    if end is not None:
        frame = frame.loc[frame["ds"] <= pd.Timestamp(end)]
        if frame.empty:
            return frame.reset_index(drop=True)
    offset = pd.tseries.frequencies.to_offset(freq)
    first = offset.rollback(frame["ds"].min().normalize())
    last = frame["ds"].max() if end is None else pd.Timestamp(end)
    calendar = pd.date_range(first, last, freq=offset)
    # Align every date to the start of its period (searchsorted works for any frequency,
    # unlike Series.dt.to_period which rejects "MS"), so mid-month stamps still line up.
    frame["ds"] = calendar[
        calendar.searchsorted(frame["ds"].to_numpy(), side="right") - 1
    ]
    frame = frame.groupby(["unique_id", "ds"], sort=True, as_index=False)["y"].sum()
    starts = frame.groupby("unique_id", sort=True)["ds"].min()
    # Build the full grid with one vectorised pass: one global calendar, and per series
    # the slice from its start. Avoids a Python loop over (possibly 10k+) series.
    start_pos = calendar.get_indexer(starts.to_numpy())
    lengths = len(calendar) - start_pos
    ids = np.repeat(starts.index.to_numpy(), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    if lengths.sum() == len(frame):
        return frame  # already regular: every period of every series is present
    grid = pd.DataFrame(
        {"unique_id": ids, "ds": calendar[np.repeat(start_pos, lengths) + offsets]}
    )
    filled = grid.merge(frame, on=["unique_id", "ds"], how="left")
    filled["y"] = filled["y"].fillna(0.0)
    return filled


def with_placeholders(filled: pd.DataFrame, horizon: int, freq: str = "D") -> pd.DataFrame:
    """``filled`` plus ``horizon`` placeholder periods (``y = 0``) after each series' last.

    A cross-validation over ``n + 1`` windows of ``horizon`` on this frame backtests the
    ``n`` windows it would on ``filled`` and, as its last window, forecasts the ``horizon``
    periods after the data from the same training slice a forecast would use (the
    placeholders are only that window's "actuals", never trained on). Sorted by series then
    date, like ``filled``.
    """
    if filled.empty:
        return filled.copy()
    offset = pd.tseries.frequencies.to_offset(freq)
    last = filled.groupby("unique_id", sort=True)["ds"].max()
    parts = []
    for end, ids in last.groupby(last, sort=True):  # nearly always one group: fill_gaps' end
        future = pd.date_range(pd.Timestamp(end) + offset, periods=horizon, freq=offset)
        parts.append(pd.DataFrame({
            "unique_id": np.repeat(ids.index.to_numpy(), horizon),
            "ds": np.tile(future.to_numpy(), len(ids)),
            "y": 0.0,
        }))
    frame = pd.concat([filled.loc[:, list(REQUIRED_COLUMNS)], *parts], ignore_index=True)
    return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def classify_demand(y: np.ndarray) -> tuple[float, float, DemandClass]:
    """Return ``(adi, cv2, demand_class)`` for one regular series of demand values.

    ADI is the number of periods divided by the number of non-zero periods; CV² is the
    squared coefficient of variation (population std / mean) of the non-zero sizes. A series
    with no demand at all has ADI = inf and CV² = 0 and is classed INTERMITTENT, so it goes
    to the intermittent models (which forecast zero for it).
    """
    values = np.asarray(y, dtype="float64")
    nonzero = values[values > 0]
    if nonzero.size == 0:
        return float("inf"), 0.0, DemandClass.INTERMITTENT
    adi = values.size / nonzero.size
    cv2 = float((nonzero.std() / nonzero.mean()) ** 2)
    return adi, cv2, _quadrant(adi, cv2)


def _quadrant(adi: float, cv2: float) -> DemandClass:
    if adi < ADI_CUTOFF:
        return DemandClass.SMOOTH if cv2 < CV2_CUTOFF else DemandClass.ERRATIC
    return DemandClass.INTERMITTENT if cv2 < CV2_CUTOFF else DemandClass.LUMPY


def classify_series(filled: pd.DataFrame) -> pd.DataFrame:
    """Classify every series of a gap-filled frame (see :func:`fill_gaps`).

    Returns one row per ``unique_id`` with ``n_obs``, ``adi``, ``cv2`` and ``demand_class``,
    computed with the same definitions as :func:`classify_demand`, vectorised over groups.
    """
    nonzero = filled["y"].where(filled["y"] > 0)
    grouped = nonzero.groupby(filled["unique_id"], sort=True)
    stats = pd.DataFrame(
        {
            "n_obs": filled.groupby("unique_id", sort=True).size(),
            "n_nonzero": grouped.count(),
            "mean": grouped.mean(),
            "std": grouped.std(ddof=0),
        }
    )
    has_demand = stats["n_nonzero"] > 0
    adi = np.where(
        has_demand, stats["n_obs"] / stats["n_nonzero"].where(has_demand, 1), np.inf
    )
    cv2 = np.where(has_demand, (stats["std"] / stats["mean"]) ** 2, 0.0)
    cv2 = np.nan_to_num(cv2, nan=0.0)
    high_adi = adi >= ADI_CUTOFF
    high_cv2 = cv2 >= CV2_CUTOFF
    labels = np.select(
        [~high_adi & ~high_cv2, ~high_adi & high_cv2, high_adi & ~high_cv2],
        [
            DemandClass.SMOOTH.value,
            DemandClass.ERRATIC.value,
            DemandClass.INTERMITTENT.value,
        ],
        default=DemandClass.LUMPY.value,
    )
    return pd.DataFrame(
        {
            "unique_id": stats.index.to_numpy(),
            "n_obs": stats["n_obs"].to_numpy(),
            "adi": adi,
            "cv2": cv2,
            "demand_class": labels,
        }
    )
