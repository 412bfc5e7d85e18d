"""Forecast choice per series by rolling-origin backtest (statsforecast cross-validation).

The refitted models (:data:`~forecasting.models.REFIT_MODELS`) are backtested on every
series in ONE ``cross_validation`` call, the seasonal ones (AutoETS, Theta) on the smooth and
erratic series in another, over ``n_windows`` windows of ``horizon`` periods,
``step_size = horizon``. Each level model also gets a profiled twin (pooled seasonal
profile measured on the data before each window's cutoff, :mod:`forecasting.combine`).

Daily data also gets level models fitted on weekly totals (:mod:`forecasting.weekly`), as
profiled twins only.

The forecast of a series is the **combination** of its candidates with weights pooled over
its demand class: the convex weights fitted to the class's backtest rows
(:func:`forecasting.combine.stacked_weights`; where a global model competes, monthly data,
shrunk toward the global model by a nested backtest — kept only where they beat the global
model alone in every held-out window —, :func:`forecasting.combine.shrunk_weights`; the
power weights of
:func:`forecasting.combine.class_weights` where a class has no usable row) — unless that
combination's backtest error is no lower than the seasonal naive's, in which case the series
is planned on the seasonal naive (``model`` says so; "no better" = the naive's error was lower
in every backtest window, :func:`naive_wins_every_window`; where a global model competes,
only if that rule held up in a nested backtest, :func:`naive_rule_pays`). Errors are compared
as MSE (RMSSE; MASE rewards
forecasting zero on intermittent demand). MASE and RMSSE are scaled by the in-sample
seasonal-naive errors of the training data before the first backtest cutoff (Hyndman &
Koehler 2006; M5's RMSSE). The used forecast's backtest errors are kept: they are the
conformal scores from which :mod:`forecasting.fits` builds prediction intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting import global_model, models
from forecasting.combine import (
    apply_profile,
    class_weights,
    combine,
    pooled_profile,
    shrunk_weights,
    stacked_weights,
)
from forecasting.engine import run_statsforecast
from forecasting.history import (
    DemandClass,
    classify_series,
    fill_gaps,
    validate_history,
    with_placeholders,
)
from forecasting.models import (
    BASELINE_MODEL,
    COMBINATION_MODEL,
    LEVEL_MODELS,
    REFIT_MODELS,
    SEASONAL_MODELS,
    SHORT_SERIES_MODEL,
    build_model,
    fallback_model,
    max_train_length,
    min_backtest_length,
    profiled_name,
)
from forecasting.weekly import weekly_levels

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
    "rmsse_seasonal_naive",
    "top_model",
    "selected_by",
)
SEASONAL_CLASSES = (DemandClass.SMOOTH.value, DemandClass.ERRATIC.value)


@dataclass(frozen=True)
class Backtest:
    """Result of :func:`decide`.

    ``selection`` has :data:`SELECTION_COLUMNS`, one row per series. ``errors`` has
    ``unique_id, cutoff, abs_error``: the used forecast's absolute backtest errors (none for
    series that were too short to backtest). ``weights``: one row per combined series (index
    ``unique_id``), one column per candidate (:func:`candidates`), rows summing to 1.
    """

    selection: pd.DataFrame
    errors: pd.DataFrame
    weights: pd.DataFrame


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
    ``model`` (``"Combination"``, ``"SeasonalNaive"`` where the combination was no better
    in the backtest, ``"HistoricAverage"`` for series too short to backtest), the used
    forecast's backtest MASE and RMSSE and the seasonal naive's (NaN when the series was too
    short to backtest, or its in-sample seasonal-naive error is zero: ``rmsse /
    rmsse_seasonal_naive`` is how much better than repeating the last season the forecast
    was), ``top_model`` (the combination's largest weight) and ``selected_by``
    (``"rmsse"`` or ``"too_short"``).
    Promotion uplift is not removed here; :func:`forecasting.run_forecast` does that.

    Raises:
        ValueError: bad history, horizon < 1 or an unknown engine.
    """
    check_horizon(horizon)
    filled = fill_gaps(validate_history(history), freq)
    rows = backtest_rows(
        filled,
        horizon,
        freq=freq,
        season_length=season_length,
        n_windows=n_windows,
        engine=engine,
        n_jobs=n_jobs,
    )
    return decide(rows, filled, freq, season_length).selection


def candidates(freq: str = "D") -> tuple[str, ...]:
    """Every candidate column of a backtest of ``freq`` data, in tie-break order."""
    return (
        *SEASONAL_MODELS,
        *models.global_models(freq),
        *LEVEL_MODELS,
        *(profiled_name(name) for name in LEVEL_MODELS),
        *(profiled_name(name) for name in models.weekly_models(freq)),
        BASELINE_MODEL,
    )


def group_candidates(seasonal: bool, freq: str = "D") -> list[str]:
    """Candidates combined for a smooth/erratic (``seasonal``) or an intermittent series."""
    return [c for c in candidates(freq) if seasonal or c not in SEASONAL_MODELS]


@dataclass(frozen=True)
class BacktestRows:
    """What one batch's backtest yields before anything is pooled (:func:`backtest_rows`).

    ``classes``: :func:`classify_series` of the batch plus ``long_enough``; ``cv``: backtest
    rows of the statsforecast candidates (no profiled twins yet); ``scales``: in-sample
    seasonal-naive ``mae, mse`` per backtested series; ``final`` (``backtest_rows(...,
    final=True)`` only): ``unique_id, ds`` and the same candidates' forecasts of the
    ``horizon`` periods after the data — the level models refitted on the last training
    slice, AutoETS/Theta rolled forward from their one fit at the first backtest window.
    """

    classes: pd.DataFrame
    cv: pd.DataFrame
    scales: pd.DataFrame
    final: pd.DataFrame | None = None


def backtest_rows(
    filled: pd.DataFrame,
    horizon: int,
    *,
    freq: str,
    season_length: int,
    n_windows: int,
    engine: str,
    n_jobs: int,
    final: bool = False,
) -> BacktestRows:
    """The statsforecast part of the backtest; batches of it can be concatenated.

    ``final``: also forecast past the data with the statsforecast candidates, in the same
    calls (one more window over :func:`forecasting.history.with_placeholders`): a seasonal
    model is then fitted once per series, not once for the backtest and again for the
    forecast (module doc of :mod:`forecasting.fits`).
    """
    if n_windows < 1:
        raise ValueError(f"n_windows must be >= 1, got {n_windows}")
    classes = classify_series(filled)
    classes["long_enough"] = classes["n_obs"] >= min_backtest_length(
        horizon, n_windows, season_length
    )
    tested = classes.loc[classes["long_enough"]].set_index("unique_id")
    if tested.empty:
        cv = pd.DataFrame(
            columns=["unique_id", "ds", "cutoff", "y", *REFIT_MODELS, *SEASONAL_MODELS,
                     *models.weekly_models(freq), *models.global_models(freq)]
        )
        return BacktestRows(classes, cv, pd.DataFrame(columns=["mae", "mse", "mse1"], dtype=float))
    part = filled.loc[filled["unique_id"].isin(tested.index)]
    cv, ahead = _cross_validate(
        part, tested, horizon, freq, season_length, n_windows, engine, n_jobs, final
    )
    return BacktestRows(classes, cv, _naive_scales(part, cv, season_length), ahead)


def concat_rows(parts: list[BacktestRows]) -> BacktestRows:
    """One :class:`BacktestRows` from the batches' (series are disjoint)."""
    frames = [p.cv for p in parts if not p.cv.empty]
    return BacktestRows(
        classes=pd.concat([p.classes for p in parts], ignore_index=True),
        cv=pd.concat(frames, ignore_index=True) if frames else parts[0].cv,
        scales=pd.concat([p.scales for p in parts]),
    )


def decide(
    rows: BacktestRows, filled: pd.DataFrame, freq: str, season_length: int
) -> Backtest:
    """Pool profiles and weights over every series of ``rows``, choose, score (module doc).

    ``filled`` holds (at least) every series of ``rows``: the profile is pooled over it.
    """
    classes = rows.classes
    short = classes.loc[~classes["long_enough"], ["unique_id"]].assign(
        model=SHORT_SERIES_MODEL, top_model=SHORT_SERIES_MODEL, selected_by="too_short"
    )
    if rows.cv.empty:
        chosen_all = short
        errors = pd.DataFrame(
            {
                "unique_id": pd.Series(dtype=str),
                "cutoff": pd.Series(dtype="datetime64[ns]"),
                "abs_error": pd.Series(dtype=float),
            }
        )
        weights = pd.DataFrame(columns=list(candidates(freq)), dtype=float)
    else:
        cv = add_profiled(rows.cv, filled, freq, season_length)
        demand_class = classes.set_index("unique_id")["demand_class"]
        chosen, errors, weights = choose(cv, demand_class, rows.scales, freq)
        chosen_all = pd.concat([chosen, short], ignore_index=True)
    selection = classes.merge(chosen_all, on="unique_id", how="left")
    selection = selection.sort_values("unique_id", kind="stable").reset_index(drop=True)
    return Backtest(
        selection=selection.loc[:, list(SELECTION_COLUMNS)],
        errors=errors,
        weights=weights,
    )


def _cross_validate(
    part: pd.DataFrame,
    tested: pd.DataFrame,
    horizon: int,
    freq: str,
    season_length: int,
    n_windows: int,
    engine: str,
    n_jobs: int,
    final: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Backtest predictions of every candidate fitted by statsforecast (NaN: not fitted),
    and with ``final`` their forecasts past the data (else None)."""
    common = {
        "freq": freq,
        "fallback": fallback_model(season_length),
        "engine": engine,
        "n_jobs": n_jobs,
        "h": horizon,
        "n_windows": n_windows + int(final),
        "step_size": horizon,
        "input_size": max_train_length(season_length),
    }
    data = with_placeholders(part, horizon, freq) if final else part
    cv = run_statsforecast(
        "cross_validation",
        data,
        [build_model(name, season_length) for name in REFIT_MODELS],
        refit=True,
        **common,
    )
    seasonal = tested.index[tested["demand_class"].isin(SEASONAL_CLASSES)]
    if len(seasonal):
        rolled = run_statsforecast(
            "cross_validation",
            data.loc[data["unique_id"].isin(seasonal)],
            [build_model(name, season_length) for name in SEASONAL_MODELS],
            refit=False,
            **common,
        )
        keys = ["unique_id", "cutoff", "ds"]
        cv = cv.merge(rolled[[*keys, *SEASONAL_MODELS]], on=keys, how="left")
    else:
        cv = cv.assign(**{name: np.nan for name in SEASONAL_MODELS})
    weekly = models.weekly_models(freq)
    if weekly:
        # Level models on 7-day totals, refitted at every cutoff (forecasting.weekly).
        levels = weekly_levels(part, cv, weekly, engine=engine, n_jobs=n_jobs)
        cv[list(weekly)] = levels[list(weekly)].to_numpy()
    ahead = None
    if final:
        # The extra window: its cutoff is each series' last period, its "actuals" placeholders.
        last = part.groupby("unique_id", sort=False)["ds"].max()
        beyond = (cv["cutoff"] == cv["unique_id"].map(last)).to_numpy()
        ahead = cv.loc[beyond].drop(columns=["cutoff", "y"]).reset_index(drop=True)
        cv = cv.loc[~beyond].reset_index(drop=True)
    if models.global_models(freq):
        # One fit across the batch's series per cutoff, on the same training window.
        pooled = global_model.backtest(
            part, cv["cutoff"].unique(), horizon, freq, max_train_length(season_length)
        )
        keys = ["unique_id", "cutoff", "ds"]
        cv = cv.merge(pooled[[*keys, global_model.NAME]], on=keys, how="left")
    return cv, ahead


def add_profiled(
    frame: pd.DataFrame, filled: pd.DataFrame, freq: str, season_length: int
) -> pd.DataFrame:
    """Add ``<level model>*profile`` columns to backtest or forecast rows.

    Each cutoff's profile is pooled over every series of ``filled`` on the
    ``max_train_length`` periods up to that cutoff (``frame`` without ``cutoff``: up to
    the end of ``filled``), so a backtest never sees the data it is scored on.
    """
    out = frame.copy()
    levels = [*LEVEL_MODELS, *(n for n in models.weekly_models(freq) if n in out.columns)]
    for name in levels:
        out[profiled_name(name)] = np.nan
    cutoffs = (
        out["cutoff"].unique() if "cutoff" in out else [filled["ds"].max()]
    )
    span = pd.tseries.frequencies.to_offset(freq) * max_train_length(season_length)
    for cutoff in cutoffs:
        rows = out["cutoff"] == cutoff if "cutoff" in out else slice(None)
        cut = pd.Timestamp(cutoff)
        train = filled.loc[(filled["ds"] <= cut) & (filled["ds"] > cut - span)]
        profile = pooled_profile(train, freq, season_length)
        for name in levels:
            out.loc[rows, profiled_name(name)] = apply_profile(
                out.loc[rows, name].to_numpy(), out.loc[rows, "ds"], profile, freq
            )
    return out


def _naive_scales(
    part: pd.DataFrame, cv: pd.DataFrame, season_length: int
) -> pd.DataFrame:
    """In-sample seasonal-naive MAE and MSE per series, on data up to the first cutoff."""
    first_cutoff = cv.groupby("unique_id")["cutoff"].min().rename("first_cutoff")
    train = part.merge(first_cutoff, left_on="unique_id", right_index=True)
    train = train.loc[train["ds"] <= train["first_cutoff"]]
    diff = train["y"] - train.groupby("unique_id")["y"].shift(season_length)
    by_series = train["unique_id"]
    # The weights' scale: one-step naive MSE over the whole history (M5's RMSSE scale).
    # Any per-series scale leaves a series' comparison unchanged; this one is the most
    # stable (short monthly series have few seasonal differences before the first cutoff).
    step = part["y"] - part.groupby("unique_id")["y"].shift(1)
    return pd.DataFrame(
        {
            "mae": diff.abs().groupby(by_series).mean(),
            "mse": (diff**2).groupby(by_series).mean(),
            "mse1": (step**2).groupby(part["unique_id"]).mean(),
        }
    )


def choose(
    cv: pd.DataFrame, demand_class: pd.Series, scales: pd.DataFrame, freq: str = "D"
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Combine per demand class, fall back to the naive where it is no worse (module doc).

    ``cv``: backtest rows with ``unique_id, y`` and every :func:`candidates` column of
    ``freq``;
    ``demand_class`` and ``scales`` (``mae, mse``) indexed by ``unique_id``.
    Returns ``(chosen, errors, weights)`` as in :class:`Backtest`.
    """
    names = list(candidates(freq))
    ids = cv["unique_id"].to_numpy()
    predictions = cv.loc[:, names].to_numpy(dtype=float)
    errors = predictions - cv["y"].to_numpy()[:, None]
    # A candidate that returned NaN (failed without a usable fallback) can never help.
    sq_err = pd.DataFrame(np.where(np.isnan(errors), np.inf, errors**2), columns=names)
    # Per series × backtest window: a candidate that cannot forecast one window (e.g.
    # WindowAverage's 24 months before an early cutoff) leaves that window out of the
    # class's comparison, not the whole class (which then fell back to equal weights).
    mse = sq_err.groupby([ids, cv["cutoff"].to_numpy()], sort=True).mean()
    order = mse.index.unique(level=0)
    scale = scales.reindex(order)
    cell_ids = mse.index.get_level_values(0)
    mse1 = scale["mse1"].where(scale["mse1"] > 0).reindex(cell_ids).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = mse.div(mse1, axis=0)
    classes = demand_class.reindex(order)
    cell_classes = pd.Series(demand_class.reindex(cell_ids).to_numpy(), index=mse.index)
    weights = pd.DataFrame(0.0, index=order, columns=names)
    for seasonal in (True, False):
        cells = cell_classes.isin(SEASONAL_CLASSES).to_numpy() == seasonal
        members = order[classes.isin(SEASONAL_CLASSES) == seasonal]
        if len(members):
            group = group_candidates(seasonal, freq)
            per_cell = class_weights(scaled.loc[cells, group], cell_classes.loc[cells])
            weights.loc[members, group] = (
                per_cell.groupby(level=0, sort=True).first().reindex(members).to_numpy()
            )
    global_names = models.global_models(freq)
    y_rows = cv["y"].to_numpy()
    row_scale = scale["mse1"].where(scale["mse1"] > 0).reindex(ids).to_numpy()
    # Convex weights fitted to each class's backtest rows (combine.stacked_weights); the power
    # weights above stay where a class has no usable row. Measured: on the monthly sets the
    # power weights spread over the near-equal level models and under-weighted LightGBM; on
    # Online Retail (daily) they were nearly equal (4-17 % each) and stacking did better,
    # 0.810 vs 0.812. Where a global model competes (monthly), the pooled stack is shrunk
    # toward the global model as far as a nested backtest says (combine.shrunk_weights).
    # docs/forecasting.md.
    row_class = demand_class.reindex(ids).to_numpy()
    cutoffs = cv["cutoff"].to_numpy()
    for seasonal in (True, False):
        group = group_candidates(seasonal, freq)
        columns = [names.index(c) for c in group]
        for cls in pd.unique(classes[classes.isin(SEASONAL_CLASSES) == seasonal]):
            rows = row_class == cls
            block = predictions[rows][:, columns]
            stacked: np.ndarray | None
            if global_names:
                fitted = shrunk_weights(block, y_rows[rows], row_scale[rows], ids[rows],
                                        cutoffs[rows], group.index(global_names[0]))
                stacked = None if fitted is None else fitted[0]
            else:
                stacked = stacked_weights(block, y_rows[rows], row_scale[rows])
            if stacked is not None and _covers(block, stacked):
                weights.loc[classes.index[classes == cls], group] = stacked
    row_weights = weights.reindex(ids).to_numpy()
    combined = combine(predictions, row_weights)
    naive = predictions[:, names.index(BASELINE_MODEL)]
    y = cv["y"].to_numpy()
    comb_err = np.where(np.isnan(combined), np.inf, combined - y)
    naive_err = naive - y
    per_series = pd.DataFrame(
        {
            "c_mse": comb_err**2,
            "c_mae": np.abs(comb_err),
            "n_mse": naive_err**2,
            "n_mae": np.abs(naive_err),
        }
    ).groupby(ids, sort=True).mean()
    use_naive = naive_wins_every_window(cv, comb_err, naive_err).reindex(order)
    if global_names and not naive_rule_pays(cv, comb_err, naive_err, row_scale):
        use_naive[:] = False
    mse_used = per_series["c_mse"].where(~use_naive, per_series["n_mse"])
    mae_used = per_series["c_mae"].where(~use_naive, per_series["n_mae"])
    with np.errstate(divide="ignore", invalid="ignore"):
        chosen = pd.DataFrame(
            {
                "unique_id": order.to_numpy(),
                "model": np.where(use_naive, BASELINE_MODEL, COMBINATION_MODEL),
                "mase": _finite_or_nan(mae_used / scale["mae"]),
                "rmsse": _finite_or_nan(np.sqrt(mse_used / scale["mse"])),
                "mase_seasonal_naive": _finite_or_nan(per_series["n_mae"] / scale["mae"]),
                "rmsse_seasonal_naive": _finite_or_nan(
                    np.sqrt(per_series["n_mse"] / scale["mse"])
                ),
                "top_model": np.asarray(names)[weights.to_numpy().argmax(axis=1)],
                "selected_by": "rmsse",
            }
        )
    naive_rows = use_naive.reindex(ids).to_numpy()
    used = pd.DataFrame(
        {
            "unique_id": ids,
            "cutoff": cv["cutoff"].to_numpy(),
            "abs_error": np.abs(np.where(naive_rows, naive_err, comb_err)),
        }
    )
    return chosen, used, weights.loc[~use_naive.to_numpy()]


def _covers(predictions: np.ndarray, weights: np.ndarray) -> bool:
    """Whether ``weights`` combine every row of ``predictions`` that has a finite candidate.

    Stacked weights are fitted on the rows where every candidate is finite; all on a
    candidate missing elsewhere (WindowAverage before its window fills) they would leave
    those rows without a forecast — and the series with an infinite backtest error.
    """
    combined = combine(predictions, np.broadcast_to(weights, predictions.shape))
    return not (np.isnan(combined) & np.isfinite(predictions).any(axis=1)).any()


def naive_wins_every_window(
    cv: pd.DataFrame, comb_err: np.ndarray, naive_err: np.ndarray
) -> pd.Series:
    """Per series: True where the seasonal naive's MSE is lower in EVERY backtest window.

    That is when the combination is "no better than the naive" and the series is planned on
    the naive. A per-series comparison of the pooled MSE alone flips on noise — a slow mover
    with no sale in the backtest makes the naive's zeros look perfect — and planning those
    series on the naive cost 2–4 points of RMSSE ratio on the real sets (docs/forecasting.md).
    A failed combination (no usable prediction) always loses.
    """
    frame = pd.DataFrame(
        {
            "unique_id": cv["unique_id"].to_numpy(),
            "cutoff": cv["cutoff"].to_numpy(),
            "comb": comb_err**2,
            "naive": naive_err**2,
        }
    )
    windows = frame.groupby(["unique_id", "cutoff"], sort=True)[["comb", "naive"]].mean()
    wins = (windows["naive"] < windows["comb"]) | ~np.isfinite(windows["comb"])
    return wins.groupby(level="unique_id").all()


def naive_rule_pays(
    cv: pd.DataFrame, comb_err: np.ndarray, naive_err: np.ndarray, scale: np.ndarray
) -> bool:
    """Whether :func:`naive_wins_every_window` held up out of sample in a nested backtest.

    The rule is applied to every backtest window but the last; the series it switches then
    must have a lower total scaled squared error (``scale`` per row: the series' one-step
    naive MSE) on the naive than on the combination in the last window. Used where a global
    model competes (monthly data): there the switched series did worse on the naive in the
    holdout (docs/forecasting.md). With one window there is nothing to check: True.
    """
    cutoff = cv["cutoff"].to_numpy()
    last = cutoff.max()
    early = cutoff < last
    if not early.any():
        return True
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame(
            {
                "unique_id": cv["unique_id"].to_numpy(),
                "comb": comb_err**2 / scale,
                "naive": naive_err**2 / scale,
            }
        )
    switched = naive_wins_every_window(cv.loc[early], comb_err[early], naive_err[early])
    switched = switched.index[switched.to_numpy()]
    late = frame.loc[~early & frame["unique_id"].isin(switched)]
    late = late.loc[np.isfinite(late["naive"]) & np.isfinite(late["comb"])]
    if late.empty:
        return True
    return bool(late["naive"].sum() < late["comb"].sum())


def _finite_or_nan(values: object) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return np.where(np.isfinite(array), array, np.nan)
