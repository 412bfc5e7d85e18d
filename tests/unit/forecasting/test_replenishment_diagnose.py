"""bench/replenishment_diagnose.py on the replay test's synthetic demand: the recorded plans are
the policy's own orders, and the gap's four terms add up to achieved − target."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from replenishment import make_forecasts
from replenishment_diagnose import RecordingPolicy, credited, gap_terms, replay
from replenishment_sim import StockwisePolicy, simulate
from test_replenishment_replay import synthetic_scenario

from forecasting.fill_rate import DEFAULT_FLOOR_SHARE


def test_the_recorded_replay_is_the_bench_replay_and_the_terms_add_up() -> None:
    scenario, ids = synthetic_scenario()
    forecasts = make_forecasts(scenario, ids, every=28, horizon=28, cache=None, n_jobs=1)
    recording = RecordingPolicy(scenario, forecasts, mode="empirical", target=0.9, floor_share=DEFAULT_FLOOR_SHARE)
    demand, served = replay(scenario, recording)
    bench = simulate(scenario, StockwisePolicy(scenario, forecasts, mode="empirical", target=0.9,
                                               floor_share=DEFAULT_FLOOR_SHARE), "stockwise", "0.9")
    measured_from = scenario.start + scenario.warmup_days
    assert served[:, measured_from:].sum() / demand[:, measured_from:].sum() == pytest.approx(bench.fill_rate)
    assert recording.log and all(np.all((rec["beta"] > 0) & (rec["beta"] < 1)) for rec in recording.log.values())
    terms = gap_terms(0.9, credited(scenario, recording.log, demand, served))
    parts = terms["slack"] + terms["whole units"] + terms["weights"] + terms["curve"]
    assert parts == pytest.approx(terms["achieved"] - 0.9)
    assert terms["whole units"] >= -1e-9  # levels are rounded up, never down
