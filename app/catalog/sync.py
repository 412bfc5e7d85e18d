"""Catalog sync (the stock API's PUT /products): create or update a product by SKU, look it up."""
from __future__ import annotations

import re
import zlib

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.catalog.models import Category, Product
from app.errors import NotFound


def _category_for(session: Session, actor: Actor, name: str) -> Category:
    """The category with this code or name, created (code derived from the name) if new."""
    found = session.scalar(select(Category).where(or_(Category.code == name, Category.name == name)))
    if found is not None:
        return found
    code = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:32] or "category"
    if session.scalar(select(Category.id).where(Category.code == code)) is not None:
        code = f"{code[:28]}-{zlib.crc32(name.encode()) % 10000:04d}"
    category = Category(code=code, name=name)
    session.add(category)
    session.flush()
    record_audit(session, actor, "category.create", "category", category.id, code=code, name=name)
    return category


def upsert_product(
    session: Session, actor: Actor, *, sku: str, name: str, unit: str = "pcs", category: str | None = None,
    pack_size: int = 1,
) -> tuple[Product, bool]:
    """Create or update the product `sku`; returns (product, created).

    `category` is a category code or name; an unknown one is created. `None` clears it.
    """
    product = session.scalar(select(Product).where(Product.sku == sku))
    created = product is None
    category_id = _category_for(session, actor, category).id if category else None
    if product is None:
        product = Product(sku=sku, name=name, unit=unit, pack_size=pack_size, category_id=category_id)
        session.add(product)
    else:
        product.name, product.unit, product.pack_size, product.category_id = name, unit, pack_size, category_id
    session.flush()
    record_audit(session, actor, "product.create" if created else "product.update", "product", product.id,
                 sku=sku, name=name, unit=unit, category=category, pack_size=pack_size)
    return product, created


def get_product(session: Session, sku: str) -> Product:
    """The product with this SKU; `NotFound` naming it otherwise."""
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFound(f"unknown SKU {sku}", sku=sku)
    return product


def category_name(session: Session, product: Product) -> str | None:
    if product.category_id is None:
        return None
    return session.scalar(select(Category.name).where(Category.id == product.category_id))
