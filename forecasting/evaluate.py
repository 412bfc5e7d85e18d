"""Accuracy of forecasts against actuals that arrived later (holdout / monitoring).

MASE = mean absolute error over the evaluated periods ÷ mean absolute in-sample
seasonal-naive error of the training data (lag = ``season_length``). Series whose scale is
zero (no seasonal change at all in training) have no MASE and are left out of summaries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def seasonal_naive_forecast(
    train: pd.DataFrame, horizon: int, season_length: int, freq: str
) -> pd.DataFrame:
    """Repeat each series' last ``season_length`` values: ``unique_id, ds, yhat``.

    ``train`` must be gap-filled (regular) and hold at least one season per series.
    """
    last = train.groupby("unique_id", sort=True).tail(season_length)
    season = last["y"].to_numpy().reshape(-1, season_length)
    ids = last["unique_id"].to_numpy()[::season_length]
    ends = last["ds"].to_numpy()[season_length - 1 :: season_length]
    offset = pd.tseries.frequencies.to_offset(freq)
    steps = np.arange(horizon)
    future = [
        pd.date_range(pd.Timestamp(end) + offset, periods=horizon, freq=offset)
        for end in ends
    ]
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, horizon),
            "ds": np.concatenate([f.to_numpy() for f in future]),
            "yhat": season[:, steps % season_length].reshape(-1),
        }
    )


def mase_by_series(
    train: pd.DataFrame,
    actuals: pd.DataFrame,
    forecasts: pd.DataFrame,
    season_length: int,
) -> pd.Series:
    """MASE per ``unique_id`` of ``forecasts.yhat`` against ``actuals.y`` (joined on id, ds).

    Periods missing from ``actuals`` count as zero demand. NaN where the scale is zero.
    """
    joined = forecasts[["unique_id", "ds", "yhat"]].merge(
        actuals[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="left"
    )
    joined["y"] = joined["y"].fillna(0.0)
    mae = (joined["yhat"] - joined["y"]).abs().groupby(joined["unique_id"]).mean()
    ordered = train.sort_values(["unique_id", "ds"], kind="stable")
    diff = ordered["y"] - ordered.groupby("unique_id")["y"].shift(season_length)
    scale = diff.abs().groupby(ordered["unique_id"]).mean().reindex(mae.index)
    return (mae / scale.where(scale > 0)).rename("mase")
