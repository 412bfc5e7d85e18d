"""Model choice per series by rolling-origin backtest (statsforecast cross-validation).

For each demand group (smooth/erratic, intermittent/lumpy) the group's candidates are
backtested together in ONE ``cross_validation`` call over ``n_windows`` windows of
``horizon`` periods, ``step_size = horizon``. Each series then keeps the candidate with the
lowest backtest MASE (smooth/erratic) or RMSSE (intermittent/lumpy; see
:func:`forecasting.models.selection_metric`). The scale is the same for every candidate of a
series, so the comparison is made on MAE / MSE, which stays defined when the scale is zero
(flat history). MASE and RMSSE are scaled by the in-sample seasonal-naive errors of
the training data before the first backtest cutoff (Hyndman & Koehler 2006; M5's RMSSE).
The chosen model's backtest absolute errors are kept: they are the conformal scores from
which :mod:`forecasting.pipeline` builds prediction intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.engine import run_statsforecast
from forecasting.history import classify_series, fill_gaps, validate_history
from forecasting.models import (
    BASELINE_MODEL,
    INTERMITTENT_MODELS,
    SHORT_SERIES_MODEL,
    SMOOTH_MODELS,
    build_model,
    candidate_names,
    fallback_model,
    max_train_length,
    min_backtest_length,
    refits_in_backtest,
    selection_metric,
)

SELECTION_COLUMNS = (
    "unique_id",
    "demand_class",
    "adi",
    "cv2",
    "n_obs",
    "model",
    "mase",
    "rmsse",
    "mase_seasonal_naive",
    "selected_by",
)


@dataclass(frozen=True)
class Backtest:
    """Result of :func:`backtest_series`.

    ``selection`` has :data:`SELECTION_COLUMNS`, one row per series. ``abs_errors`` has
    ``unique_id, abs_error``: the chosen model's absolute backtest errors (none for series
    that were too short to backtest).
    """

    selection: pd.DataFrame
    abs_errors: pd.DataFrame


def check_horizon(horizon: int) -> None:
    """Raise ``ValueError`` unless ``horizon`` is an int >= 1."""
    if (
        isinstance(horizon, bool)
        or not isinstance(horizon, (int, np.integer))
        or horizon < 1
    ):
        raise ValueError(f"horizon must be an integer >= 1, got {horizon!r}")


def select_models(
    history: pd.DataFrame,
    horizon: int,
    *,
    freq: str = "D",
    season_length: int = 7,
    n_windows: int = 3,
    engine: str = "local",
    n_jobs: int = -1,
) -> pd.DataFrame:
    """Choose a model per series; return the backtest results the DB job records.

    ``history`` follows the long-format contract of :func:`validate_history` (missing
    periods are zero demand). Returns :data:`SELECTION_COLUMNS`, one row per series:
    demand class with its ADI/CV², number of periods, chosen model, the chosen model's
    backtest MASE and RMSSE plus the seasonal-naive MASE for comparison (NaN when the series
    was too short to backtest, or its in-sample seasonal-naive error is zero), and
    ``selected_by`` (``"mase"``, ``"rmsse"`` or ``"too_short"``).
    Promotion uplift is not removed here; :func:`forecasting.run_forecast` does that.

    Raises:
        ValueError: bad history, horizon < 1 or an unknown engine.
    """
    check_horizon(horizon)
    filled = fill_gaps(validate_history(history), freq)
    return backtest_series(
        filled,
        horizon,
        freq=freq,
        season_length=season_length,
        n_windows=n_windows,
        engine=engine,
        n_jobs=n_jobs,
    ).selection


def backtest_series(
    filled: pd.DataFrame,
    horizon: int,
    *,
    freq: str,
    season_length: int,
    n_windows: int,
    engine: str,
    n_jobs: int,
) -> Backtest:
    """Backtest and choose on an already validated, gap-filled frame (see module doc)."""
    if n_windows < 1:
        raise ValueError(f"n_windows must be >= 1, got {n_windows}")
    classes = classify_series(filled)
    long_enough = classes["n_obs"] >= min_backtest_length(
        horizon, n_windows, season_length
    )
    groups = [SMOOTH_MODELS, INTERMITTENT_MODELS]
    group_of = classes["demand_class"].map(candidate_names)
    in_group = {names: long_enough & (group_of == names) for names in groups}
    chosen_parts: list[pd.DataFrame] = []
    error_parts: list[pd.DataFrame] = []
    for names in groups:
        ids = classes.loc[in_group[names], "unique_id"]
        if ids.empty:
            continue
        part = filled.loc[filled["unique_id"].isin(ids)]
        cv = run_statsforecast(
            "cross_validation",
            part,
            [build_model(name, season_length) for name in names],
            freq=freq,
            fallback=fallback_model(season_length),
            engine=engine,
            n_jobs=n_jobs,
            h=horizon,
            n_windows=n_windows,
            step_size=horizon,
            input_size=max_train_length(season_length),
            refit=refits_in_backtest(names),
        )
        scales = _naive_scales(part, cv, season_length)
        chosen, errors = _choose(cv, names, scales, selection_metric(names))
        chosen_parts.append(chosen)
        error_parts.append(errors)
    short = classes.loc[~long_enough, ["unique_id"]].assign(
        model=SHORT_SERIES_MODEL, selected_by="too_short"
    )
    chosen_all = pd.concat([*chosen_parts, short], ignore_index=True)
    selection = classes.merge(chosen_all, on="unique_id", how="left")
    abs_errors = (
        pd.concat(error_parts, ignore_index=True)
        if error_parts
        else pd.DataFrame(
            {"unique_id": pd.Series(dtype=str), "abs_error": pd.Series(dtype=float)}
        )
    )
    return Backtest(
        selection=selection.loc[:, list(SELECTION_COLUMNS)], abs_errors=abs_errors
    )


def _naive_scales(
    part: pd.DataFrame, cv: pd.DataFrame, season_length: int
) -> pd.DataFrame:
    """In-sample seasonal-naive MAE and MSE per series, on data up to the first cutoff."""
    first_cutoff = cv.groupby("unique_id")["cutoff"].min().rename("first_cutoff")
    train = part.merge(first_cutoff, left_on="unique_id", right_index=True)
    train = train.loc[train["ds"] <= train["first_cutoff"]]
    diff = train["y"] - train.groupby("unique_id")["y"].shift(season_length)
    by_series = train["unique_id"]
    return pd.DataFrame(
        {
            "mae": diff.abs().groupby(by_series).mean(),
            "mse": (diff**2).groupby(by_series).mean(),
        }
    )


def _choose(
    cv: pd.DataFrame, names: tuple[str, ...], scales: pd.DataFrame, metric: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pick per series the candidate with the lowest ``metric`` (ties: first in ``names``)."""
    predictions = cv.loc[:, list(names)].to_numpy()
    errors = predictions - cv["y"].to_numpy()[:, None]
    # A model that returned NaN (failed without a usable fallback) must never win.
    abs_err = np.where(np.isnan(errors), np.inf, np.abs(errors))
    ids = cv["unique_id"].to_numpy()
    mae = pd.DataFrame(abs_err, columns=list(names)).groupby(ids, sort=True).mean()
    sq_err = np.where(np.isnan(errors), np.inf, errors**2)
    mse = pd.DataFrame(sq_err, columns=list(names)).groupby(ids, sort=True).mean()
    best = (mae if metric == "mase" else mse).to_numpy().argmin(axis=1)
    rows = np.arange(len(mae))
    scale = scales.reindex(mae.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        mase = mae.to_numpy()[rows, best] / scale["mae"].to_numpy()
        rmsse = np.sqrt(mse.to_numpy()[rows, best] / scale["mse"].to_numpy())
        naive_mase = mae[BASELINE_MODEL].to_numpy() / scale["mae"].to_numpy()
    chosen = pd.DataFrame(
        {
            "unique_id": mae.index.to_numpy(),
            "model": np.asarray(names)[best],
            "mase": _finite_or_nan(mase),
            "rmsse": _finite_or_nan(rmsse),
            "mase_seasonal_naive": _finite_or_nan(naive_mase),
            "selected_by": metric,
        }
    )
    best_per_row = pd.Series(best, index=mae.index).reindex(ids).to_numpy()
    chosen_errors = pd.DataFrame(
        {"unique_id": ids, "abs_error": abs_err[np.arange(len(ids)), best_per_row]}
    )
    return chosen, chosen_errors


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)
