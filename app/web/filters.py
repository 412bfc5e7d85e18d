"""Jinja filters for locale-aware numbers, money, dates and status labels (one place)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_symbol
from flask import Flask
from flask_babel import format_date, format_decimal, format_time, get_locale
from flask_babel import lazy_gettext as _l

from app.errors import translated
from app.locale_names import localized_name
from app.web.generated_notes import translate_note

# Every status and kind word the UI shows, so it can be translated.
LABELS: dict[str, Any] = {
    "draft": _l("draft"), "shipped": _l("in transit"), "received": _l("received"), "cancelled": _l("cancelled"),
    "open": _l("open"), "submitted": _l("submitted"), "approved": _l("approved"), "cycle": _l("cycle count"),
    "full": _l("full count"), "cloud": _l("cloud"), "forward": _l("forward"),
    "low_stock": _l("Low stock"), "stock_out": _l("Stock-out"), "slow_mover": _l("Slow mover"),
    "overstock": _l("Overstock"), "late_po": _l("Late purchase order"),
    "count_below_reserved": _l("Count below reserved"), "admin": _l("admin"), "purchasing": _l("purchasing"),
    "warehouse": _l("warehouse"), "viewer": _l("viewer"), "sent": _l("sent"), "confirmed": _l("confirmed"),
    "partially_received": _l("partially received"), "changed": _l("changed"), "rejected": _l("rejected"),
    "closed": _l("closed"), "expired": _l("expired"), "released": _l("released"), "committed": _l("committed"),
    "active": _l("active"), "superseded": _l("superseded"),
    # forecast runs: status and the stage the worker reports
    "queued": _l("queued"), "running": _l("running"), "succeeded": _l("succeeded"), "failed": _l("failed"),
    "starting": _l("starting"), "reading history": _l("reading history"), "forecasting": _l("forecasting"),
    "planning": _l("planning"), "writing results": _l("writing results"), "done": _l("done"),
    "preparing": _l("preparing"), "resuming": _l("resuming"),
    # suggestion kinds and demand classes
    "purchase": _l("purchase"), "transfer": _l("transfer"), "smooth": _l("smooth"), "erratic": _l("erratic"),
    "intermittent": _l("intermittent"), "lumpy": _l("lumpy"),
    # clearance of slow movers: how
    "markdown": _l("markdown"), "transfer_back": _l("transfer back to the cloud"),
    "return_to_supplier": _l("return to the supplier"),
    # scorecard delivery outcomes
    "on_time": _l("on time"), "late": _l("late"), "overdue": _l("overdue"), "pending": _l("pending"),
    # stock movement kinds
    "receipt": _l("receipt"), "shipment": _l("shipment"), "transfer_out": _l("transfer out"),
    "transfer_in": _l("transfer in"), "adjustment": _l("adjustment"), "count_correction": _l("count correction"),
    "customer_return": _l("customer return"), "supplier_return": _l("supplier return"), "damage": _l("damage"),
    # the default inspection rejection reasons (admins may add their own: those show as typed)
    "damaged": _l("damaged"), "wrong item": _l("wrong item"), "wrong specification": _l("wrong specification"),
    "wrong style number": _l("wrong style number"), "quality defect": _l("quality defect"),
    "short shipped": _l("short shipped"), "staff": _l("staff"), "supplier": _l("supplier"), "api": _l("API client"),
    "system": _l("system"),
    # where a stock movement came from (its `source`)
    "orders": _l("orders"), "returns": _l("returns"), "count": _l("count"), "reservation": _l("reservation"),
    "seed": _l("demo data"), "import:opening_stock": _l("import: opening stock"), "import:sales": _l("import: sales"),
    # units of measure
    "pcs": _l("pcs"), "bottle": _l("bottle"), "box": _l("box"), "pack": _l("pack"), "set": _l("set"),
    # count scopes
    "category": _l("category"), "skus": _l("picked SKUs"), "top_value": _l("largest value at risk"),
}

# Status words that domain messages carry as parameters (app.errors.word): listed so they are extracted.
EXTRA_STATUS_WORDS = (_l("shipped"), _l("in transit"))


def label(value: Any) -> str:
    """The translated word for a status/kind code; unknown codes are shown as they are."""
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
    """Money in yuan: -¥12.40 (the same format as `amount`)."""
    return amount(value, "CNY")


def amount(value: Any, currency: str = "CNY") -> str:
    """Money in a currency, one way in every locale: the sign, the symbol, grouping, two decimals
    (-¥1,234.50; US$12.00). The yuan is ¥ in English too: it is the house currency."""
    if value is None:
        return "—"
    value = Decimal(value)
    code = currency or "CNY"
    symbol = "¥" if code == "CNY" else get_currency_symbol(code, locale=get_locale())
    return ("-" if value < 0 else "") + symbol + str(format_decimal(abs(value), format="#,##0.00"))


def place(warehouse: Any) -> str:
    """A warehouse as an address line: its name, and its city unless the name already says it
    ("Shanghai Cloud Warehouse (Kunshan)", not "… (Kunshan) (Kunshan)")."""
    if warehouse is None:
        return "—"
    name, city = warehouse.name or "", (getattr(warehouse, "city", None) or "").strip()
    shown = localized_name(name, getattr(warehouse, "name_zh", None))
    if shown != name:  # the Chinese name says where it is
        return shown
    if not city or city.lower() in name.lower():
        return name
    return f"{name} ({city})"


def signed_cny(value: Any) -> str:
    """Money with its sign always shown, as variances are: +¥28.18, -¥28.18, ¥0.00."""
    if value is None:
        return "—"
    return ("+" if Decimal(value) > 0 else "") + cny(value)


def local_name(name: Any, name_zh: str | None = None) -> str:
    """Master data's Chinese name when the UI is in Chinese and one is set, else its name."""
    return localized_name(None if name is None else str(name), name_zh)


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        # Shown in UTC (the app's zone): the date as the locale writes it, minutes are enough.
        return f"{format_date(value, 'medium')} {format_time(value, 'short')}"
    return str(format_date(value, "medium"))


def days_late(due: dt.date | None, today: dt.date | None = None) -> int | None:
    """Days past `due` (0 = due today, negative = not yet due); None without a date."""
    if due is None:
        return None
    return ((today or dt.datetime.now(dt.UTC).date()) - due).days


# A note line the short-close writes (in English in the database), shown in the reader's language.
_SHORT_CLOSED = re.compile(r"^Closed short on (\d{4}-\d{2}-\d{2}): (.*)$")


def notes(value: str | None) -> str:
    """A document's notes line by line, each line the system wrote translated (`translate_note`, the
    short-close line); what people typed stays as typed."""
    if not value:
        return ""
    out = []
    for line in value.splitlines():
        closed = _SHORT_CLOSED.match(line)
        if closed:
            out.append(str(_l("Closed short on %(date)s: %(reason)s", date=date(dt.date.fromisoformat(closed[1])),
                              reason=closed[2])))
        else:
            out.append(translate_note(line))
    return "\n".join(out)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(number=number, money=money, cny=cny, date=date, label=label)
    app.jinja_env.filters.update(signed_cny=signed_cny, local_name=local_name, note=translate_note, msg=translated)
    app.jinja_env.filters.update(amount=amount, place=place, days_late=days_late, notes=notes)
