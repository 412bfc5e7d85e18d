"""The dask engine goes through statsforecast's fugue backend and must match local results,
on an existing cluster given by address (``STOCKWISE_DASK_SCHEDULER``)."""

import numpy as np
import pandas as pd
import pytest

from forecasting import run_forecast
from forecasting.engine import dask_client

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
pytest.importorskip("fugue_dask")

pytestmark = pytest.mark.slow


def small_history():
    rng = np.random.default_rng(7)
    days = pd.date_range("2024-01-01", periods=140, freq="D")
    frames = []
    for i in range(3):
        y = 20 + 10 * (days.dayofweek >= 5) + rng.normal(0, 2, len(days))
        frames.append(
            pd.DataFrame({"unique_id": f"fast{i}", "ds": days, "y": y.clip(0)})
        )
    for i in range(3):
        y = (rng.random(len(days)) < 0.2) * rng.integers(1, 5, len(days))
        frames.append(
            pd.DataFrame({"unique_id": f"slow{i}", "ds": days, "y": y.astype(float)})
        )
    frames.append(
        pd.DataFrame({"unique_id": "new", "ds": days[-6:], "y": [1.0, 3, 2, 2, 4, 0]})
    )
    return pd.concat(frames, ignore_index=True)


def test_dask_engine_forecasts_equal_local_engine_on_a_two_worker_cluster(monkeypatch):
    from forecasting.jobs import SCHEDULER_ENV, scheduler_address

    history = small_history()
    local = run_forecast(history, 14, n_jobs=1)
    # Loopback only, and generous start-up timeouts: CI machines are small and busy.
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "60s", "distributed.comm.timeouts.tcp": "60s"}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            host="127.0.0.1", scheduler_port=0, timeout="60s",
        ) as cluster,
    ):
        monkeypatch.setenv(SCHEDULER_ENV, cluster.scheduler_address)
        assert scheduler_address("local") is None  # only the dask engine connects
        with dask_client(scheduler_address("dask")) as client:
            assert client.scheduler.address == cluster.scheduler_address
            remote = run_forecast(history, 14, engine="dask")
    scores = ["mase", "rmsse", "mase_seasonal_naive", "rmsse_seasonal_naive"]
    pd.testing.assert_frame_equal(
        remote.selection.drop(columns=scores), local.selection.drop(columns=scores)
    )
    pd.testing.assert_frame_equal(
        remote.selection[scores], local.selection[scores], rtol=1e-4, atol=1e-4
    )
    # the fugue backend returns float32 columns: compare at float32 precision
    pd.testing.assert_frame_equal(
        remote.forecasts, local.forecasts, rtol=1e-4, atol=1e-4
    )
