"""Loaders for the real demand sets (never copied into the repository; see their README).

The folder is ``$STOCKWISE_REAL_DATA`` if set, else ``../shared/data/real`` next to this
checkout or next to the main checkout of a git worktree. :func:`data_dir` returns None when
none exists, so callers skip with a reason.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path | None:
    """The real-data folder, or None when it is absent."""
    places = []
    if os.environ.get("STOCKWISE_REAL_DATA"):
        places.append(Path(os.environ["STOCKWISE_REAL_DATA"]))
    places.append(ROOT.parent / "shared" / "data" / "real")
    try:
        common = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()
        places.append(Path(common).parent.parent / "shared" / "data" / "real")
    except (OSError, subprocess.CalledProcessError):
        pass
    return next((p for p in places if p.is_dir()), None)


def load_online_retail(path: Path) -> pd.DataFrame:
    """Daily units per product (``unique_id`` read as text: codes like 85123A are mixed)."""
    frame = pd.read_csv(path, dtype={"unique_id": str}, parse_dates=["ds"])
    return frame[["unique_id", "ds", "y"]]


def load_carparts(path: Path) -> pd.DataFrame:
    """Monthly; parts with an unobserved (blank) month are left out, not read as zero."""
    wide = pd.read_csv(path)
    wide = wide.loc[wide.drop(columns="Part").notna().all(axis=1)]
    long = wide.melt(id_vars="Part", var_name="month", value_name="y")
    long["ds"] = pd.to_datetime(long["month"], format="%b-%y")
    return long.rename(columns={"Part": "unique_id"})[["unique_id", "ds", "y"]]


def load_raf(path: Path) -> pd.DataFrame:
    try:
        wide = pd.read_csv(path)
    except UnicodeDecodeError:
        wide = pd.read_csv(path, encoding="latin-1")
    months = [
        c for c in wide.columns if len(c) == 5 and c[:3].isalpha() and c[3:].isdigit()
    ]
    long = wide.melt(
        id_vars="Item Ref no", value_vars=months, var_name="month", value_name="y"
    )
    long["ds"] = pd.to_datetime(long["month"].str.title(), format="%b%y")
    long["y"] = long["y"].fillna(0.0)
    long["unique_id"] = long["Item Ref no"].astype(str)
    return long[["unique_id", "ds", "y"]]


@dataclass(frozen=True)
class RealSet:
    """One real set: file, loader, frequency, season and forecast horizon."""

    name: str
    file: str
    loader: Callable[[Path], pd.DataFrame]
    freq: str
    season_length: int
    horizon: int


# Carparts has 51 months: a 6-month horizon leaves room for three origins with three
# backtest windows each (33 months before the first origin).
SETS = (
    RealSet("online_retail", "online_retail_daily.csv.gz", load_online_retail, "D", 7, 28),
    RealSet("carparts", "carparts.csv", load_carparts, "MS", 12, 6),
    RealSet("raf_spare_parts", "raf_spare_parts.csv", load_raf, "MS", 12, 12),
)
