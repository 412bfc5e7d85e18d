"""The one-statement SQL path (PostgreSQL) and the Python path give identical results.

The same sequence of requests — split allocations, multi-line, shortage, unknown SKU,
expiry of overdue holds before a sale, commit, release, a second commit, commit of an
overdue reservation, another client's reservation — runs through each path on its own
copy of the same stock (same warehouses, SKUs prefixed A- and B-). Responses must match
byte for byte (ids and SKU prefixes normalised), and so must the balances, the ledger,
the change log and the audit rows they leave.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.schemas import Problem, ReservationOut
from app.audit.models import AuditEntry
from app.audit.service import Actor
from app.catalog.models import Product
from app.errors import DomainError
from app.stock import reservations as py
from app.stock.buckets import set_buckets
from app.stock.levels import changes_after
from app.stock.models import StockBalance, StockChange, StockMovement, Warehouse
from app.stock.reservations_sql import close_in_one_statement, reserve_in_one_statement
from app.stock.totals import balance_totals
from app.stock.verify import verify_stock
from tests.factories import TEST_ACTOR, make_api_client, make_product, make_warehouse, receive_stock

pytestmark = pytest.mark.postgres_only
NOW = dt.datetime(2026, 11, 11, 0, 0, 0, 250000, tzinfo=dt.UTC)
Answer = tuple[int, str]


def _problem(exc: DomainError) -> Answer:
    return exc.status, Problem.model_validate(exc.problem()).model_dump_json(exclude_none=True)


class PythonPath:
    def __init__(self, session: Session, client: Any) -> None:
        self.s, self.client = session, client
        self.actor = Actor("api", client.id, client.name)

    def reserve(self, lines: list[tuple[str, int]], *, now: dt.datetime, ttl: int = 900,
                region: str | None = None) -> Answer:
        try:
            with self.s.begin_nested():
                view = py.reserve_stock(self.s, self.actor, order_ref="o", region=region, ttl_seconds=ttl, now=now,
                                        lines=[py.ReserveLine(sku, q) for sku, q in lines],
                                        api_client_id=self.client.id)
        except DomainError as exc:
            return _problem(exc)
        return 201, ReservationOut.of(view).model_dump_json()

    def close(self, rid: str, *, commit: bool, now: dt.datetime, as_client: Any = None) -> Answer:
        client = as_client or self.client
        owner = None if "admin" in client.scopes.split() else client.id
        close = py.commit_reservation if commit else py.release_reservation
        try:
            with self.s.begin_nested():
                outcome = close(self.s, Actor("api", client.id, client.name), reservation_id=rid, now=now,
                                owner=owner)
        except DomainError as exc:
            return _problem(exc)
        if outcome.error is not None:
            return _problem(outcome.error)
        return 200, ReservationOut.of(outcome.reservation).model_dump_json()


class SqlPath(PythonPath):
    def reserve(self, lines: list[tuple[str, int]], *, now: dt.datetime, ttl: int = 900,
                region: str | None = None) -> Answer:
        result = reserve_in_one_statement(self.s, self.actor, api_client_id=self.client.id, key=None,
                                          fingerprint=None, order_ref="o", region=region, ttl_seconds=ttl, now=now,
                                          lines=[py.ReserveLine(sku, q) for sku, q in lines])
        return _problem(result.error) if result.error else (result.status, result.body or "")

    def close(self, rid: str, *, commit: bool, now: dt.datetime, as_client: Any = None) -> Answer:
        client = as_client or self.client
        result = close_in_one_statement(self.s, Actor("api", client.id, client.name), api_client_id=client.id,
                                        admin="admin" in client.scopes.split(), key=None, fingerprint=None,
                                        reservation_id=rid, commit=commit, now=now)
        return _problem(result.error) if result.error else (result.status, result.body or "")


def _scenario(path: PythonPath, prefix: str, stranger: Any, admin: Any) -> list[Answer]:
    x, y = f"{prefix}-X", f"{prefix}-Y"
    later = NOW + dt.timedelta(seconds=30)
    out: list[Answer] = []

    def rid(answer: Answer) -> str:
        return str(json.loads(answer[1])["id"])

    def step(answer: Answer) -> Answer:
        out.append(answer)
        return answer

    split = step(path.reserve([(x, 4)], now=NOW, region="north"))            # north 3 + cloud 1
    multi = step(path.reserve([(x, 2), (y, 1), (x, 1)], now=NOW, region="south"))
    step(path.reserve([(x, 50), (y, 9)], now=NOW))                          # both short
    step(path.reserve([(x, 1), (f"{prefix}-NOPE", 1)], now=NOW))             # unknown SKU
    short_lived = step(path.reserve([(x, 1)], now=NOW, ttl=5))
    doomed = step(path.reserve([(y, 1)], now=NOW, ttl=5, region="north"))
    step(path.close(rid(split), commit=True, now=NOW))
    step(path.close(rid(split), commit=True, now=NOW))                     # not active any more
    step(path.close(rid(multi), commit=False, now=NOW, as_client=stranger))  # another client's: 404
    step(path.close(rid(multi), commit=False, now=NOW, as_client=admin))     # admin may
    step(path.reserve([(x, 3)], now=later, region="east"))                   # expires short_lived first
    step(path.close(rid(doomed), commit=True, now=later))                    # overdue: expired, 409
    step(path.close(rid(short_lived), commit=True, now=later))
    step(path.close("not-a-uuid", commit=True, now=later))
    return out


def _normalise(text: str, prefix: str, ids: dict[str, str]) -> str:
    for found in re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text):
        ids.setdefault(found, f"R{len(ids)}")
        text = text.replace(found, ids[found])
    return text.replace(f"{prefix}-", "P-")


def _effects(s: Session, prefix: str, ids: dict[str, str]) -> dict[str, list[Any]]:
    def sku(pid: int) -> str:
        return str(s.scalar(select(Product.sku).where(Product.id == pid))).replace(f"{prefix}-", "P-")

    pids = list(s.scalars(select(Product.id).where(Product.sku.like(f"{prefix}-%"))))

    def code(wid: int) -> str:
        return str(s.scalar(select(Warehouse.code).where(Warehouse.id == wid)))

    balances = [(sku(b.product_id), code(b.warehouse_id), b.on_hand, b.reserved, b.version) for b in s.scalars(
        select(StockBalance).where(StockBalance.product_id.in_(pids)).order_by(StockBalance.id))]
    ledger = [(sku(m.product_id), code(m.warehouse_id), m.kind, m.quantity, m.source, m.reference_type,
               _normalise(m.reference_id or "", prefix, ids)) for m in s.scalars(
        select(StockMovement).where(StockMovement.product_id.in_(pids)).order_by(StockMovement.id))]
    changes = [(sku(c.product_id), code(c.warehouse_id), c.on_hand, c.reserved) for c in s.scalars(
        select(StockChange).where(StockChange.product_id.in_(pids)).order_by(StockChange.seq))]
    audit = [(a.action, _normalise(a.entity_id or "", prefix, ids),
              json.loads(_normalise(a.details, prefix, ids)) if a.details else None)
             for a in s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "reservation")
                                .order_by(AuditEntry.id))
             if a.entity_id in ids]
    return {"balances": balances, "ledger": ledger, "changes": changes, "audit": audit}


def _bucketed_effects(s: Session, prefix: str, ids: dict[str, str]) -> dict[str, list[Any]]:
    """What must agree when the balances are split into buckets (where each path puts a hold
    within a balance may differ): the summed balances, the ledger per balance and kind, the
    feed's records (bucket sums), the audit rows — and no drift."""
    def p(text: str) -> str:
        return text.replace(f"{prefix}-", "P-")

    pids = list(s.scalars(select(Product.id).where(Product.sku.like(f"{prefix}-%"))))
    totals = balance_totals(StockBalance.product_id.in_(pids))
    balances = [(p(sku), code, on_hand, reserved) for sku, code, on_hand, reserved in s.execute(
        select(Product.sku, Warehouse.code, totals.c.on_hand, totals.c.reserved)
        .join(Product, Product.id == totals.c.product_id).join(Warehouse, Warehouse.id == totals.c.warehouse_id)
        .order_by(Product.sku, Warehouse.code))]
    ledger = [(p(sku), code, kind, int(q)) for sku, code, kind, q in s.execute(
        select(Product.sku, Warehouse.code, StockMovement.kind, func.sum(StockMovement.quantity))
        .join(Product, Product.id == StockMovement.product_id).join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
        .where(StockMovement.product_id.in_(pids)).group_by(Product.sku, Warehouse.code, StockMovement.kind)
        .order_by(Product.sku, Warehouse.code, StockMovement.kind))]
    feed = [(p(c.sku), c.warehouse, c.on_hand, c.reserved) for c in changes_after(s, after=None, limit=1000).changes
            if c.sku.startswith(f"{prefix}-")]
    assert verify_stock(s) == []
    return {"balances": balances, "ledger": ledger, "feed": feed, "audit": _effects(s, prefix, ids)["audit"]}


@pytest.mark.parametrize("buckets", [1, 3], ids=["plain", "hot-3-buckets"])
def test_the_sql_path_and_the_python_path_give_identical_results(session: Session, buckets: int) -> None:
    warehouses = [make_warehouse(session, code=code, kind=kind, region=region) for code, kind, region in (
        ("CLOUD-EQ", "cloud", "national"), ("N-EQ", "forward", "north"), ("S-EQ", "forward", "south"),
        ("E-EQ", "forward", "east"))]
    client, _ = make_api_client(session, scopes=("stock:read", "stock:write"))
    stranger, _ = make_api_client(session, scopes=("stock:read", "stock:write"))
    admin, _ = make_api_client(session, scopes=("admin",))
    for prefix in ("A", "B"):
        x, y = make_product(session, sku=f"{prefix}-X"), make_product(session, sku=f"{prefix}-Y")
        for product, wh, qty in ((x, 0, 5), (x, 1, 3), (x, 2, 2), (x, 3, 0), (y, 0, 1), (y, 1, 1)):
            receive_stock(session, product, warehouses[wh], qty) if qty else None
        if buckets > 1:
            for product in (x, y):
                set_buckets(session, TEST_ACTOR, sku=product.sku, buckets=buckets, now=NOW)
    a = _scenario(PythonPath(session, client), "A", stranger, admin)
    b = _scenario(SqlPath(session, client), "B", stranger, admin)
    ids_a: dict[str, str] = {}
    ids_b: dict[str, str] = {}
    answers_a = [(status, _normalise(body, "A", ids_a)) for status, body in a]
    answers_b = [(status, _normalise(body, "B", ids_b)) for status, body in b]
    assert [s for s, _ in answers_a] == [201, 201, 409, 422, 201, 201, 200, 409, 404, 200, 201, 409, 409, 404]
    assert answers_b == answers_a
    if buckets == 1:
        assert _effects(session, "B", ids_b) == _effects(session, "A", ids_a)
    else:
        assert _bucketed_effects(session, "B", ids_b) == _bucketed_effects(session, "A", ids_a)
