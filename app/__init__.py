"""Stockwise: multi-warehouse stock, demand forecasting and supplier collaboration.

`create_app` lives in `app.factory`; this module only re-exports it lazily so that
importing the domain models (e.g. from the forecast job, `app.planning.job`) does not import Flask.
"""
from __future__ import annotations

from typing import Any


def create_app(config: dict[str, Any] | None = None) -> Any:
    """Build the Flask application; see `app.factory.create_app`."""
    from app.factory import create_app as _create_app

    return _create_app(config)
