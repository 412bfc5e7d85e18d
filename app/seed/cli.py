"""`flask seed-demo`: fill the database with a realistic, deterministic demo history."""
from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
from flask import current_app
from tqdm import tqdm

from app.console import fail
from app.db import session as db_session
from app.db import transaction, utcnow
from app.errors import DomainError
from app.seed import service as seed_service
from app.seed.demand import FIRST_YEAR, LAST_YEAR
from app.seed.service import SeedResult

LOGINS_FILE = "demo-logins.txt"


def _progress(batches: Iterable[Any]) -> Iterable[Any]:
    items = list(batches)
    return tqdm(items, total=len(items), desc="writing stock history", unit="batch", file=sys.stderr, leave=False)


def _logins_text(result: SeedResult) -> str:
    lines = ["Demo logins (staff sign in at /login; supplier logins are for the supplier portal):"]
    lines += [f"  {login.realm:8} {login.role:10} {login.email:38} {login.password}" for login in result.logins]
    return "\n".join(lines) + "\n"


@click.command("seed-demo")
@click.option("--skus", type=click.IntRange(1, 5000), default=200, show_default=True, help="Number of products.")
@click.option("--days", type=click.IntRange(60, 1460), default=730, show_default=True, help="Days of history.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=7, show_default=True, help="Random seed.")
@click.option("--end-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of the history (default: yesterday, UTC).")
@click.option("--reset", is_flag=True, help="Delete all data (not the schema) first.")
@click.option("--if-empty", is_flag=True, help="Do nothing (exit 0) if the database already holds data.")
def seed_demo(skus: int, days: int, seed: int, end_date: dt.datetime | None, reset: bool, if_empty: bool) -> None:
    """Seed a demo: 1 cloud + 4 forward warehouses, suppliers, and DAYS days of stock history.

    Deterministic for a seed and end date. Everything is written in one transaction.
    """
    end = end_date.date() if end_date else utcnow().date() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    if start.year < FIRST_YEAR or end.year > LAST_YEAR:
        fail(f"the history must lie within {FIRST_YEAR}–{LAST_YEAR} (it would run {start} to {end})")
    if if_empty and not reset:
        found = seed_service.existing_data(db_session())
        db_session().rollback()
        if found:
            click.echo("seed-demo: the database already holds data; nothing done")
            return
    started = time.perf_counter()
    try:
        with transaction() as s:
            result = seed_service.seed_demo(s, skus=skus, days=days, seed=seed, end=end, reset=reset, progress=_progress)
    except DomainError as exc:
        fail(exc.detail)
    elapsed = time.perf_counter() - started
    logins = _logins_text(result)
    path = Path(current_app.instance_path) / LOGINS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(logins)
    click.echo(f"seeded {skus} products × {days} days ({result.start} to {result.end}) in {elapsed:.1f} s")
    width = max(len(label) for label, _ in result.counts)
    for label, count in result.counts:
        click.echo(f"  {label:{width}}  {count:>9,}")
    click.echo(f"  {'lost sales (units)':{width}}  {result.lost_units:>9,}")
    click.echo()
    click.echo(logins, nl=False)
    click.echo(f"(also written to {path}); run `flask --app wsgi run` and open http://127.0.0.1:5000/")

