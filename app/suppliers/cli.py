"""`flask supplier …` commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.audit.service import Actor
from app.auth.invites import invite_path, invite_supplier_user
from app.db import transaction, utcnow
from app.errors import DomainError

supplier_cli = AppGroup("supplier", help="Suppliers and their portal users.")


@supplier_cli.command("invite")
@click.argument("email")
@click.option("--supplier", "supplier_code", required=True, help="The supplier's code.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="Where the portal is served; the link starts with it.")
def invite(email: str, supplier_code: str, base_url: str) -> None:
    """Invite a portal user; prints the single-use link (valid 72 hours) alone on the last line."""
    try:
        with transaction() as s:
            user, token = invite_supplier_user(s, Actor.system("cli"), supplier_code=supplier_code, email=email,
                                               now=utcnow())
    except DomainError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        raise SystemExit(1) from exc
    until = f"{user.invite_expires_at:%Y-%m-%d %H:%M} UTC"
    click.echo(f"invited {user.email} for {supplier_code}; the link works once, until {until}")
    click.echo(base_url.rstrip("/") + invite_path(token))
