"""Operator commands of the stock API: expire reservations, deliver webhooks, verify stock.

    flask --app wsgi reservations expire     # cron, every minute
    flask --app wsgi webhooks deliver --loop # a long-running process (or cron without --loop)
    flask --app wsgi stock verify            # non-zero exit on any drift
    flask --app wsgi stock hot-scan          # cron, every minute: mark SKUs whose rows have queues hot
"""
from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup

from app.api.idempotency import prune_idempotency_records
from app.api.webhooks import deliver_pending
from app.audit.service import Actor
from app.db import session, transaction, utcnow
from app.stock import buckets
from app.stock.models import MAX_BUCKETS
from app.stock.reservations import expire_reservations
from app.stock.verify import verify_stock

CRON = Actor.system("cron")

reservations_cli = AppGroup("reservations", help="Stock reservations of the order system.")


@reservations_cli.command("expire")
def reservations_expire() -> None:
    """Release every overdue reservation (status expired) and forget idempotency keys older than 24 h."""
    with transaction() as s:
        now = utcnow()
        expired = expire_reservations(s, CRON, now=now)
        pruned = prune_idempotency_records(s, now=now)
    click.echo(f"expired {expired} reservation(s); pruned {pruned} idempotency key(s)")


webhooks_cli = AppGroup("webhooks", help="Webhook delivery of stock changes.")


@webhooks_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering until interrupted.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between rounds with --loop.")
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 1000))
def webhooks_deliver(loop: bool, interval: float, batch_size: int) -> None:
    """POST pending stock changes to every due webhook (signed, in order, at least once)."""
    while True:
        delivered, failed = deliver_pending(batch_size=batch_size)
        if not loop:
            click.echo(f"delivered {delivered} batch(es); {failed} failed attempt(s)")
            return
        time.sleep(interval)


stock_cli = AppGroup("stock", help="Stock ledger checks and hot-SKU mode.")


@stock_cli.command("verify")
def stock_verify() -> None:
    """Recompute balances from the ledger, reservations and transfers; exit 1 on any drift."""
    drift = verify_stock(session())
    for d in drift:
        click.echo(f"DRIFT {d.sku} @ {d.warehouse}: {d.field} stored {d.stored}, expected {d.expected}")
    if drift:
        click.echo(f"{len(drift)} drifting figure(s)", err=True)
        sys.exit(1)
    click.echo("stock verified: every balance matches the ledger, reservations and transfers")


@stock_cli.command("hot-scan")
@click.option("--samples", default=buckets.SCAN_SAMPLES, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--interval", default=buckets.SCAN_INTERVAL_SECONDS, show_default=True, type=click.FloatRange(0, 10),
              help="Seconds between two looks at the lock table.")
@click.option("--threshold", default=buckets.SCAN_THRESHOLD, show_default=True, type=click.FloatRange(0.01, None),
              help="Mean backends waiting on one balance that makes its SKU hot.")
@click.option("--buckets", "count", default=buckets.DEFAULT_BUCKETS, show_default=True,
              type=click.IntRange(2, MAX_BUCKETS), help="Stock buckets per balance of a SKU marked hot.")
def stock_hot_scan(samples: int, interval: float, threshold: float, count: int) -> None:
    """Measure lock waits per balance (PostgreSQL's pg_locks, `samples` looks) and put the SKU of
    every balance with at least `threshold` waiters on average in hot-SKU mode."""
    waits = buckets.sample_lock_waits(session(), samples=samples, interval=interval)
    with transaction() as s:
        marked = buckets.mark_hot_from_waits(s, Actor.system("hot-scan"), waits, now=utcnow(), threshold=threshold,
                                             buckets=count)
    worst = max(waits.values(), default=0.0)
    click.echo(f"{len(waits)} balance(s) with lock waiters (most: {worst:.2f} on average); "
               f"marked hot: {', '.join(m.sku for m in marked) or 'none'}")


COMMANDS = [reservations_cli, webhooks_cli, stock_cli]
