"""A global LightGBM model across all series of a batch (mlforecast), one candidate.

One model is fitted on every series of the batch at once (per batch, not per series: the
batch is what a task holds, so the forecasts still depend only on the batch and are the same
on any executor). Recursive forecasts from lags, rolling and exponentially weighted means
and calendar features (weekday and month for daily data, month for monthly data); Tweedie
objective on the raw units; each series' rows weighted by 1 / its one-step naive MSE, so
the loss is the RMSSE² the combination weighs candidates by and a big seller does not
dominate the fit. No price or promotion features: promotion uplift is removed before
fitting (:mod:`forecasting.events`), and a price known only on days with a sale would leak
the sale. Deterministic (one thread, fixed seed).

Backtest: refitted at every backtest cutoff on the data up to it (:func:`backtest`), like
the level models, so its weight in the combination is earned out of sample.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

NAME = "LightGBM"
# Trees and leaves: enough for a few hundred series × a year; more did not help on the sets.
PARAMS: dict[str, Any] = {
    "objective": "tweedie",
    "n_estimators": 300,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 50,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "num_threads": 1,
    "deterministic": True,
    "seed": 0,
    "verbose": -1,
}


def _features(freq: str) -> tuple[list[int], dict[int, list[Any]], list[str]]:
    from mlforecast.lag_transforms import (
        ExponentiallyWeightedMean,
        RollingMean,
        SeasonalRollingMean,
    )

    if freq == "D":
        transforms: dict[int, list[Any]] = {
            1: [RollingMean(7), RollingMean(28), ExponentiallyWeightedMean(0.1)],
            7: [SeasonalRollingMean(7, 4)],
        }
        return [1, 7, 14, 28], transforms, ["dayofweek", "month"]
    transforms = {
        1: [RollingMean(3), RollingMean(6), RollingMean(12), ExponentiallyWeightedMean(0.2)]
    }
    return [1, 2, 3, 12], transforms, ["month"]


def forecast(train: pd.DataFrame, horizon: int, freq: str) -> pd.DataFrame:
    """``unique_id, ds, LightGBM``: ``horizon`` periods after each series' last date.

    ``train`` (``unique_id, ds, y``, gap-free) is used as given: the caller trims it to the
    training window. Forecasts are clipped at zero.
    """
    import lightgbm as lgb
    from mlforecast import MLForecast

    frame = train[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"], kind="stable")
    ids = frame["unique_id"]
    step = frame["y"] - frame.groupby(ids, sort=False)["y"].shift(1)
    mse1 = (step**2).groupby(ids).mean()
    frame = frame.assign(weight=1.0 / ids.map(mse1).clip(lower=1e-3).fillna(1.0))
    lags, transforms, dates = _features(freq)
    model = MLForecast(
        models={NAME: lgb.LGBMRegressor(**PARAMS)},
        freq=freq,
        lags=lags,
        lag_transforms=transforms,
        date_features=dates,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # dropna=False: rows whose longest lag reaches before the series' start stay in
        # (LightGBM splits on missing values), so short monthly series still train it.
        model.fit(frame, weight_col="weight", dropna=False)
        out = model.predict(horizon)
    out[NAME] = np.clip(out[NAME].to_numpy(dtype=float), 0.0, None)
    out["unique_id"] = out["unique_id"].astype(frame["unique_id"].dtype)
    return out[["unique_id", "ds", NAME]].reset_index(drop=True)


def backtest(
    filled: pd.DataFrame, cutoffs: np.ndarray, horizon: int, freq: str, max_train: int
) -> pd.DataFrame:
    """``unique_id, cutoff, ds, LightGBM``: one fit per cutoff on the last ``max_train``
    periods up to it, forecasting the ``horizon`` periods after it."""
    parts = []
    for cutoff in sorted(pd.to_datetime(cutoffs)):
        train = filled.loc[filled["ds"] <= cutoff]
        train = train.groupby("unique_id", sort=False).tail(max_train)
        if train.empty:
            continue
        parts.append(forecast(train, horizon, freq).assign(cutoff=cutoff))
    if not parts:
        return pd.DataFrame(columns=["unique_id", "cutoff", "ds", NAME])
    return pd.concat(parts, ignore_index=True)
