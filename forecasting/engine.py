"""Run statsforecast locally (process pool) or distributed through its fugue backend.

``engine="local"`` uses ``StatsForecast(n_jobs=...)``. ``engine="dask"`` hands statsforecast
a dask DataFrame; statsforecast then picks its own :class:`FugueBackend`, which partitions
by ``unique_id`` and runs the same models on the workers of the *current* dask client (or
dask's default scheduler when no client is active). ``engine="ray"`` does the same with a
ray Dataset and needs the optional ``ray`` package (not a project dependency).
Either way the caller gets a pandas frame back, sorted, with float64 forecast columns.
To use an existing dask cluster, wrap the run in :func:`dask_client` with its scheduler
address (the app reads it from ``STOCKWISE_DASK_SCHEDULER``, see ``app.planning.job``).
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from typing import Any

import pandas as pd
from statsforecast import StatsForecast

ENGINES = ("local", "dask", "ray")


def check_engine(engine: str) -> None:
    """Raise early for an engine we cannot run.

    Raises:
        ValueError: unknown engine name.
        ImportError: the engine's package is not installed (e.g. ``ray``).
    """
    if engine not in ENGINES:
        raise ValueError(
            f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}"
        )
    package = {"dask": "dask.dataframe", "ray": "ray"}.get(engine)
    if package is not None and importlib.util.find_spec(package.split(".")[0]) is None:
        raise ImportError(
            f"engine={engine!r} needs the {package.split('.')[0]!r} package, which is not "
            "installed; use engine='local' or install it"
        )


@contextlib.contextmanager
def dask_client(address: str | None) -> Iterator[Any]:
    """Connect to the dask scheduler at ``address`` for the duration of the block.

    Inside, ``engine="dask"`` runs on that cluster's workers (it becomes the current client).
    ``address`` None: do nothing (yield None); statsforecast then uses the current client
    or dask's default scheduler. The cluster itself is never started or stopped here.

    Raises:
        OSError: the scheduler cannot be reached (``distributed`` times out connecting).
    """
    if not address:
        yield None
        return
    from distributed import Client

    with Client(address, set_as_default=True) as client:
        yield client


def _distribute(frame: pd.DataFrame, engine: str) -> Any:
    if engine == "dask":
        import dask.dataframe as dd

        # A few partitions per worker is enough: fugue re-partitions by unique_id anyway.
        return dd.from_pandas(
            frame, npartitions=max(1, min(8, frame["unique_id"].nunique()))
        )
    import ray.data  # pragma: no cover - ray is not installed in CI

    return ray.data.from_pandas(frame)  # pragma: no cover


def _collect(result: Any) -> pd.DataFrame:
    if isinstance(result, pd.DataFrame):
        return result
    if hasattr(result, "compute"):  # dask
        return result.compute()
    return result.to_pandas()  # pragma: no cover - ray Dataset


def run_statsforecast(
    method: str,
    frame: pd.DataFrame,
    models: list[Any],
    *,
    freq: str,
    fallback: Any,
    engine: str,
    n_jobs: int,
    **kwargs: Any,
) -> pd.DataFrame:
    """Call ``StatsForecast.<method>`` (``"forecast"`` or ``"cross_validation"``) on ``frame``.

    Returns a pandas frame with ``unique_id`` (str), ``ds`` and the other statsforecast
    output columns, sorted by ``unique_id``, (``cutoff``,) ``ds``; model columns are float64
    (the fugue backend returns float32, so distributed results agree to ~1e-6 relative).
    """
    if frame.empty:
        raise ValueError("run_statsforecast needs at least one series")
    # n_jobs only matters locally; never start more processes than there are series.
    n_series = int(frame["unique_id"].nunique())
    jobs = 1 if n_series < 2 else n_jobs
    sf = StatsForecast(models=models, freq=freq, fallback_model=fallback, n_jobs=jobs)
    data = frame if engine == "local" else _distribute(frame, engine)
    result = _collect(getattr(sf, method)(df=data, **kwargs))
    result = result.reset_index(drop=result.index.name != "unique_id")
    result["unique_id"] = result["unique_id"].astype(str)
    result["ds"] = pd.to_datetime(result["ds"])
    order = (
        ["unique_id", "cutoff", "ds"]
        if "cutoff" in result.columns
        else ["unique_id", "ds"]
    )
    if "cutoff" in result.columns:
        result["cutoff"] = pd.to_datetime(result["cutoff"])
    value_columns = [
        c for c in result.columns if c not in ("unique_id", "ds", "cutoff")
    ]
    result[value_columns] = result[value_columns].astype("float64")
    return result.sort_values(order, kind="stable").reset_index(drop=True)
