"""Jinja filters for locale-aware numbers, money, dates and status labels (one place)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import format_date, format_decimal, format_time
from flask_babel import lazy_gettext as _l

# Every status and kind word the UI shows, so it can be translated.
LABELS: dict[str, Any] = {
    "draft": _l("draft"), "shipped": _l("in transit"), "received": _l("received"), "cancelled": _l("cancelled"),
    "open": _l("open"), "submitted": _l("submitted"), "approved": _l("approved"), "cycle": _l("cycle count"),
    "full": _l("full count"), "cloud": _l("cloud"), "forward": _l("forward"),
    "low_stock": _l("Low stock"), "stock_out": _l("Stock-out"), "slow_mover": _l("Slow mover"),
    "overstock": _l("Overstock"), "late_po": _l("Late purchase order"),
    "count_below_reserved": _l("Count below reserved"), "admin": _l("admin"), "purchasing": _l("purchasing"),
    "warehouse": _l("warehouse"), "viewer": _l("viewer"), "sent": _l("sent"), "confirmed": _l("confirmed"),
    "partially_received": _l("partially received"),
}

# Status words other modules' templates translate with `_(status)`: listed so they are extracted.
EXTRA_STATUS_WORDS = (_l("rejected"), _l("changed"), _l("closed"), _l("shipped"), _l("partially_received"),
                      _l("expired"), _l("released"), _l("committed"), _l("active"))


def label(value: Any) -> str:
    return str(LABELS.get(str(value), value)) if value is not None else "—"


def number(value: Any, digits: int | None = None) -> str:
    if value is None:
        return "—"
    if digits is not None:
        return str(format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0"))
    return str(format_decimal(value))


def money(value: Any) -> str:
    """Money grouped for the locale, at least two decimals, up to four (unit prices)."""
    if value is None:
        return "—"
    return str(format_decimal(Decimal(value), format="#,##0.00##"))


def cny(value: Any) -> str:
    """Money with the yuan sign, the minus sign in front of it: −¥12.40."""
    if value is None:
        return "—"
    amount = Decimal(value)
    return ("-" if amount < 0 else "") + "¥" + money(abs(amount))


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        # Shown in UTC (the app's zone): the date as the locale writes it, minutes are enough.
        return f"{format_date(value, 'medium')} {format_time(value, 'short')}"
    return str(format_date(value, "medium"))


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(number=number, money=money, cny=cny, date=date, label=label)
