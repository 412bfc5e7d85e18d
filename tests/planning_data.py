"""A small demo-like network for planning tests: one cloud, two forward warehouses, a few
SKUs with steady daily demand written through the stock core (receipt, then daily shipments).

Forecast runs on it take a few seconds (short history, a handful of series)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.db import utcnow
from app.planning.models import ForecastRun, ReplenishmentSuggestion
from app.stock.models import Warehouse
from app.stock.service import StockEffect, post_stock_effects
from app.suppliers.models import Supplier
from tests.factories import make_category, make_price, make_product, make_supplier, make_warehouse


@dataclass
class Network:
    cloud: Warehouse
    north: Warehouse
    south: Warehouse
    supplier: Supplier
    other_supplier: Supplier
    products: dict[str, Product] = field(default_factory=dict)


def write_history(session: Session, product: Product, warehouse: Warehouse, *, daily: int, days: int,
                  end_on_hand: int) -> None:
    """`days` days of `daily` shipments ending yesterday, leaving `end_on_hand` on hand."""
    today = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    start = today - dt.timedelta(days=days + 1)
    # daily ± 1 in a 3-day cycle: steady, but not a flat line
    sold = [daily + d % 3 - 1 for d in range(days)] if daily else []
    effects = [StockEffect(product.id, warehouse.id, "receipt", sum(sold) + end_on_hand, occurred_at=start)]
    effects += [StockEffect(product.id, warehouse.id, "shipment", -q, occurred_at=start + dt.timedelta(days=d + 1))
                for d, q in enumerate(sold)]
    post_stock_effects(session, effects, source="tests", now=utcnow())


def make_network(session: Session, *, days: int = 56) -> Network:
    """Cloud CLD + forwards NTH/STH; SKUs:

    - STEADY: 10/day in NTH with nothing there, cloud holds 400 → a transfer to NTH;
    - STOCKED: 2/day in NTH with 1,000 there and 1,000 in the cloud → nothing;
    - CLOUDY: 6/day sold from the cloud with nothing left, preferred supplier SUPA → a purchase;
    - SOUTHY: 8/day in STH with nothing there or in the cloud, supplier SUPB → transfer needs
      the cloud to buy: a purchase from SUPB (nothing to transfer yet).
    """
    cloud = make_warehouse(session, code="CLD", name="Cloud", kind="cloud")
    north = make_warehouse(session, code="NTH", name="North", replenished_from_id=cloud.id)
    south = make_warehouse(session, code="STH", name="South", replenished_from_id=cloud.id)
    supplier = make_supplier(session, code="SUPA", name="Alpha Supplies")
    other = make_supplier(session, code="SUPB", name="Beta Goods")
    net = Network(cloud, north, south, supplier, other)
    home, garden = make_category(session, code="home", name="Home"), make_category(session, code="garden", name="Garden")
    for sku, cat in (("STEADY", home), ("STOCKED", home), ("CLOUDY", garden), ("SOUTHY", garden)):
        net.products[sku] = make_product(session, sku=sku, name=f"{sku.title()} item", category_id=cat.id)
    for sku in ("STEADY", "STOCKED", "CLOUDY"):
        make_price(session, supplier, net.products[sku], lead_time_days=7, moq=10, pack_size=5)
    make_price(session, other, net.products["SOUTHY"], lead_time_days=10, moq=1, pack_size=1)
    write_history(session, net.products["STEADY"], north, daily=10, days=days, end_on_hand=0)
    write_history(session, net.products["STEADY"], cloud, daily=0, days=days, end_on_hand=400)
    write_history(session, net.products["STOCKED"], north, daily=2, days=days, end_on_hand=1000)
    write_history(session, net.products["STOCKED"], cloud, daily=0, days=days, end_on_hand=1000)
    write_history(session, net.products["CLOUDY"], cloud, daily=6, days=days, end_on_hand=0)
    write_history(session, net.products["SOUTHY"], south, daily=8, days=days, end_on_hand=0)
    return net


def make_run(session: Session, **kw: Any) -> ForecastRun:
    run = ForecastRun(**{"status": "succeeded", "horizon_days": 28, "created_at": utcnow(), **kw})
    session.add(run)
    session.flush()
    return run


def make_suggestion(session: Session, run: ForecastRun, product: Product, warehouse: Warehouse, *,
                    kind: str = "purchase", source: Warehouse | None = None, supplier: Supplier | None = None,
                    quantity: int = 50, days_until_stockout: float | None = 3.0, **kw: Any) -> ReplenishmentSuggestion:
    obj = ReplenishmentSuggestion(**{
        "run_id": run.id, "kind": kind, "product_id": product.id, "warehouse_id": warehouse.id,
        "source_warehouse_id": source.id if source else None, "supplier_id": supplier.id if supplier else None,
        "suggested_quantity": quantity, "quantity": quantity, "reorder_point": 40.0, "order_up_to": 90.0,
        "safety_stock": 10.0, "lead_time_demand": 30.0, "lead_time_days": 7.0, "on_hand": 5, "reserved": 0,
        "in_transit": 0, "on_order": 0, "days_until_stockout": days_until_stockout,
        "reasons": json.dumps({"trigger": "position 5 ≤ reorder point 40.0: order"}), **kw})
    session.add(obj)
    session.flush()
    return obj


def make_catalogue(session: Session, *, skus: int, days: int = 90) -> Network:
    """A wider network for batching tests: ``skus`` SKUs selling in the cloud and in NTH (the
    third in STH too), each with its own daily level, a supplier price each."""
    cloud = make_warehouse(session, code="CLD", name="Cloud", kind="cloud")
    north = make_warehouse(session, code="NTH", name="North", replenished_from_id=cloud.id)
    south = make_warehouse(session, code="STH", name="South", replenished_from_id=cloud.id)
    supplier = make_supplier(session, code="SUPA", name="Alpha Supplies")
    net = Network(cloud, north, south, supplier, make_supplier(session, code="SUPB", name="Beta Goods"))
    for i in range(skus):
        product = make_product(session, sku=f"CAT-{i:03d}", name=f"Catalogue item {i}")
        net.products[product.sku] = product
        make_price(session, supplier, product, lead_time_days=5 + i % 4, moq=10, pack_size=5)
        write_history(session, product, north, daily=3 + i % 7, days=days, end_on_hand=i % 3 * 10)
        write_history(session, product, cloud, daily=1 + i % 5, days=days, end_on_hand=40)
        if i % 3 == 2:
            write_history(session, product, south, daily=2 + i % 4, days=days, end_on_hand=0)
    return net
