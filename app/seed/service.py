"""Seeding the demo database: refuse or reset, simulate, write, create the logins, audit.

`seed_demo` runs in the caller's transaction (the CLI's one commit point), so a failure
leaves nothing behind.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

import app.models as models
from app.audit.service import Actor, record_audit
from app.auth import service as auth_service
from app.auth.models import Role
from app.db import utcnow
from app.errors import Conflict, Msg
from app.seed.catalog import SUPPLIERS
from app.seed.load import check_ledger, write_documents, write_reference_data, write_stock
from app.seed.plan import Plan
from app.seed.simulate import simulate

SEED_ACTOR = Actor.system("seed-demo")
SQLITE_CACHE_KIB = 512 * 1024

# Tables whose rows mean "this database is in use"; seeding refuses to mix with them.
OWNED_TABLES: tuple[Any, ...] = (models.Warehouse, models.Product, models.Supplier, models.StaffUser,
                                 models.SupplierUser, models.StockMovement, models.PurchaseOrder)

# Row counts reported at the end, in this order.
COUNTED: tuple[tuple[str, Any], ...] = (
    ("warehouses", models.Warehouse), ("categories", models.Category), ("products", models.Product),
    ("suppliers", models.Supplier), ("supplier prices", models.SupplierPrice),
    ("purchase orders", models.PurchaseOrder), ("purchase order lines", models.PurchaseOrderLine),
    ("receipts", models.Receipt), ("receipt lines", models.ReceiptLine), ("supplier returns", models.SupplierReturn),
    ("transfers", models.Transfer), ("transfer lines", models.TransferLine),
    ("stock movements", models.StockMovement), ("stock balances", models.StockBalance),
    ("stock change log", models.StockChange), ("staff users", models.StaffUser),
    ("supplier users", models.SupplierUser),
)


class AlreadySeeded(Conflict):
    code = "already-seeded"
    title = Msg("Database already holds data")


@dataclass(frozen=True)
class DemoLogin:
    realm: str  # staff | supplier
    email: str
    password: str
    role: str  # a staff role, or the supplier's code


STAFF_LOGINS = tuple(DemoLogin("staff", f"{r.value}@stockwise.demo", f"demo-{r.value}-2026", r.value) for r in Role)
SUPPLIER_LOGINS = tuple(DemoLogin("supplier", s.email, f"demo-{s.code.lower()}-2026", s.code) for s in SUPPLIERS)


@dataclass(frozen=True)
class SeedResult:
    start: dt.date
    end: dt.date
    counts: list[tuple[str, int]]
    logins: tuple[DemoLogin, ...]
    lost_units: int


def existing_data(session: Session) -> dict[str, int]:
    """Rows in the tables seeding would write to, by table (empty dict = nothing there)."""
    counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
              for model in OWNED_TABLES}
    return {table: n for table, n in counts.items() if n}


def delete_all_data(session: Session) -> None:
    """Delete every row of every table (not the schema)."""
    session.execute(update(models.Warehouse).values(replenished_from_id=None))
    for table in reversed(models.Base.metadata.sorted_tables):
        session.execute(delete(table))


def seed_demo(
    session: Session, *, skus: int, days: int, seed: int, end: dt.date, reset: bool,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = lambda items: items,
) -> SeedResult:
    """Fill an empty database with a deterministic demo history of `days` days ending on `end`.

    Raises `AlreadySeeded` (nothing written) when the database holds data and `reset` is false.
    """
    if reset:
        delete_all_data(session)
    else:
        found = existing_data(session)
        if found:
            summary = ", ".join(f"{n} {table}" for table, n in found.items())
            raise AlreadySeeded(f"the database already holds data ({summary}); use --reset to replace it")
    plan = simulate(seed=seed, n_skus=skus, days=days, end=end)
    with _large_sqlite_cache(session):
        return _write(session, plan, skus=skus, days=days, seed=seed, reset=reset, progress=progress)


@contextmanager
def _large_sqlite_cache(session: Session) -> Iterator[None]:
    """A bulk load into one SQLite transaction touches every index page; keep them in memory."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    before = session.execute(text("PRAGMA cache_size")).scalar_one()
    session.execute(text(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA cache_size = {int(before)}"))


def _write(
    session: Session, plan: Plan, *, skus: int, days: int, seed: int, reset: bool,
    progress: Callable[[Iterable[Any]], Iterable[Any]],
) -> SeedResult:
    now = utcnow()
    users = {login.role: auth_service.create_staff_user(session, SEED_ACTOR, email=login.email, role=login.role,
                                                        password=login.password, name=f"Demo {login.role}")
             for login in STAFF_LOGINS}
    ids = write_reference_data(session, plan)
    for login, supplier_id in zip(SUPPLIER_LOGINS, ids.suppliers, strict=True):
        auth_service.create_supplier_user(session, SEED_ACTOR, supplier_id=supplier_id, email=login.email,
                                          password=login.password, name=f"{login.role} sales")
    docs = write_documents(session, plan, ids, buyer_id=users[Role.PURCHASING.value].id,
                           receiver_id=users[Role.WAREHOUSE.value].id)
    write_stock(session, plan, ids, docs, now=now, progress=progress)
    session.flush()
    check_ledger(session, plan, ids)
    counts = [(label, session.scalar(select(func.count()).select_from(model)) or 0) for label, model in COUNTED]
    record_audit(session, SEED_ACTOR, "demo.seed", "database", None, skus=skus, days=days, seed=seed,
                 start=plan.start.isoformat(), end=plan.end.isoformat(), reset=reset, counts=dict(counts))
    return SeedResult(plan.start, plan.end, counts, STAFF_LOGINS + SUPPLIER_LOGINS, plan.lost_units)
