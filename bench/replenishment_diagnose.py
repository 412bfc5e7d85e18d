"""Why the replay's achieved fill rate falls short of the one asked — a diagnosis, not a test.

Runs the ``empirical`` policy of ``bench/replenishment.py`` (same data, forecasts, cache and
engine rules) while recording, per review and SKU, the allocated fill rate ``β``, the level
``S`` and the expected review-period demand ``D̂``; each review's plan is credited with the
days its order protects, ``[t + L, t + L + R)`` (``A`` demanded, served). Then::

    achieved − target = (allocated − target)                  slack and clamps of the allocation
                      + (β(S) − allocated)                    whole-unit levels
                      + (Σ A β(S) / Σ A − Σ D̂ β(S) / Σ D̂)      weights: actual, not expected demand
                      + (Σ served / Σ A − Σ A β(S) / Σ A)       the curve against what happened

the last two also by SKU kind (new, rising, falling, intermittent, smooth), month and forecast
age; and the scenarios against the demand that followed (PIT, units above their quantiles).

``--hindsight``: the error pool fitted on each review's own window (the forecast in use
against what then sold, per class) — perfect class-level errors, to separate the scenarios
from the curve and the dynamics. ``--static``: no forecast at all — per SKU its own actual
protection-period sums (every daily-start window of the measured period) as scenarios, the
curve's level for the target, and the replay at that constant level on the same demand.

    python bench/replenishment_diagnose.py --targets 0.8,0.9,0.95 --lead-times 7
    python bench/replenishment_diagnose.py --static --lead-times 7,14
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from replenishment import load_online_retail, make_forecasts, real_data_dir  # noqa: E402
from replenishment_sim import Scenario, StockwisePolicy, lead_time_draws, opening_state, review_days  # noqa: E402

from forecasting import lost_sales, protection  # noqa: E402
from forecasting.fill_rate import DEFAULT_FLOOR_SHARE  # noqa: E402
from forecasting.replenish import allocate_fill_rates_to_items, replenish  # noqa: E402

Array = np.ndarray
KINDS = ("new", "rising", "falling", "intermittent", "smooth")


class RecordingPolicy(StockwisePolicy):
    """The ``empirical`` policy, recording each review's plan in ``self.log[day]``."""

    hindsight = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.log: dict[int, dict[str, Array]] = {}

    def __call__(self, day: int, on_hand: Array, on_order: Array) -> Array:
        items = allocate_fill_rates_to_items(self.items(day, on_hand, on_order), {"all": self.target},
                                             ["all"] * on_hand.shape[0], self.scenario.price.tolist(),
                                             floor_share=self.floor_share)
        plans = [replenish(item) for item in items]
        level = np.array([p.order_up_to for p in plans])
        rec = {"beta": np.array([item.fill_rate for item in items], dtype=float), "level": level,
               "review_demand": np.array([p.review_period_demand for p in plans])}
        if all(item.fill_rate_curve is not None for item in items):
            curves = [item.fill_rate_curve for item in items]
            rec["beta_at_level"] = lost_sales.fill_rate_at(level, [c[0] for c in curves if c], [c[1] for c in curves if c])
            rec["scenarios"] = np.array([item.protection_scenarios for item in items], dtype=np.float32)
        else:
            rec["beta_at_level"] = rec["beta"]
        self.log[day] = rec
        return np.array([p.suggested_quantity for p in plans], dtype=float)

    def error_pool(self, day: int, origins: int = 8) -> protection.ErrorPool | None:
        period = round(self.lead.mean_days + self.scenario.review_days)
        if not self.hindsight or day + period > self.demand.shape[1]:
            return super().error_pool(day, origins)
        fc = [f for f in self.forecasts if f.made_on <= day][-1]
        offset = day - fc.made_on
        window = fc.yhat[:, offset:offset + period]
        total = window.sum(axis=1) * period / window.shape[1]
        sigma_d = np.maximum(fc.hi95[:, offset:] - fc.yhat[:, offset:], 0).mean(axis=1) / 1.959963984540054
        cv = sigma_d * math.sqrt(period) / np.maximum(total, protection.FLOOR_UNITS)
        return protection.fit_error_pool(total, self.demand[:, day:day + period].sum(axis=1), cv)


class HindsightPolicy(RecordingPolicy):
    hindsight = True


def replay(scenario: Scenario, plan: object) -> tuple[Array, Array]:
    """``bench/replenishment_sim.simulate``'s day loop, keeping the daily (demand, served)."""
    demand, leads, arrivals, on_hand = opening_state(scenario)
    n_skus, n_days = demand.shape
    served = np.zeros_like(demand)
    reviews = {day: i for i, day in enumerate(review_days(scenario))}
    for day in range(scenario.start, n_days):
        on_hand += arrivals[day]
        if day in reviews:
            order = np.maximum(np.asarray(plan(day, on_hand.copy(), arrivals[day + 1:].sum(axis=0)), dtype=float), 0)  # type: ignore[operator]
            np.add.at(arrivals, (day + leads[reviews[day]], np.arange(n_skus)), order)
        served[:, day] = np.minimum(on_hand, demand[:, day])
        on_hand -= served[:, day]
    return demand, served


def kinds(raw: Array, day: int) -> Array:
    """Each SKU's kind at ``day`` from the history before it: new (first sale < 13 weeks ago),
    rising / falling (last 4 weeks' rate > 1.5 × / < 0.67 × the 13 weeks before), intermittent
    (ADI over 13 weeks > 1.32), else smooth."""
    first = np.argmax(~np.isnan(raw[:, :day]), axis=1)
    d = np.nan_to_num(raw[:, :day])
    adi = 91 / np.maximum((d[:, -91:] > 0).sum(axis=1), 1e-9)
    recent, before = d[:, -28:].mean(axis=1), d[:, -119:-28].mean(axis=1)
    ramp = np.where(before > 0, recent / np.maximum(before, 1e-9), np.inf)
    out = np.full(raw.shape[0], "smooth", dtype=object)
    out[adi > 1.32] = "intermittent"
    out[ramp < 0.67] = "falling"
    out[ramp > 1.5] = "rising"
    out[day - first < 91] = "new"
    return out


def credited(scenario: Scenario, log: dict[int, dict[str, Array]], demand: Array, served: Array) -> dict[str, Array]:
    """Per (review, SKU) inside the measured days: the plan and what its protected days saw."""
    lead, review, n_days = scenario.lead_days, scenario.review_days, demand.shape[1]
    measured_from = scenario.start + scenario.warmup_days
    cols: dict[str, list[Array]] = {k: [] for k in ("A", "served", "beta", "beta_S", "dhat", "day", "kind")}
    for day, rec in sorted(log.items()):
        lo, hi = day + lead, day + lead + review
        if lo < measured_from or hi > n_days:
            continue
        cols["A"].append(demand[:, lo:hi].sum(axis=1))
        cols["served"].append(served[:, lo:hi].sum(axis=1))
        cols["beta"].append(rec["beta"])
        cols["beta_S"].append(rec["beta_at_level"])
        cols["dhat"].append(rec["review_demand"])
        cols["day"].append(np.full(demand.shape[0], day))
        cols["kind"].append(kinds(scenario.demand, day))
    return {k: np.concatenate(v) for k, v in cols.items()}


def gap_terms(target: float, c: dict[str, Array]) -> dict[str, float]:
    """The credited days' achieved fill rate and the four terms of the module doc (fractions;
    they add up to achieved − target)."""
    a, dh, b, bs = c["A"], c["dhat"], c["beta"], c["beta_S"]
    achieved = float(c["served"].sum() / a.sum())
    allocated, at_level = float((dh * b).sum() / dh.sum()), float((dh * bs).sum() / dh.sum())
    actual_weighted = float((a * bs).sum() / a.sum())
    return {"achieved": achieved, "slack": allocated - target, "whole units": at_level - allocated,
            "weights": actual_weighted - at_level, "curve": achieved - actual_weighted,
            "actual ÷ expected": float(a.sum() / dh.sum())}


def decomposition(target: float, c: dict[str, Array]) -> list[str]:
    t = gap_terms(target, c)
    return [f"  credited days: achieved {t['achieved']:.4f} ({(t['achieved'] - target) * 100:+.2f} points); "
            f"Σ actual ÷ Σ expected review demand {t['actual ÷ expected']:.3f}",
            f"    allocation slack and clamps        {t['slack'] * 100:+.2f}",
            f"    whole-unit levels                  {t['whole units'] * 100:+.2f}",
            f"    actual- not expected-demand weights {t['weights'] * 100:+.2f}",
            f"    the curve against what happened    {t['curve'] * 100:+.2f}"]


def by_group(c: dict[str, Array], labels: Array, order: list[str]) -> list[str]:
    a, dh, bs, sv = c["A"], c["dhat"], c["beta_S"], c["served"]
    lines = []
    for g in order:
        m = labels == g
        if not m.any() or a[m].sum() <= 0:
            continue
        curve = (sv[m].sum() - (a[m] * bs[m]).sum()) / a.sum() * 100
        weights = ((a[m] * bs[m]).sum() / a.sum() - (dh[m] * bs[m]).sum() / dh.sum()) * 100
        lines.append(f"    {g:<13} demand {a[m].sum() / a.sum():6.1%}  asked {(a[m] * bs[m]).sum() / a[m].sum():.3f}  "
                     f"achieved {sv[m].sum() / a[m].sum():.3f}  actual ÷ expected {a[m].sum() / dh[m].sum():.3f}  "
                     f"points: curve {curve:+.2f}, weights {weights:+.2f}")
    return lines


def scenario_check(scenario: Scenario, log: dict[int, dict[str, Array]], demand: Array) -> list[str]:
    """The scenarios over ``P`` against the demand over ``P`` that followed each review."""
    period = scenario.lead_days + scenario.review_days
    measured_from = scenario.start + scenario.warmup_days
    rows, actual = [], []
    for day, rec in sorted(log.items()):
        if "scenarios" in rec and measured_from <= day + scenario.lead_days and day + period <= demand.shape[1]:
            rows.append(rec["scenarios"].astype(float))
            actual.append(demand[:, day:day + period].sum(axis=1))
    x, y = np.concatenate(rows), np.concatenate(actual)
    pit = (x < y[:, None]).mean(axis=1) + 0.5 * (x == y[:, None]).mean(axis=1)
    lines = [f"  scenarios vs the demand over P that followed ({y.size:,} SKU-reviews): Σ actual ÷ Σ scenario "
             f"mean {y.sum() / x.mean(axis=1).sum():.3f}; PIT mean {pit.mean():.3f}, above the 90th percentile "
             f"{(pit > 0.9).mean():.3f}, below the 10th {(pit < 0.1).mean():.3f}"]
    for q in (0.8, 0.9, 0.95):
        level = np.quantile(x, q, axis=1)
        model, real = np.maximum(x - level[:, None], 0).mean(axis=1).sum(), np.maximum(y - level, 0).sum()
        lines.append(f"    units above the scenarios' {q:.0%} quantile: expected {model:,.0f}, actual {real:,.0f} "
                     f"(× {real / max(model, 1):.2f})")
    return lines


def diagnose(scenario: Scenario, forecasts: list, target: float, hindsight: bool) -> None:
    policy = (HindsightPolicy if hindsight else RecordingPolicy)(
        scenario, forecasts, mode="empirical", target=target, floor_share=DEFAULT_FLOOR_SHARE)
    demand, served = replay(scenario, policy)
    measured_from = scenario.start + scenario.warmup_days
    achieved = served[:, measured_from:].sum() / demand[:, measured_from:].sum()
    print(f"\n## L={scenario.lead_days}, target {target:.0%}{' (hindsight pool)' if hindsight else ''}: "
          f"achieved {achieved:.2%} ({(achieved - target) * 100:+.2f} points, the bench's days)")
    c = credited(scenario, policy.log, demand, served)
    print("\n".join(decomposition(target, c)))
    print("  by SKU kind at the review:")
    print("\n".join(by_group(c, c["kind"], list(KINDS))))
    print("  by month of the protected days:")
    months = np.array([str(scenario.days[d + scenario.lead_days].to_period("M")) for d in c["day"]])
    print("\n".join(by_group(c, months, sorted(set(months.tolist())))))
    print("\n".join(scenario_check(scenario, policy.log, demand)))


def fixed_level_fill(scenario: Scenario, level: Array, lead_spread: float) -> float:
    """The replay's fill rate at a constant order-up-to ``level`` per SKU."""
    demand = np.nan_to_num(scenario.demand, nan=0.0)
    n_skus, n_days = demand.shape
    leads = (lead_time_draws(scenario) if lead_spread else
             np.full((len(review_days(scenario)), n_skus), scenario.lead_days))
    arrivals = np.zeros((n_days + int(leads.max()) + 1, n_skus))
    on_hand = level.copy()
    reviews = {day: i for i, day in enumerate(review_days(scenario))}
    measured_from = scenario.start + scenario.warmup_days
    served_total = 0.0
    for day in range(scenario.start, n_days):
        on_hand += arrivals[day]
        if day in reviews:
            order = np.maximum(level - on_hand - arrivals[day + 1:].sum(axis=0), 0)
            np.add.at(arrivals, (day + leads[reviews[day]], np.arange(n_skus)), order)
        served = np.minimum(on_hand, demand[:, day])
        on_hand -= served
        served_total += served.sum() if day >= measured_from else 0.0
    return served_total / demand[:, measured_from:].sum()


def static(scenario: Scenario, targets: list[float]) -> None:
    period = scenario.lead_days + scenario.review_days
    demand = np.nan_to_num(scenario.demand, nan=0.0)[:, scenario.start + scenario.warmup_days:]
    sums = np.lib.stride_tricks.sliding_window_view(demand, period, axis=1).sum(axis=2)
    rows = np.quantile(sums, (np.arange(protection.POINTS) + 0.5) / protection.POINTS, axis=1).T
    levels, rates = lost_sales.fill_rate_curves(rows, scenario.review_days, period)
    weight = rows.mean(axis=1)
    for target in targets:
        level = lost_sales.level_for_fill_rate(target, levels, rates)
        curve = (lost_sales.fill_rate_at(level, levels, rates) * weight).sum() / weight.sum()
        short = np.maximum(rows - level[:, None], 0).mean(axis=1)
        d_r = weight * scenario.review_days / period
        single = (d_r * (1 - short / (d_r + short))).sum() / d_r.sum()
        print(f"L={scenario.lead_days} target {target:.0%}, own actual sums as scenarios, one level per SKU: "
              f"curve {curve:.3f}, single-cycle formula {single:.3f}, E[min(X, S)]/E[X] "
              f"{(np.minimum(rows, level[:, None]).mean(axis=1)).sum() / weight.sum():.3f}; replay at that level: "
              f"lead {scenario.lead_days} days {fixed_level_fill(scenario, level, 0):.3f}, "
              f"±30 % {fixed_level_fill(scenario, level, 0.3):.3f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--targets", default="0.8,0.9,0.95")
    parser.add_argument("--lead-times", default="7")
    parser.add_argument("--hindsight", action="store_true", help="pool fitted on each review's own window")
    parser.add_argument("--static", action="store_true", help="the curve on each SKU's own actual sums")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/stockwise-replenishment-cache"))
    args = parser.parse_args()
    folder = real_data_dir()
    if folder is None:
        print("skipped: the real data set is not there (see bench/replenishment.py)")
        return 0
    scenario, ids = load_online_retail(folder, start="2011-03-15", sample=args.sample, seed=0)
    targets = [float(t) for t in args.targets.split(",")]
    forecasts = [] if args.static else make_forecasts(scenario, ids, every=14, horizon=28, cache=args.cache,
                                                      n_jobs=-1)
    for lead in (int(v) for v in args.lead_times.split(",")):
        lead_scenario = Scenario(**{**scenario.__dict__, "lead_days": lead})
        if args.static:
            static(lead_scenario, targets)
            continue
        for target in targets:
            diagnose(lead_scenario, forecasts, target, args.hindsight)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
