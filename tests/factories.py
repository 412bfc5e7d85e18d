"""Factories for domain objects: `make_x(session, **overrides)`; they flush, never commit."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.auth import service as auth_service
from app.auth.models import ApiClient, StaffUser, SupplierUser
from app.catalog.models import Category, Product
from app.db import utcnow
from app.stock.models import Warehouse
from app.stock.service import StockEffect, post_stock_effects
from app.suppliers.models import Supplier, SupplierPrice

_seq = itertools.count(1)
TEST_ACTOR = Actor.system("tests")
PASSWORD = "correct horse battery"


def make_category(session: Session, **kw: Any) -> Category:
    n = next(_seq)
    obj = Category(**{"code": f"cat-{n}", "name": f"Category {n}", **kw})
    session.add(obj)
    session.flush()
    return obj


def make_product(session: Session, **kw: Any) -> Product:
    n = next(_seq)
    obj = Product(**{"sku": f"SKU-{n:05d}", "name": f"Product {n}", "unit": "pcs", "pack_size": 1,
                     "unit_cost": Decimal("10.00"), **kw})
    session.add(obj)
    session.flush()
    return obj


def make_warehouse(session: Session, **kw: Any) -> Warehouse:
    n = next(_seq)
    obj = Warehouse(**{"code": f"WH{n}", "name": f"Warehouse {n}", "kind": "forward", "region": f"region-{n}",
                       "city": f"City {n}", **kw})
    session.add(obj)
    session.flush()
    return obj


def make_supplier(session: Session, **kw: Any) -> Supplier:
    n = next(_seq)
    obj = Supplier(**{"code": f"SUP{n}", "name": f"Supplier {n}", "email": f"sales{n}@supplier.test", **kw})
    session.add(obj)
    session.flush()
    return obj


def make_price(session: Session, supplier: Supplier, product: Product, **kw: Any) -> SupplierPrice:
    obj = SupplierPrice(**{"supplier_id": supplier.id, "product_id": product.id, "unit_price": Decimal("5.00"),
                           "moq": 1, "pack_size": 1, "lead_time_days": 7, "is_preferred": True,
                           "valid_from": dt.date(2020, 1, 1), **kw})
    session.add(obj)
    session.flush()
    return obj


def make_staff_user(session: Session, role: str = "admin", **kw: Any) -> StaffUser:
    n = next(_seq)
    return auth_service.create_staff_user(
        session, TEST_ACTOR, email=kw.pop("email", f"{role}{n}@stockwise.test"), role=role,
        password=kw.pop("password", PASSWORD), **kw,
    )


def make_supplier_user(session: Session, supplier: Supplier, **kw: Any) -> SupplierUser:
    n = next(_seq)
    return auth_service.create_supplier_user(
        session, TEST_ACTOR, supplier_id=supplier.id, email=kw.pop("email", f"user{n}@supplier.test"),
        password=kw.pop("password", PASSWORD), **kw,
    )


def make_api_client(session: Session, scopes: tuple[str, ...] = ("stock:read", "stock:write", "stock:sync"),
                    **kw: Any) -> tuple[ApiClient, str]:
    n = next(_seq)
    client, token, _secret = auth_service.create_api_client(
        session, TEST_ACTOR, name=kw.pop("name", f"client-{n}"), scopes=scopes, **kw
    )
    return client, token


def receive_stock(session: Session, product: Product, warehouse: Warehouse, quantity: int) -> None:
    """Put stock on hand through the stock core (a receipt movement)."""
    post_stock_effects(
        session, [StockEffect(product.id, warehouse.id, "receipt", quantity)], source="tests", now=utcnow()
    )


def make_po(session: Session, supplier: Supplier, lines: list[tuple[Product, int]], *, warehouse: Warehouse | None = None,
            send: bool = True, today: dt.date | None = None) -> Any:
    """A purchase order through the purchasing service (prices from the supplier's price list), sent by default."""
    from app.purchasing import orders

    po = orders.create_purchase_order(
        session, TEST_ACTOR, supplier_id=supplier.id, warehouse_id=warehouse.id if warehouse else None,
        lines=[orders.POLineInput(index=i, sku=p.sku, quantity=q) for i, (p, q) in enumerate(lines)],
        today=today or utcnow().date(),
    )
    if send:
        orders.send_purchase_order(session, TEST_ACTOR, number=po.number, now=utcnow())
    return po
