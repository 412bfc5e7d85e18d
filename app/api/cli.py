"""Operator commands of the stock API: expire reservations, deliver webhooks, verify stock.

    flask --app wsgi reservations expire     # cron, every minute
    flask --app wsgi webhooks deliver --loop # a long-running process (or cron without --loop)
    flask --app wsgi stock verify            # non-zero exit on any drift
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


stock_cli = AppGroup("stock", help="Stock ledger checks.")


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


COMMANDS = [reservations_cli, webhooks_cli, stock_cli]
