"""The staff menu: an item shows only when its page exists and the user's role may open it.

Top-level links and grouped menus (Purchasing ▾ / Warehouse ▾ / Planning ▾) keep the header on
one line at 1366 px in every language; a group with no visible item is left out."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from app.auth.access import role_allows

Item = tuple[str, object, tuple[str, ...]]  # (endpoint, label, roles that see it; empty = every staff role)

# Menu order. A tuple of items under a label is a group.
NAV: list[tuple[object, Sequence[Item]] | Item] = [
    ("web.dashboard", _l("Dashboard"), ()),
    ("web.stock_overview", _l("Stock"), ()),
    ("catalog.products", _l("Products"), ()),
    (_l("Purchasing"), [
        ("purchasing.orders", _l("Purchase orders"), ()),
        ("suppliers.index", _l("Suppliers"), ()),
        ("scorecards.index", _l("Scorecards"), ()),
        ("purchasing.returns", _l("Returns"), ()),
    ]),
    (_l("Warehouse"), [
        ("purchasing.receiving", _l("Receiving"), ("warehouse", "purchasing")),
        ("transfers.index", _l("Transfers"), ()),
        ("counts.index", _l("Counts"), ()),
    ]),
    (_l("Planning"), [
        ("planning.suggestions", _l("Replenishment"), ()),
        ("planning.runs", _l("Forecast runs"), ()),
    ]),
    ("alerts.index", _l("Alerts"), ()),
    ("admin.index", _l("Admin"), ("admin",)),
]


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: str
    active: bool


@dataclass(frozen=True)
class NavGroup:
    label: str
    links: list[NavLink]

    @property
    def active(self) -> bool:
        return any(link.active for link in self.links)


def _visible(endpoint: str, roles: tuple[str, ...]) -> bool:
    return endpoint in current_app.view_functions and (not roles or role_allows(*roles))


def _endpoints() -> list[str]:
    return [e for entry in NAV for e in ([i[0] for i in entry[1]] if len(entry) == 2 else [entry[0]])]


def _link(endpoint: str, label: object) -> NavLink:
    """Active on its own page and, when it is its blueprint's only menu entry, on the blueprint's other pages
    (a transfer's page lights "Transfers"), and on pages named after it ("purchasing.order" → Purchase orders)."""
    here = request.endpoint or ""
    blueprint = endpoint.split(".")[0]
    sole = sum(e.split(".")[0] == blueprint for e in _endpoints()) == 1
    active = here == endpoint or (sole and here.split(".")[0] == blueprint) or here.startswith(endpoint.rstrip("s"))
    return NavLink(endpoint, str(label), active)


def nav_entries() -> list[NavLink | NavGroup]:
    entries: list[NavLink | NavGroup] = []
    for entry in NAV:
        if len(entry) == 2:
            label, items = entry
            links = [_link(e, lab) for e, lab, roles in items if _visible(e, roles)]
            if links:
                entries.append(NavGroup(str(label), links))
        else:
            endpoint, label, roles = entry
            if _visible(endpoint, roles):
                entries.append(_link(endpoint, label))
    return entries


def nav_items() -> list[tuple[str, str]]:
    """Every visible menu entry, flat (endpoint, label), in menu order."""
    flat: list[tuple[str, str]] = []
    for entry in nav_entries():
        links = entry.links if isinstance(entry, NavGroup) else [entry]
        flat.extend((link.endpoint, link.label) for link in links)
    return flat


def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions
