"""On an existing cluster given by address (``STOCKWISE_DASK_SCHEDULER``): the library's dask
engine (statsforecast's fugue backend) matches local results, and a whole forecast run with
``engine="dask"`` (batches sent to the workers) writes exactly what the local engine writes."""

import contextlib

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


@contextlib.contextmanager
def local_cluster():
    """Two single-threaded worker processes on loopback, with generous start-up timeouts:
    CI machines are small and busy."""
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "60s", "distributed.comm.timeouts.tcp": "60s"}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            host="127.0.0.1", scheduler_port=0, timeout="60s",
        ) as cluster,
    ):
        yield cluster


def test_dask_engine_forecasts_equal_local_engine_on_a_two_worker_cluster(monkeypatch):
    from app.planning.job import SCHEDULER_ENV, scheduler_address

    history = small_history()
    local = run_forecast(history, 14, n_jobs=1)
    with local_cluster() as cluster:
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


FORBIDDEN = ("app", "portal", "flask", "werkzeug", "sqlalchemy")


def test_a_run_on_a_two_worker_cluster_writes_what_the_local_engine_writes(app, session, monkeypatch):
    """The job sends compact batches to the dask workers, which import only forecasting/:
    the same series, forecasts and suggestions as the local engine, to the last bit."""
    from sqlalchemy import select

    from app.audit.service import Actor
    from app.db import utcnow
    from app.planning import service
    from app.planning.job import SCHEDULER_ENV, execute_run
    from app.planning.models import ForecastPoint, ForecastSeries, ReplenishmentSuggestion
    from tests.planning_data import make_catalogue

    make_catalogue(session, skus=8, days=90)
    session.commit()
    sessions = app.extensions["stockwise_db"].sessionmaker

    def run(engine):
        run = service.request_run(session, Actor.system("tests"), horizon_days=7, engine=engine, now=utcnow(),
                                  start=True)
        session.commit()
        assert execute_run(sessions, run.id, batch_size=4) == "succeeded"
        series = {(r.product_id, r.warehouse_id): (r.demand_class, r.model, r.mase, r.rmsse)
                  for r in session.scalars(select(ForecastSeries).where(ForecastSeries.run_id == run.id))}
        points = {(p.product_id, p.warehouse_id, p.ds): (p.yhat, p.yhat_lo_80, p.yhat_hi_80, p.yhat_lo_95,
                                                         p.yhat_hi_95)
                  for p in session.scalars(select(ForecastPoint).where(ForecastPoint.run_id == run.id))}
        skip = {"id", "run_id", "status", "created_at", "decided_at"}
        suggestions = sorted(
            tuple(sorted((k, v) for k, v in vars(s).items() if not k.startswith("_") and k not in skip))
            for s in session.scalars(select(ReplenishmentSuggestion).where(ReplenishmentSuggestion.run_id == run.id)))
        return series, points, suggestions

    local = run("local")
    with local_cluster() as cluster:
        monkeypatch.setenv(SCHEDULER_ENV, cluster.scheduler_address)
        remote = run("dask")
        with distributed.Client(cluster.scheduler_address) as client:
            loaded = client.run(lambda: sorted(
                __import__("sys").modules.keys() & {m for m in __import__("sys").modules
                                                    if m.split(".")[0] in FORBIDDEN}))
            ran_batches = client.run(lambda: "forecasting.batch" in __import__("sys").modules)
    assert len(local[0]) == 8 * 2 + 8 // 3 and len(local[1]) == len(local[0]) * 7 and local[2]
    assert remote == local
    assert all(ran_batches.values()) and len(ran_batches) == 2
    assert all(mods == [] for mods in loaded.values()), loaded
