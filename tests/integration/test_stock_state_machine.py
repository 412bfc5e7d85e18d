"""Hypothesis drives the stock services with random receipts, reservations, commits,
releases, expiries, transfers in transit and counts; after every step the API.md
invariants must hold (checked against the database, not against our own bookkeeping).
On PostgreSQL the one-statement SQL path (app.stock.reservations_sql) takes part too,
interleaved with the Python path on the same stock. The hot variant runs on SKUs in
hot-SKU mode (balances split into buckets) and re-splits or merges them between steps."""
from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.errors import DomainError
from app.stock.buckets import set_buckets
from app.stock.models import StockBalance
from app.stock.reservations import (
    ReserveLine,
    commit_reservation,
    expire_reservations,
    release_reservation,
    reserve_stock,
)
from app.stock.reservations_sql import close_in_one_statement, reserve_in_one_statement
from app.stock.service import MovementInput, StockEffect, post_stock_effects, record_movements
from app.stock.verify import verify_stock
from app.transfers.models import Transfer, TransferLine
from tests.factories import TEST_ACTOR, make_api_client, make_product, make_warehouse

_numbers = itertools.count(1)


class StockMachine(RuleBasedStateMachine):
    """Random steps over the stock services; the invariants are checked after every one."""

    session: Session  # set by the test: the test's savepointed session
    hot: bool = False  # set by the test: every product in hot-SKU mode (stock buckets)

    def __init__(self) -> None:
        super().__init__()
        self.s = self.session
        self.now = dt.datetime(2026, 11, 11, tzinfo=dt.UTC)
        self.reservations: list[str] = []
        self.transfers: list[Transfer] = []

    @initialize()
    def network(self) -> None:
        n = next(_numbers)
        self.cloud = make_warehouse(self.s, code=f"SM-C{n}", kind="cloud", region="national")
        self.north = make_warehouse(self.s, code=f"SM-N{n}", kind="forward", region="north")
        self.products = [make_product(self.s, sku=f"SM-{n}-{i}") for i in range(2)]
        self.sql = self.s.get_bind().dialect.name == "postgresql"
        self.client_id = make_api_client(self.s)[0].id if self.sql else 0
        if self.hot:
            for product in self.products:
                set_buckets(self.s, TEST_ACTOR, sku=product.sku, buckets=3, now=self.now)

    @rule(p=st.integers(0, 1), buckets=st.integers(1, 4))
    def resize_buckets(self, p: int, buckets: int) -> None:
        if self.hot:
            self._try(lambda: set_buckets(self.s, TEST_ACTOR, sku=self.products[p].sku, buckets=buckets,
                                          now=self.now))

    def _try(self, fn: Any) -> Any:
        """Run one service call as its own unit (a savepoint stands in for the handler's transaction)."""
        try:
            with self.s.begin_nested():
                return fn()
        except DomainError:
            return None

    def _wh(self, north: bool) -> Any:
        return self.north if north else self.cloud

    @rule(p=st.integers(0, 1), north=st.booleans(), qty=st.integers(1, 20))
    def receipt(self, p: int, north: bool, qty: int) -> None:
        self._try(lambda: record_movements(self.s, [MovementInput(
            self.products[p].id, self._wh(north).id, "receipt", qty, self.now, event_id=f"r{next(_numbers)}")],
            source="sm", now=self.now))

    @rule(p=st.integers(0, 1), north=st.booleans(), counted=st.integers(0, 25))
    def count(self, p: int, north: bool, counted: int) -> None:
        self._try(lambda: record_movements(self.s, [MovementInput(
            self.products[p].id, self._wh(north).id, "count", counted, self.now, event_id=f"c{next(_numbers)}")],
            source="sm", now=self.now))

    @rule(lines=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 12)), min_size=1, max_size=3),
          region=st.sampled_from([None, "north"]), ttl=st.sampled_from([30, 600]))
    def reserve(self, lines: list[tuple[int, int]], region: str | None, ttl: int) -> None:
        view = self._try(lambda: reserve_stock(
            self.s, TEST_ACTOR, order_ref="sm", lines=[ReserveLine(self.products[p].sku, q) for p, q in lines],
            region=region, ttl_seconds=ttl, now=self.now))
        if view is not None:
            self.reservations.append(view.id)

    @rule(i=st.integers(0, 50), commit=st.booleans())
    def close(self, i: int, commit: bool) -> None:
        if not self.reservations:
            return
        rid = self.reservations[i % len(self.reservations)]
        fn = commit_reservation if commit else release_reservation
        self._try(lambda: fn(self.s, TEST_ACTOR, reservation_id=rid, now=self.now))

    @rule(lines=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 12)), min_size=1, max_size=3),
          region=st.sampled_from([None, "north"]), ttl=st.sampled_from([30, 600]))
    def reserve_sql(self, lines: list[tuple[int, int]], region: str | None, ttl: int) -> None:
        if not self.sql:
            return
        result = reserve_in_one_statement(
            self.s, TEST_ACTOR, api_client_id=self.client_id, key=None, fingerprint=None, order_ref="sm",
            lines=[ReserveLine(self.products[p].sku, q) for p, q in lines], region=region, ttl_seconds=ttl,
            now=self.now)
        if result.error is None and result.body:
            self.reservations.append(json.loads(result.body)["id"])

    @rule(i=st.integers(0, 50), commit=st.booleans())
    def close_sql(self, i: int, commit: bool) -> None:
        if not self.sql or not self.reservations:
            return
        close_in_one_statement(self.s, TEST_ACTOR, api_client_id=self.client_id, admin=True, key=None,
                               fingerprint=None, reservation_id=self.reservations[i % len(self.reservations)],
                               commit=commit, now=self.now)

    @rule(seconds=st.sampled_from([10, 60, 700]))
    def time_passes(self, seconds: int) -> None:
        self.now += dt.timedelta(seconds=seconds)

    @rule()
    def expire(self) -> None:
        self._try(lambda: expire_reservations(self.s, TEST_ACTOR, now=self.now))

    @rule(p=st.integers(0, 1), qty=st.integers(1, 10))
    def ship_transfer(self, p: int, qty: int) -> None:
        product = self.products[p]

        def ship() -> Transfer:
            post_stock_effects(self.s, [
                StockEffect(product.id, self.cloud.id, "transfer_out", -qty),
                StockEffect(product.id, self.north.id, in_transit_delta=qty),
            ], source="sm", now=self.now)
            transfer = Transfer(number=f"SM-T{next(_numbers)}", source_warehouse_id=self.cloud.id,
                                dest_warehouse_id=self.north.id, status="shipped", shipped_at=self.now,
                                lines=[TransferLine(product_id=product.id, quantity=qty, shipped_quantity=qty)])
            self.s.add(transfer)
            self.s.flush()
            return transfer

        transfer = self._try(ship)
        if transfer is not None:
            self.transfers.append(transfer)

    @rule()
    def receive_transfer(self) -> None:
        if not self.transfers:
            return
        transfer = self.transfers.pop(0)
        line = transfer.lines[0]

        def receive() -> None:
            post_stock_effects(self.s, [StockEffect(line.product_id, self.north.id, "transfer_in",
                                                    line.shipped_quantity, in_transit_delta=-line.shipped_quantity)],
                               source="sm", now=self.now)
            transfer.status, transfer.received_at = "received", self.now
            line.received_quantity = line.shipped_quantity
            self.s.flush()

        self._try(receive)

    @invariant()
    def ledger_reservations_and_transit_agree_with_balances(self) -> None:
        assert verify_stock(self.s) == []

    @invariant()
    def reserved_is_within_on_hand_unless_a_count_flagged_it(self) -> None:
        flagged = {(a.product_id, a.warehouse_id) for a in self.s.scalars(
            select(Alert).where(Alert.kind == "count_below_reserved"))}
        for bal in self.s.scalars(select(StockBalance)):
            assert bal.on_hand >= 0 and bal.reserved >= 0 and bal.in_transit >= 0
            assert bal.available == bal.on_hand - bal.reserved
            if bal.reserved > bal.on_hand:
                assert (bal.product_id, bal.warehouse_id) in flagged


@pytest.mark.parametrize("hot", [False, True], ids=["plain", "hot-buckets"])
def test_stock_invariants_hold_after_every_step(session: Session, hot: bool) -> None:
    StockMachine.session = session
    StockMachine.hot = hot
    run_state_machine_as_test(StockMachine, settings=settings(
        max_examples=25, stateful_step_count=15, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
