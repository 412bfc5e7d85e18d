"""Replenishment policy replay on real daily demand (Online Retail) — not a test.

Every 7 days each policy re-plans with only the history known that day;
orders arrive after the lead time (7 and 14 days, ±30 %, seeded); unmet demand is lost
(engine: ``bench/replenishment_sim.py``). Policies: Stockwise (``forecasting.forecast`` →
``forecasting/replenish.py``, the code the app runs) in three modes — ``z`` (today's cycle
service level), ``fill`` (per-SKU fill-rate safety stock), ``allocate`` (one assortment fill
rate at minimum stock value) — with normal or gamma lead-time demand, optionally with the
forecast's bias and spread calibrated on its own past forecasts (``+pooled``, ``+quantile``,
``+sku``; ``forecasting.calibration.calibrate_spread``), against the days-of-cover min/max
with ``k`` swept. Summary lines: ``--policy`` (default: the best measured), after each lead
time where its stock goes against min/max at the same fill rate (by unit price and velocity).

Cost: the forecast does not depend on the lead time or the policy, so it is made once per
forecast day for ALL SKUs in one ``forecast()`` call and shared by every run; by default a
new forecast every 14 days (``--forecast-every``; a review in between uses the latest
forecast from its own day on, i.e. never data it could not have seen), cached under
``--cache`` so a second run only re-simulates. 1,736 SKUs × ~20 forecast days is about
20 × 35 s on two quiet cores. ``--sample N`` replays N SKUs (seeded) for a quick run.

Data: the real-data folder of ``bench/real_data.py`` (``$STOCKWISE_REAL_DATA``, else
``../shared/data/real`` beside this checkout or the main checkout of a worktree; read in place,
never copied); skipped with a reason when absent.

    python bench/replenishment.py --sample 200          # quick
    python bench/replenishment.py --svg /tmp/tradeoff.svg   # full (quiet machine)
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from real_data import data_dir  # noqa: E402  (bench/real_data.py)
from replenishment_sim import (  # noqa: E402  (bench/replenishment_sim.py)
    Forecasts,
    MinMaxPolicy,
    Outcome,
    Scenario,
    StockwisePolicy,
    interpolate_value,
    review_days,
    simulate,
)

from forecasting import forecast  # noqa: E402
from forecasting.fill_rate import DEFAULT_FLOOR_SHARE  # noqa: E402

DATA_FILE = "online_retail_daily.csv.gz"
MIN_HISTORY_DAYS = 56
GOAL_SAVING = 0.20
GOAL_CALIBRATION_POINTS = 2.0
# forecasting/ modules forecast() does not use: a change there keeps the cached forecasts
POLICY_MODULES = frozenset({"inventory.py", "fill_rate.py", "calibration.py", "replenish.py", "plan.py",
                            "network.py", "batch.py", "protection.py", "lost_sales.py"})
TARGETS = (0.85, 0.90, 0.95, 0.98, 0.99)
K_DAYS = (3, 5, 7, 10, 14, 18, 21, 28, 35, 42, 56, 70)


def real_data_dir() -> Path | None:
    """The real-data folder (:func:`real_data.data_dir`) when it holds Online Retail, else None."""
    folder = data_dir()
    return folder if folder is not None and (folder / DATA_FILE).is_file() else None


def load_online_retail(folder: Path, *, start: str, sample: int | None, seed: int) -> tuple[Scenario, list[str]]:
    """The demand matrix of SKUs with >= 8 weeks of history before ``start`` (NaN before the
    first sale), their median unit price, and their ids."""
    raw = pd.read_csv(folder / DATA_FILE, dtype={"unique_id": str}, parse_dates=["ds"])
    days = pd.date_range(raw["ds"].min(), raw["ds"].max(), freq="D")
    first = raw.groupby("unique_id")["ds"].min()
    start_day = pd.Timestamp(start)
    ids = sorted(first.index[first <= start_day - pd.Timedelta(days=MIN_HISTORY_DAYS)])
    if sample is not None and sample < len(ids):
        ids = sorted(np.random.default_rng(seed).choice(ids, size=sample, replace=False).tolist())
    raw = raw.loc[raw["unique_id"].isin(ids)]
    wide = raw.pivot(index="unique_id", columns="ds", values="y").reindex(index=ids, columns=days)
    price = raw.groupby("unique_id")["price"].median().reindex(ids)
    price = price.fillna(price.median())
    scenario = Scenario(demand=wide.to_numpy(dtype=float), price=price.to_numpy(dtype=float), days=days,
                        start=int(days.get_loc(start_day)), lead_days=7, seed=seed)
    return scenario, ids


def make_forecasts(scenario: Scenario, ids: list[str], *, every: int, horizon: int, cache: Path | None,
                   n_jobs: int) -> list[Forecasts]:
    """One ``forecast()`` call for all SKUs per forecast day (cached by SKUs, day, horizon and
    the source of ``forecasting/`` except :data:`POLICY_MODULES`, so a changed forecast method
    never reuses another's forecasts)."""
    out = []
    demand = scenario.demand
    method = hashlib.sha1(b"".join(p.read_bytes() for p in sorted((ROOT / "forecasting").glob("*.py"))
                                   if p.name not in POLICY_MODULES)).hexdigest()
    for day in review_days(scenario)[::max(every // scenario.review_days, 1)]:
        key = hashlib.sha1(f"{','.join(ids)}|{day}|{horizon}|{method}".encode()).hexdigest()[:16]
        path = cache / f"fc-{key}.npz" if cache else None
        if path is not None and path.is_file():
            saved = np.load(path)
            out.append(Forecasts(day, saved["yhat"], saved["hi95"]))
            continue
        rows = []
        for i, uid in enumerate(ids):
            known = demand[i, :day]
            first = int(np.argmax(~np.isnan(known)))
            rows.append(pd.DataFrame({"unique_id": uid, "ds": scenario.days[first:day], "y": known[first:]}))
        started = time.perf_counter()
        fc = forecast(pd.concat(rows, ignore_index=True), horizon, level=(80, 95), n_jobs=n_jobs)
        print(f"  forecast made on {scenario.days[day].date()}: {len(ids)} series in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        yhat = fc.pivot(index="unique_id", columns="ds", values="yhat").reindex(ids).to_numpy(dtype=float)
        hi95 = fc.pivot(index="unique_id", columns="ds", values="yhat_hi_95").reindex(ids).to_numpy(dtype=float)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, yhat=yhat, hi95=hi95)
        out.append(Forecasts(day, yhat, hi95))
    return out


def run_policies(scenario: Scenario, forecasts: list[Forecasts], *, targets: tuple[float, ...],
                 k_days: tuple[int, ...], modes: list[tuple[str, str]], floor_share: float = 0.85,
                 ) -> dict[str, list[Outcome]]:
    """Every policy × setting on one scenario: ``{policy name: outcomes}``."""
    results: dict[str, list[Outcome]] = {"min/max": [
        simulate(scenario, MinMaxPolicy(scenario, k), "min/max", f"k={k}") for k in k_days]}
    for mode, distribution in modes:
        base, _, calibrate = mode.partition("+")  # "allocate+pooled": spread calibrated, pooled or per SKU
        name = f"stockwise {base}" + ("" if base in ("z", "empirical") else f" {distribution}") + (
            f" {calibrate}" if calibrate else "")
        results[name] = [
            simulate(scenario, StockwisePolicy(scenario, forecasts, mode=base, target=t, distribution=distribution,
                                               calibrate=calibrate, floor_share=floor_share),
                     name, f"target {t:.1%}") for t in targets]
    return results


def print_table(lead: int, results: dict[str, list[Outcome]]) -> None:
    print(f"\n## lead time {lead} days (±30 %), review every 7 days, lost sales")
    print(f"{'policy':<26}{'setting':>14}{'fill rate':>11}{'cycle SL':>10}{'avg units':>12}{'avg value':>12}"
          f"{'orders':>9}")
    for outcomes in results.values():
        for o in outcomes:
            print(f"{o.policy:<26}{o.setting:>14}{o.fill_rate:>11.1%}{o.cycle_service_level:>10.1%}"
                  f"{o.average_units:>12,.0f}{o.average_value:>12,.0f}{o.orders:>9,}")


def calibration(results: dict[str, list[Outcome]]) -> list[str]:
    """Per fill-rate policy: asked vs achieved, and whether every setting is within ±2 points."""
    lines = []
    for name, outcomes in results.items():
        if name == "min/max" or " z" in name:
            continue
        gaps = [(o.fill_rate - float(o.setting.split()[-1].rstrip("%")) / 100) * 100 for o in outcomes]
        worst = max(gaps, key=abs)
        met = all(abs(g) <= GOAL_CALIBRATION_POINTS for g in gaps)
        lines.append(f"calibration {name}: achieved − asked " + ", ".join(f"{g:+.1f}" for g in gaps)
                     + f" points (goal ±{GOAL_CALIBRATION_POINTS:g}: {'met' if met else 'MISSED'}, worst {worst:+.1f})")
    return lines


def comparison(lead: int, name: str, results: dict[str, list[Outcome]], data: str,
               label: str | None = None) -> list[str]:
    """``<label> vs min/max at fill rate 90%: average stock value -X% (<data>, L=<lead>)`` lines."""
    label = label or name
    lines = []
    for target in (0.80, 0.90, 0.95):  # 80 %: where both curves overlap today (not a goal)
        ours, theirs = interpolate_value(results[name], target), interpolate_value(results["min/max"], target)
        if ours is None or theirs is None:
            lines.append(f"{label} vs min/max at fill rate {target:.0%}: not reached by both curves "
                         f"({data}, L={lead})")
            continue
        change = ours / theirs - 1
        goal = "met" if change <= -GOAL_SAVING else "MISSED"
        goal = goal if target >= 0.9 else "(no goal)"
        lines.append(f"{label} vs min/max at fill rate {target:.0%}: average stock value {change:+.1%} "
                     f"({data}, L={lead})   goal ≤ −{GOAL_SAVING:.0%}: {goal}")
    return lines


def breakdown(lead: int, name: str, results: dict[str, list[Outcome]], price: np.ndarray,
              near: float = 0.90) -> list[str]:
    """Where the stock goes: ``name``'s setting whose fill rate is nearest ``near`` against the
    min/max setting nearest to that fill rate, per quartile (and top decile) of unit price and of
    units demanded per day — demand share, fill rate and average stock value of each."""
    measured = [o for o in results[name] if o.stock is not None]
    if not measured:
        return []
    ours = min(measured, key=lambda o: abs(o.fill_rate - near))
    theirs = min((o for o in results["min/max"] if o.stock is not None), key=lambda o: abs(o.fill_rate - ours.fill_rate))
    assert ours.demanded is not None and ours.served is not None and ours.stock is not None
    assert theirs.served is not None and theirs.stock is not None
    lines = [f"\nwhere the stock goes (L={lead}): {name} {ours.setting} (fill {ours.fill_rate:.1%}, "
             f"{ours.average_value:,.0f}) vs min/max {theirs.setting} (fill {theirs.fill_rate:.1%}, "
             f"{theirs.average_value:,.0f})"]
    rate = ours.demanded / max(float(ours.demanded.sum()), 1.0)
    for label, key in (("unit price", price), ("SKU demand share", rate)):
        edges = np.quantile(key, [0, 0.25, 0.5, 0.75, 0.9, 1])
        lines.append(f"{'by ' + label:<22}{'SKUs':>6}{'demand':>8}{'ours fill':>11}{'ours value':>12}"
                     f"{'min/max fill':>14}{'min/max value':>15}{'difference':>12}")
        for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
            m = (key >= lo) & ((key < hi) if i < len(edges) - 2 else (key <= hi))
            d = float(ours.demanded[m].sum())
            ours_value, their_value = float((ours.stock[m] * price[m]).sum()), float((theirs.stock[m] * price[m]).sum())
            lines.append(f"{f'{lo:.3g}–{hi:.3g}':<22}{int(m.sum()):>6}{d / float(ours.demanded.sum()):>8.0%}"
                         f"{float(ours.served[m].sum()) / max(d, 1):>11.1%}{ours_value:>12,.0f}"
                         f"{float(theirs.served[m].sum()) / max(d, 1):>14.1%}{their_value:>15,.0f}"
                         f"{ours_value - their_value:>+12,.0f}")
    return lines


def write_svg(path: Path, curves: dict[int, dict[str, list[Outcome]]]) -> None:
    """Fill rate (x) vs average stock value (y), one panel per lead time, one line per policy."""
    width, height, pad = 460, 340, 50
    colours = ["#444444", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * len(curves)}" height="{height}" '
             'font-family="sans-serif" font-size="11">']
    for panel, (lead, results) in enumerate(sorted(curves.items())):
        x0 = panel * width
        points = [o for outcomes in results.values() for o in outcomes if np.isfinite(o.fill_rate)]
        fx_lo = max(0.6, min(0.8, min(o.fill_rate for o in points)))  # the range a buyer chooses from
        vy_hi = max(o.average_value for o in points if o.fill_rate >= fx_lo) * 1.05

        def sx(rate: float, fx_lo: float = fx_lo, x0: int = x0) -> float:
            return x0 + pad + (rate - fx_lo) / (1.0 - fx_lo) * (width - 2 * pad)

        def sy(value: float, vy_hi: float = vy_hi) -> float:
            return height - pad - value / vy_hi * (height - 2 * pad)

        parts.append(f'<text x="{x0 + pad}" y="20">Online Retail, lead time {lead} days</text>')
        parts.append(f'<line x1="{sx(fx_lo)}" y1="{sy(0)}" x2="{sx(1)}" y2="{sy(0)}" stroke="black"/>')
        parts.append(f'<line x1="{sx(fx_lo)}" y1="{sy(0)}" x2="{sx(fx_lo)}" y2="{sy(vy_hi)}" stroke="black"/>')
        parts.append(f'<text x="{sx(0.9) - 30}" y="{height - 15}">fill rate</text>')
        parts.append(f'<text x="{x0 + 5}" y="{pad - 10}">avg stock value (GBP)</text>')
        for tick in np.arange(np.ceil(fx_lo * 20) / 20, 1.0001, 0.05):
            parts.append(f'<text x="{sx(tick) - 10}" y="{sy(0) + 14}">{tick:.0%}</text>')
        parts.append(f'<text x="{x0 + 5}" y="{sy(vy_hi / 1.05) + 4}">{vy_hi / 1.05:,.0f}</text>')
        for i, (name, outcomes) in enumerate(results.items()):
            colour = colours[i % len(colours)]
            pts = sorted((o.fill_rate, o.average_value) for o in outcomes if fx_lo <= o.fill_rate)
            if not pts:
                continue
            line = " ".join(f"{sx(r):.1f},{sy(v):.1f}" for r, v in pts)
            parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
            parts.extend(f'<circle cx="{sx(r):.1f}" cy="{sy(v):.1f}" r="2.5" fill="{colour}"/>' for r, v in pts)
            parts.append(f'<text x="{sx(fx_lo) + 8}" y="{pad + 12 * i}" fill="{colour}">{name}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=None, help="replay this many SKUs (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", default="2011-03-15", help="first simulated day")
    parser.add_argument("--lead-times", default="7,14")
    parser.add_argument("--forecast-every", type=int, default=14, help="days between forecasts (multiple of 7)")
    parser.add_argument("--modes", default="z:normal,allocate+pooled:normal,empirical:normal",
                        help="mode[+calibration]:distribution, comma-separated; mode z, fill or allocate; "
                             "calibration pooled, quantile or sku; distribution normal or gamma; mode empirical: "
                             "allocation on past forecast errors per demand class (forecasting/protection.py)")
    parser.add_argument("--policy", default="stockwise empirical",
                        help="the policy of the summary lines (the best measured)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/stockwise-replenishment-cache"))
    parser.add_argument("--svg", type=Path, default=Path("replenishment-tradeoff.svg"))
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--floor-share", type=float, default=DEFAULT_FLOOR_SHARE,
                        help="allocation: a SKU's fill rate is at least this share of its group's target")
    parser.add_argument("--targets", default=",".join(str(t) for t in TARGETS))
    parser.add_argument("--horizon", type=int, default=28,
                        help="forecast days (past them demand goes on at the last week's mean)")
    parser.add_argument("--save", type=Path, default=None, help="also pickle the outcomes here (for --merge)")
    parser.add_argument("--merge", default=None,
                        help="comma-separated --save files (e.g. one per lead time run in parallel): "
                             "print their summary and draw one chart, without simulating")
    args = parser.parse_args()
    if args.merge:
        curves, summary = {}, []
        for part in args.merge.split(","):
            saved = pickle.loads(Path(part).read_bytes())  # noqa: S301 (a file this bench wrote with --save)
            curves.update(saved["curves"])
            summary.extend(saved["summary"])
        write_svg(args.svg, curves)
        print(f"trade-off chart: {args.svg}")
        print("\n".join(summary))
        return 0
    folder = real_data_dir()
    if folder is None:
        print(f"skipped: {DATA_FILE} not found ($STOCKWISE_REAL_DATA, ../shared/data/real)")
        return 0
    started = time.perf_counter()
    scenario, ids = load_online_retail(folder, start=args.start, sample=args.sample, seed=args.seed)
    leads = [int(v) for v in args.lead_times.split(",")]
    horizon = args.horizon
    print(f"Online Retail: {len(ids)} SKUs, replay {scenario.days[scenario.start].date()} – "
          f"{scenario.days[-1].date()}, forecast every {args.forecast_every} days (horizon {horizon})")
    forecasts = make_forecasts(scenario, ids, every=args.forecast_every, horizon=horizon, cache=args.cache,
                               n_jobs=args.n_jobs)
    modes = [tuple(m.split(":")) for m in args.modes.split(",")]
    curves, summary = {}, []
    for lead in leads:
        lead_scenario = Scenario(**{**scenario.__dict__, "lead_days": lead})
        results = run_policies(lead_scenario, forecasts, targets=tuple(float(t) for t in args.targets.split(",")),
                               k_days=K_DAYS, modes=[(m[0], m[1]) for m in modes], floor_share=args.floor_share)
        curves[lead] = results
        print_table(lead, results)
        for line in calibration(results):
            print(line)
        for name in results:
            if name != "min/max":
                print("\n".join(comparison(lead, name, results, "Online Retail")))
                if name == args.policy:
                    summary.extend(line for line in comparison(lead, name, results, "Online Retail", "policy")
                                   if "fill rate 80%" not in line)
                    print("\n".join(breakdown(lead, name, results, lead_scenario.price)))
    write_svg(args.svg, curves)
    if args.save is not None:
        args.save.write_bytes(pickle.dumps({"curves": curves, "summary": summary}))
    print(f"\ntrade-off chart: {args.svg}   ({time.perf_counter() - started:.0f} s)")
    print(f"goals: ≥ {GOAL_SAVING:.0%} less average stock value than the best min/max at the same fill rate "
          f"(90 % and 95 %, both lead times); achieved fill rate within ±{GOAL_CALIBRATION_POINTS:g} points "
          "of the one asked for")
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
