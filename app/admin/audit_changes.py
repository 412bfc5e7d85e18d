"""Audit details as readable changes: "field: old → new", ids shown as SKUs, warehouse codes, numbers.

The stored details stay structured JSON (ids and codes as written). This module only renders
them: `describe_all` takes a page of entries, collects every id they reference, resolves each
kind of id in one query (so a page costs the same few queries whatever its length) and returns
one list of `Change` per entry.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.models import Category, Product
from app.purchasing.models import PurchaseOrder
from app.stock.models import Warehouse
from app.suppliers.models import Supplier
from app.transfers.models import Transfer

# detail key → the kind of id it holds
REFERENCE_KEYS: dict[str, str] = {
    "warehouse_id": "warehouse", "source": "warehouse", "dest": "warehouse", "source_warehouse_id": "warehouse",
    "dest_warehouse_id": "warehouse", "product_id": "product", "category_id": "category",
    "supplier_id": "supplier", "purchase_order_id": "purchase_order", "transfer_id": "transfer",
}
# kind → (column shown, id column)
_LOOKUPS: dict[str, tuple[Any, Any]] = {
    "warehouse": (Warehouse.code, Warehouse.id), "product": (Product.sku, Product.id),
    "category": (Category.code, Category.id), "supplier": (Supplier.code, Supplier.id),
    "purchase_order": (PurchaseOrder.number, PurchaseOrder.id), "transfer": (Transfer.number, Transfer.id),
}
# Keys whose value is a dict of product id → quantity (older writes keyed lines by product id).
PRODUCT_KEYED = frozenset({"lines", "discrepancies"})

FIELD_LABELS: dict[str, Any] = {
    "warehouse_id": _l("warehouse"), "source": _l("from"), "dest": _l("to"), "product_id": _l("SKU"),
    "category_id": _l("category"), "supplier_id": _l("supplier"), "purchase_order_id": _l("purchase order"),
    "transfer_id": _l("transfer"), "lines": _l("lines"), "number": _l("number"), "quantity": _l("quantity"),
    "role": _l("role"), "email": _l("e-mail"), "reason": _l("reason"), "kind": _l("kind"), "scope": _l("scope"),
    "name": _l("name"), "name_zh": _l("Chinese name"), "code": _l("code"),
}
# Details are stored with sorted keys; these read best first, in this order (the rest follow).
FIRST_KEYS = ("number", "code", "email", "sku", "source", "dest", "warehouse_id", "supplier_id", "category_id")

# For entries stored as old/new: what changed (the entity id for settings).
# "" = the old/new values are dicts whose keys are the fields themselves (renames).
OLD_NEW_FIELD = {"user.role": "role", "suggestion.edit": "quantity", "category.rename": "", "warehouse.rename": ""}


@dataclass(frozen=True)
class Change:
    """One readable line: `field: old → new`, or `field: new` when there is no old value."""

    field: str
    new: str
    old: str | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.new}" if self.old is None else f"{self.field}: {self.old} → {self.new}"


def _ids(details: Mapping[str, Any]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}
    for key, value in details.items():
        kind = REFERENCE_KEYS.get(key)
        if kind and isinstance(value, int) and not isinstance(value, bool):
            wanted.setdefault(kind, set()).add(value)
        elif key in PRODUCT_KEYED and isinstance(value, dict) and all(str(k).isdigit() for k in value):
            wanted.setdefault("product", set()).update(int(k) for k in value)
    return wanted


def resolve(session: Session, wanted: Mapping[str, set[int]]) -> dict[str, dict[int, str]]:
    """kind → id → label, one query per kind asked for."""
    names: dict[str, dict[int, str]] = {}
    for kind, ids in wanted.items():
        if ids:
            shown, key = _LOOKUPS[kind]
            names[kind] = {i: s for s, i in session.execute(select(shown, key).where(key.in_(ids)))}
    return names


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items()) or "—"
    return str(value)


def _label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key.replace("_", " ")))


def describe(action: str, entity_id: str | None, details: Mapping[str, Any],
             names: Mapping[str, Mapping[int, str]]) -> list[Change]:
    """The readable changes of one entry (pure, given the resolved names)."""
    if "old" in details and "new" in details:
        field = OLD_NEW_FIELD.get(action, entity_id or "value")
        old, new = details["old"], details["new"]
        if isinstance(old, dict) and isinstance(new, dict):
            changes = [Change(f"{field}.{k}" if field else _label(k), _text(new.get(k)), _text(old.get(k)))
                       for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        else:
            changes = [Change(_label(field), _text(new), _text(old))]
        rest = {k: v for k, v in details.items() if k not in ("old", "new")}
        return changes + describe(action, entity_id, rest, names)
    out = []
    first = {k: i for i, k in enumerate(FIRST_KEYS)}
    for key, value in sorted(details.items(), key=lambda kv: first.get(kv[0], len(first))):
        kind = REFERENCE_KEYS.get(key)
        if kind and isinstance(value, int) and not isinstance(value, bool):
            shown = names.get(kind, {}).get(value, f"#{value}")
        elif key in PRODUCT_KEYED and isinstance(value, dict) and all(str(k).isdigit() for k in value):
            skus = names.get("product", {})
            shown = ", ".join(f"{skus.get(int(k), '#' + str(k))} × {_text(v)}" for k, v in value.items())
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            shown = "; ".join(_text(v) for v in value)
        elif isinstance(value, list) and value and all(isinstance(v, list) and len(v) == 2 for v in value):
            shown = ", ".join(f"{_text(a)} × {_text(b)}" for a, b in value)  # (SKU, quantity) pairs
        else:
            shown = _text(value)
        out.append(Change(_label(key), shown))
    return out


def describe_all(session: Session, entries: Sequence[tuple[str, str | None, Mapping[str, Any]]]) -> list[list[Change]]:
    """`describe` for a page of (action, entity id, details): ids resolved in one query per kind."""
    wanted: dict[str, set[int]] = {}
    for _action, _entity, details in entries:
        for kind, ids in _ids(details).items():
            wanted.setdefault(kind, set()).update(ids)
    names = resolve(session, wanted)
    return [describe(action, entity, details, names) for action, entity, details in entries]
