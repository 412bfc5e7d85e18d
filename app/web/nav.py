"""The staff menu: an item shows only when its page exists and the user's role may open it."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# (endpoint, label, roles that see it; empty = every staff role). Order is menu order.
NAV = [
    ("web.dashboard", _l("Dashboard"), ()),
    ("web.stock_overview", _l("Stock"), ()),
    ("catalog.products", _l("Products"), ()),
    ("suppliers.index", _l("Suppliers"), ()),
    ("purchasing.orders", _l("Purchase orders"), ()),
    ("purchasing.receiving", _l("Receiving"), ("warehouse", "purchasing")),
    ("purchasing.returns", _l("Returns"), ()),
    ("transfers.index", _l("Transfers"), ()),
    ("counts.index", _l("Counts"), ()),
    ("planning.suggestions", _l("Replenishment"), ()),
    ("alerts.index", _l("Alerts"), ()),
    ("admin.index", _l("Admin"), ("admin",)),
]


def nav_items() -> list[tuple[str, str]]:
    role = getattr(current_user, "role", None)
    return [
        (endpoint, str(label))
        for endpoint, label, roles in NAV
        if endpoint in current_app.view_functions and (not roles or role in roles or role == "admin")
    ]


def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions
