"""How a command-line command fails: one clear line on stderr and a non-zero exit.

Here, not in app/cli.py, so the domains' command groups (planning, seed) can use it without
importing the module that registers them."""
from __future__ import annotations

import sys

import click


def fail(message: str) -> None:
    """One clear line on stderr and a non-zero exit."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)
