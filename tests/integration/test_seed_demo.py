"""`flask seed-demo` against the database: shape of the demo, ledger integrity, determinism, refusals."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.auth.models import Role, StaffUser, SupplierUser
from app.catalog.models import Category, Product
from app.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine
from app.stock.models import StockBalance, StockMovement, Warehouse
from app.suppliers.models import Supplier, SupplierPrice
from app.transfers.models import Transfer, TransferLine

# 90 days ending 30 June: the history holds a 618 peak.
SMALL = ["seed-demo", "--skus", "20", "--days", "90", "--seed", "11", "--end-date", "2026-06-30"]


def _seed(app: Any, *extra: str) -> Any:
    return app.test_cli_runner().invoke(args=[*SMALL, *extra])


def _snapshot(session: Session) -> dict[str, Any]:
    """Row counts and ledger sums by natural keys (ids differ between runs on PostgreSQL)."""
    counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
              for model in (Product, Supplier, SupplierPrice, PurchaseOrder, PurchaseOrderLine, Receipt, Transfer,
                            TransferLine, StockMovement, StockBalance)}
    sums = session.execute(
        select(Product.sku, Warehouse.code, StockMovement.kind, func.sum(StockMovement.quantity), func.count())
        .join(Product, Product.id == StockMovement.product_id).join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
        .group_by(Product.sku, Warehouse.code, StockMovement.kind).order_by(Product.sku, Warehouse.code, StockMovement.kind)
    ).all()
    return {"counts": counts, "ledger": [tuple(row) for row in sums]}


@pytest.mark.slow
def test_seed_demo_builds_a_realistic_network_with_a_consistent_ledger(app: Any, session: Session,
                                                                        instance_dir: Path) -> None:
    result = _seed(app)
    assert result.exit_code == 0, result.output
    assert "admin@stockwise.demo" in result.output and "stock movements" in result.output

    warehouses = session.scalars(select(Warehouse)).all()
    clouds = [w for w in warehouses if w.kind == "cloud"]
    forwards = [w for w in warehouses if w.kind == "forward"]
    assert len(clouds) == 1 and len(forwards) >= 4
    assert all(w.region and w.city and w.replenished_from_id == clouds[0].id for w in forwards)
    assert len({w.region for w in warehouses}) == len(warehouses)

    assert session.scalar(select(func.count()).select_from(Category)) == 3
    products = session.scalars(select(Product)).all()
    assert len(products) == 20
    assert all(p.category_id and p.style_number and p.specification and p.unit and p.pack_size >= 1 for p in products)
    assert all(isinstance(p.unit_cost, Decimal) and p.unit_cost > 0 for p in products)

    assert session.scalar(select(func.count()).select_from(Supplier)) >= 8
    prices = session.scalars(select(SupplierPrice)).all()
    suppliers_of: dict[int, set[int]] = defaultdict(set)
    preferred_of: dict[int, set[int]] = defaultdict(set)
    price_points: dict[int, set[Decimal]] = defaultdict(set)
    for price in prices:
        suppliers_of[price.product_id].add(price.supplier_id)
        price_points[price.product_id].add(price.unit_price)
        if price.is_preferred:
            preferred_of[price.product_id].add(price.supplier_id)
        assert price.moq >= 1 and price.lead_time_days > 0 and price.valid_from is not None
    assert all(len(preferred_of[p.id]) == 1 for p in products)
    overlapping = [p for p in suppliers_of if len(suppliers_of[p]) >= 2 and len(price_points[p]) >= 2]
    assert len(overlapping) >= len(products) // 2

    assert {u.role for u in session.scalars(select(StaffUser))} == {r.value for r in Role}
    supplier_users = session.scalars(select(SupplierUser)).all()
    assert len(supplier_users) == session.scalar(select(func.count()).select_from(Supplier))
    assert all(u.password_hash for u in supplier_users)
    assert "demo-admin-2026" in (instance_dir / "demo-logins.txt").read_text()

    shipments = session.scalars(select(StockMovement).where(StockMovement.kind == "shipment").limit(50)).all()
    assert shipments and all(m.quantity < 0 and m.source == "orders" for m in shipments)
    assert all(m.occurred_at.tzinfo is not None and m.business_date == m.occurred_at.date() for m in shipments)
    kinds = set(session.scalars(select(StockMovement.kind).distinct()))
    assert {"shipment", "receipt", "transfer_out", "transfer_in", "customer_return"} <= kinds

    ledger = dict(((p, w), q) for p, w, q in session.execute(
        select(StockMovement.product_id, StockMovement.warehouse_id, func.sum(StockMovement.quantity))
        .group_by(StockMovement.product_id, StockMovement.warehouse_id)))
    open_transfers: dict[tuple[int, int], int] = defaultdict(int)
    for product_id, dest_id, shipped in session.execute(
        select(TransferLine.product_id, Transfer.dest_warehouse_id, TransferLine.shipped_quantity)
        .join(Transfer).where(Transfer.status == "shipped")
    ):
        open_transfers[product_id, dest_id] += shipped
    assert open_transfers, "some transfers are still in transit at the end"
    for bal in session.scalars(select(StockBalance)):
        assert bal.on_hand == ledger.get((bal.product_id, bal.warehouse_id), 0) >= 0
        assert bal.reserved == 0
        assert bal.in_transit == open_transfers.get((bal.product_id, bal.warehouse_id), 0)

    statuses = set(session.scalars(select(PurchaseOrder.status)))
    assert statuses & {"sent", "confirmed", "partially_received"}, "some purchase orders are still open"
    accepted = session.scalar(select(func.sum(ReceiptLine.accepted_quantity))) or 0
    receipts = session.scalar(select(func.sum(StockMovement.quantity)).where(StockMovement.kind == "receipt")) or 0
    assert accepted == receipts > 0
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "demo.seed")) == 1


@pytest.mark.slow
def test_seed_demo_is_deterministic_for_a_seed(app: Any, session: Session) -> None:
    assert _seed(app).exit_code == 0
    first = _snapshot(session)
    session.expire_all()
    result = _seed(app, "--reset")
    assert result.exit_code == 0, result.output
    assert _snapshot(session) == first
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "demo.seed")) == 1


@pytest.mark.slow
def test_seed_demo_refuses_a_seeded_database_without_reset(app: Any, session: Session) -> None:
    assert _seed(app).exit_code == 0
    before = _snapshot(session)
    result = _seed(app)
    assert result.exit_code == 1
    assert "already holds data" in result.output and "--reset" in result.output
    assert _snapshot(session) == before


@pytest.mark.slow
def test_seed_demo_if_empty_skips_a_seeded_database(app: Any, session: Session) -> None:
    assert _seed(app).exit_code == 0
    before = _snapshot(session)
    result = _seed(app, "--if-empty")
    assert result.exit_code == 0 and "nothing done" in result.output
    assert _snapshot(session) == before


@pytest.mark.parametrize("args", [["--skus", "0"], ["--skus", "5001"], ["--days", "10"], ["--seed", "-1"],
                                  ["--end-date", "yesterday"]])
def test_seed_demo_rejects_bad_arguments_and_writes_nothing(app: Any, session: Session, args: list[str]) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo", *args])
    assert result.exit_code == 2
    assert "Invalid value" in result.output
    assert session.scalar(select(func.count()).select_from(Product)) == 0


def test_seed_demo_refuses_a_history_outside_the_holiday_calendar(app: Any, session: Session) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo", "--end-date", "2040-01-31"])
    assert result.exit_code == 1 and "must lie within" in result.output
    assert session.scalar(select(func.count()).select_from(Product)) == 0


@pytest.mark.slow
def test_demo_history_ends_yesterday_by_default(app: Any, session: Session) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo", "--skus", "5", "--days", "60"])
    assert result.exit_code == 0, result.output
    last = session.scalar(select(func.max(StockMovement.business_date)))
    assert last == dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
