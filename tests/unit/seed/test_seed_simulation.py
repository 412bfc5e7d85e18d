"""The pure demo generator: promotion calendar, price lists, and the simulation's stock arithmetic."""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from app.numbering import document_number
from app.seed.catalog import CATEGORIES, make_prices, make_products
from app.seed.demand import promotion_multiplier
from app.seed.plan import Plan
from app.seed.simulate import simulate

END = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return simulate(seed=5, n_skus=120, days=400, end=END)


@pytest.mark.parametrize(("day", "low", "high"), [
    (dt.date(2025, 6, 18), 3.0, 5.0),  # 618
    (dt.date(2025, 11, 11), 5.0, 7.0),  # Double 11
    (dt.date(2025, 12, 12), 2.0, 4.0),  # Double 12
    (dt.date(2026, 2, 7), 1.5, 2.5),  # New-Year goods festival, 10 days before CNY (17 Feb 2026)
    (dt.date(2026, 2, 18), 0.0, 0.5),  # couriers stop over the Spring Festival
    (dt.date(2025, 9, 3), 1.0, 1.0),  # an ordinary day
])
def test_promotion_multiplier_lifts_the_known_peaks(day: dt.date, low: float, high: float) -> None:
    assert low <= promotion_multiplier(day) <= high


def test_every_product_has_one_preferred_supplier_and_core_products_have_backups() -> None:
    rng = np.random.default_rng(1)
    products = make_products(rng, 300)
    core = np.arange(300) % 2 == 0
    prices = make_prices(rng, products, core, dt.date(2025, 1, 1), dt.date(2026, 1, 1))
    suppliers: dict[int, set[int]] = {}
    preferred: dict[int, set[int]] = {}
    for p in prices:
        suppliers.setdefault(p.product, set()).add(p.supplier)
        if p.is_preferred:
            preferred.setdefault(p.product, set()).add(p.supplier)
    assert all(len(preferred[i]) == 1 for i in range(300))
    assert all(2 <= len(suppliers[i]) <= 3 for i in range(300) if core[i])
    assert {p.category for p in products} == set(range(len(CATEGORIES)))
    assert len({p.sku for p in products}) == 300


def test_simulation_is_deterministic_for_a_seed(plan: Plan) -> None:
    again = simulate(seed=5, n_skus=120, days=400, end=END)
    assert np.array_equal(plan.shipments, again.shipments) and np.array_equal(plan.on_hand, again.on_hand)
    assert [p.number for p in plan.purchases] == [p.number for p in again.purchases]
    other = simulate(seed=6, n_skus=120, days=400, end=END)
    assert not np.array_equal(plan.shipments, other.shipments)


def test_simulated_stock_adds_up_and_never_goes_negative(plan: Plan) -> None:
    stock = plan.opening + plan.returns.sum(axis=0) - plan.shipments.sum(axis=0)
    in_transit = np.zeros_like(stock)
    for po in plan.purchases:
        for line in po.lines:
            if line.arrival_day is not None:
                stock[line.product, 0] += line.accepted
    for transfer in plan.transfers:
        for product, quantity in transfer.lines:
            stock[product, 0] -= quantity
            if transfer.arrival_day is None:
                in_transit[product, transfer.dest] += quantity
            else:
                stock[product, transfer.dest] += quantity
    assert np.array_equal(stock, plan.on_hand) and np.array_equal(in_transit, plan.in_transit)
    assert (plan.on_hand >= 0).all()
    assert plan.shipments.sum() > 0 and plan.returns.sum() > 0


def test_end_state_has_open_documents_and_stock_worth_an_alert(plan: Plan) -> None:
    statuses = {po.status(plan.days - 1) for po in plan.purchases}
    assert {"confirmed", "closed"} <= statuses
    assert any(t.arrival_day is None for t in plan.transfers)
    recent = plan.shipments[-28:].sum(axis=0) / 28
    network_recent = recent.sum(axis=1)
    network_stock = plan.on_hand.sum(axis=1)
    assert ((network_recent > 0.5) & (network_stock < 7 * network_recent)).any()  # low or out of stock
    assert (network_stock > 120 * np.maximum(network_recent, 1 / 28)).any()  # overstocked


def test_a_history_ending_in_the_last_calendar_year_plans_past_it() -> None:
    late = simulate(seed=1, n_skus=10, days=60, end=dt.date(2030, 12, 31))
    assert late.end == dt.date(2030, 12, 31) and late.shipments.sum() > 0


def test_seed_numbers_documents_like_the_app_does(plan: Plan) -> None:
    """Demo numbers follow `app.numbering`: PREFIX-YEAR-NNNNNN counting in insert order (= ids on a fresh database)."""
    purchases = [p.number for p in plan.purchases]
    assert purchases[:2] == [document_number("PO", plan.date(plan.purchases[0].order_day).year, 1),
                             document_number("PO", plan.date(plan.purchases[1].order_day).year, 2)]
    assert all(re.fullmatch(r"PO-\d{4}-\d{6}", n) for n in purchases) and len(set(purchases)) == len(purchases)
    assert [int(t.number[-6:]) for t in plan.transfers] == list(range(1, len(plan.transfers) + 1))
    assert all(r.number.startswith("GR-") for r in plan.receipts)
    returns = [r.return_number for r in plan.receipts if r.return_number]
    assert returns and all(n.startswith("RS-") for n in returns)
    assert [int(n[-6:]) for n in returns] == list(range(1, len(returns) + 1))
