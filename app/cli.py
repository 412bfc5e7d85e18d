"""Command-line entry points. Each command opens one transaction and calls one service."""
from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app import migrate
from app.audit.service import Actor
from app.auth import service as auth_service
from app.auth.models import Role, Scope
from app.console import fail
from app.db import transaction
from app.errors import DomainError

CLI_ACTOR = Actor.system("cli")


db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head); builds an empty database."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (e.g. base)."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


user_cli = AppGroup("user", help="Staff users.")


@user_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The user's role.")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a staff user; the password is prompted for (or read from stdin)."""
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with transaction() as s:
            user = auth_service.create_staff_user(s, CLI_ACTOR, email=email, role=role, password=password, name=name)
    except DomainError as exc:
        fail(exc.detail)
    click.echo(f"created {user.email} ({user.role})")


api_key_cli = AppGroup("api-key", help="API clients and their tokens.")


@api_key_cli.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice([s.value for s in Scope]),
              help="A scope to grant (repeatable).")
@click.option("--webhook-url", default=None, help="Where stock changes are POSTed (optional).")
def api_key_create(name: str, scopes: tuple[str, ...], webhook_url: str | None) -> None:
    """Create an API client; prints the token alone on the last line (shown once)."""
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        fail("--webhook-url must be an http:// or https:// URL")
    try:
        with transaction() as s:
            client, token, secret = auth_service.create_api_client(
                s, CLI_ACTOR, name=name, scopes=scopes, webhook_url=webhook_url
            )
    except DomainError as exc:
        fail(exc.detail)
    click.echo(f"created API client {client.name} with scopes {client.scopes}")
    if secret:
        click.echo(f"webhook secret: {secret}")
    click.echo(token)


def register(app: Flask) -> None:
    for group in (db_cli, user_cli, api_key_cli):
        app.cli.add_command(group)
    for extra in _extra_commands():
        app.cli.add_command(extra)


def _extra_commands() -> list[Any]:
    """Commands owned by other modules (seed, stock, forecast, webhooks, …)."""
    from app.api.cli import COMMANDS as stock_api_commands
    from app.planning.cli import forecast_cli
    from app.seed.cli import seed_demo
    from app.suppliers.cli import supplier_cli

    return [*stock_api_commands, seed_demo, supplier_cli, forecast_cli]
