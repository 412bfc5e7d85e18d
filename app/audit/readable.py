"""Audit details as people read them: "field: old → new", warehouse codes and SKUs instead
of internal ids (`lines={'15': 10}, dest=2` → `lines: HL-TOWEL-1 × 10 · to: FWD-BJ`)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.stock.models import Warehouse

WAREHOUSE_KEYS = {"source": "from", "dest": "to", "warehouse_id": "warehouse", "source_warehouse_id": "from",
                  "dest_warehouse_id": "to"}
PRODUCT_KEYS = {"product_id": "product"}
LINE_KEYS = ("lines",)  # {product id: quantity}


def _ids(rows: Iterable[dict[str, Any]]) -> tuple[set[int], set[int]]:
    warehouses: set[int] = set()
    products: set[int] = set()
    for details in rows:
        for key, value in details.items():
            if key in WAREHOUSE_KEYS and isinstance(value, int):
                warehouses.add(value)
            elif key in PRODUCT_KEYS and isinstance(value, int):
                products.add(value)
            elif key in LINE_KEYS and isinstance(value, dict):
                products.update(int(k) for k in value if str(k).isdigit())
    return warehouses, products


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return "—" if value is None else str(value)


def readable(session: Session, details_list: list[dict[str, Any]]) -> list[list[str]]:
    """One list of "field: value" parts per details dict, ids resolved (2 queries for a page)."""
    warehouse_ids, product_ids = _ids(details_list)
    codes: dict[int, str] = {}
    skus: dict[int, str] = {}
    if warehouse_ids:
        codes = {i: c for i, c in session.execute(select(Warehouse.id, Warehouse.code)
                                                  .where(Warehouse.id.in_(warehouse_ids))).all()}
    if product_ids:
        skus = {i: c for i, c in session.execute(select(Product.id, Product.sku).where(Product.id.in_(product_ids))).all()}
    out = []
    for details in details_list:
        parts = []
        if "old" in details and "new" in details:
            parts.append(f"{_text(details['old'])} → {_text(details['new'])}")
        for key, value in details.items():
            if key in ("old", "new"):
                continue
            if key in WAREHOUSE_KEYS and isinstance(value, int):
                parts.append(f"{WAREHOUSE_KEYS[key]}: {codes.get(value, value)}")
            elif key in PRODUCT_KEYS and isinstance(value, int):
                parts.append(f"{PRODUCT_KEYS[key]}: {skus.get(value, value)}")
            elif key in LINE_KEYS and isinstance(value, dict):
                parts.append(f"{key}: " + ", ".join(
                    f"{skus.get(int(k), k) if str(k).isdigit() else k} × {_text(v)}" for k, v in value.items()))
            else:
                parts.append(f"{key.replace('_', ' ')}: {_text(value)}")
        out.append(parts)
    return out
