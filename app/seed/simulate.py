"""Day-by-day simulation of the demo history: demand, shipments, returns, transfers, purchases.

Each day, in this order: purchase deliveries arrive at the cloud warehouse (inspected;
rejected units go back to the supplier), transfers arrive at forward warehouses,
customer returns come back, customers are served from what is on hand (demand beyond
it is lost), then forward warehouses on their review days are topped up from the cloud
warehouse, and on Mondays purchasing orders for the whole network. Planners know the
promotion calendar, so stock is built up ahead of peaks. Pure numpy; deterministic for
a seed.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from app import numbering
from app.seed.catalog import CATEGORIES, SUPPLIERS, WAREHOUSES, PriceSpec, make_prices, make_products
from app.seed.demand import DemandModel, make_demand
from app.seed.plan import Plan, PurchaseLine, PurchasePlan, ReceiptPlan, TransferPlan

HORIZON_DAYS = 240  # expected demand is needed past the end (lead times, bulk buys)
FORWARD_REVIEW_WEEKDAYS = {1: (0, 3), 2: (1, 4), 3: (0, 3), 4: (2, 5)}  # warehouse → weekdays
FORWARD_COVER_DAYS = 10  # review gap + safety on top of the transit time
FORWARD_REORDER_SHARE = 0.5  # top a forward warehouse up when below this share of its target
PURCHASE_WEEKDAY = 0  # Monday
PURCHASE_COVER_DAYS = 17  # review period + safety on top of the lead time
CLOUD_OWN_RESERVE_DAYS = 2  # the cloud keeps this much of its own demand when sending stock out
DEFECT_REASONS = ("quality defect", "damaged")
BATCH_REASONS = ("wrong specification", "wrong style number", "wrong item", "damaged")


@dataclass
class _Terms:
    """One supplier's terms for one product, with its price history."""

    supplier: int
    moq: int
    pack_size: int
    lead_time_days: int
    prices: list[tuple[dt.date, dt.date | None, Decimal]] = field(default_factory=list)

    def price_on(self, day: dt.date) -> Decimal:
        for valid_from, valid_to, price in self.prices:
            if valid_from <= day and (valid_to is None or day <= valid_to):
                return price
        return self.prices[-1][2]

    def round_up(self, quantity: float) -> int:
        packs = max(1, math.ceil(quantity / self.pack_size))
        return max(self.moq, packs * self.pack_size)


def _terms(prices: list[PriceSpec], n_products: int) -> tuple[list[_Terms], list[list[_Terms]]]:
    """Per product: the preferred supplier's terms and the backups' terms."""
    by_key: dict[tuple[int, int], _Terms] = {}
    preferred: dict[int, int] = {}
    for p in prices:
        terms = by_key.setdefault((p.product, p.supplier), _Terms(p.supplier, p.moq, p.pack_size, p.lead_time_days))
        terms.prices.append((p.valid_from, p.valid_to, p.unit_price))
        if p.is_preferred:
            preferred[p.product] = p.supplier
    main = [by_key[(i, preferred[i])] for i in range(n_products)]
    backups: list[list[_Terms]] = [[] for _ in range(n_products)]
    for (product, supplier), terms in sorted(by_key.items()):
        if supplier != preferred[product]:
            backups[product].append(terms)
    return main, backups


class _Numbers:
    """Document numbers in the app's one scheme (`app.numbering`): PO-2026-000001, …

    The digits count the documents of a prefix in insert order, so on a fresh database
    they equal the row ids, as numbers the UI hands out do.
    """

    def __init__(self) -> None:
        self.counters: dict[str, int] = defaultdict(int)

    def next(self, prefix: str, day: dt.date) -> str:
        self.counters[prefix] += 1
        return numbering.document_number(prefix, day.year, self.counters[prefix])


class _Simulation:
    def __init__(self, rng: np.random.Generator, demand: DemandModel, prices: list[PriceSpec],
                 categories: np.ndarray, start: dt.date, days: int) -> None:
        self.rng, self.demand, self.start, self.days = rng, demand, start, days
        n, w = categories.size, len(WAREHOUSES)
        self.n = n
        self.preferred, self.backups = _terms(prices, n)
        self.lead = np.array([t.lead_time_days for t in self.preferred])
        self.return_rate = np.array([CATEGORIES[c].return_rate for c in categories]) * rng.uniform(0.5, 1.5, n)
        self.return_lag = rng.integers(4, 15, n)
        core = ~demand.long_tail
        # A few products end short (the supplier's last order is badly late) or overstocked (a bulk buy).
        self.supply_problem = core & (rng.random(n) < 0.05)
        self.bulk_buy = core & ~self.supply_problem & (rng.random(n) < 0.04)
        self.blocked = np.zeros(n, dtype=bool)
        self.transit = np.array([wh.transit_days for wh in WAREHOUSES])

        self.opening = np.zeros((n, w), dtype=np.int64)
        self.opening[:, 0] = np.ceil(demand.expected(0, 35))
        for i in range(1, w):
            self.opening[:, i] = np.ceil(demand.expected(0, 10) * demand.share[i])
        self.on_hand = self.opening.copy()
        self.in_transit = np.zeros((n, w), dtype=np.int64)
        self.on_order = np.zeros(n, dtype=np.int64)
        self.shipments = np.zeros((days, n, w), dtype=np.int32)
        self.returns = np.zeros((days, n, w), dtype=np.int32)
        self.lost = 0
        self.numbers = _Numbers()
        self.purchases: list[PurchasePlan] = []
        self.transfers: list[TransferPlan] = []
        self.po_arrivals: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.transfer_arrivals: dict[int, list[int]] = defaultdict(list)

    def date(self, t: int) -> dt.date:
        return self.start + dt.timedelta(days=t)

    def run(self) -> None:
        last = self.days - 1
        for t in range(self.days):
            self._receive(t)
            self._customer_returns(t)
            self._serve_customers(t)
            weekday = self.date(t).weekday()
            for w, review_days in FORWARD_REVIEW_WEEKDAYS.items():
                if weekday in review_days or t == last:
                    self._replenish_forward(t, w)
            if weekday == PURCHASE_WEEKDAY or t == last:
                self._purchase(t)

    def _receive(self, t: int) -> None:
        for po_index, line_index in self.po_arrivals.pop(t, []):
            line = self.purchases[po_index].lines[line_index]
            self.on_hand[line.product, 0] += line.accepted
            self.on_order[line.product] -= line.quantity
        for index in self.transfer_arrivals.pop(t, []):
            transfer = self.transfers[index]
            for product, quantity in transfer.lines:
                self.on_hand[product, transfer.dest] += quantity
                self.in_transit[product, transfer.dest] -= quantity

    def _customer_returns(self, t: int) -> None:
        source_day = t - self.return_lag
        valid = source_day >= 0
        shipped = self.shipments[np.maximum(source_day, 0), np.arange(self.n), :] * valid[:, None]
        returned = self.rng.binomial(shipped, self.return_rate[:, None]).astype(np.int32)
        self.returns[t] = returned
        self.on_hand += returned

    def _serve_customers(self, t: int) -> None:
        wanted = self.demand.draw(self.rng, t)
        shipped = np.minimum(wanted, self.on_hand)
        self.on_hand -= shipped
        self.shipments[t] = shipped
        self.lost += int((wanted - shipped).sum())

    def _replenish_forward(self, t: int, w: int) -> None:
        cover = int(self.transit[w]) + FORWARD_COVER_DAYS
        expected = self.demand.expected(t + 1, t + 1 + cover) * self.demand.share[w]
        target = np.ceil(expected * 1.25 + 0.5 * (expected > 0.05)).astype(np.int64)
        need = target - self.on_hand[:, w] - self.in_transit[:, w]
        below = self.on_hand[:, w] + self.in_transit[:, w] < FORWARD_REORDER_SHARE * target
        need = np.where(below, need, 0)
        keep = np.ceil(self.demand.expected(t + 1, t + 1 + CLOUD_OWN_RESERVE_DAYS) * self.demand.share[0])
        send = np.minimum(need, np.maximum(self.on_hand[:, 0] - keep.astype(np.int64), 0))
        products = np.flatnonzero(send > 0)
        if products.size == 0:
            return
        self.on_hand[products, 0] -= send[products]
        self.in_transit[products, w] += send[products]
        arrival = t + int(self.transit[w]) + int(self.rng.random() < 0.15)
        transfer = TransferPlan(
            number=self.numbers.next(numbering.TRANSFER, self.date(t)), dest=w, ship_day=t,
            arrival_day=arrival if arrival < self.days else None,
            lines=list(zip(products.tolist(), send[products].tolist(), strict=True)),
        )
        self.transfers.append(transfer)
        if transfer.arrival_day is not None:
            self.transfer_arrivals[arrival].append(len(self.transfers) - 1)

    def _purchase(self, t: int) -> None:
        cover_end = t + 1 + self.lead + PURCHASE_COVER_DAYS
        expected = self.demand.level * (self.demand.cumulative[cover_end, np.arange(self.n)]
                                        - self.demand.cumulative[t + 1])
        position = self.on_hand.sum(axis=1) + self.in_transit.sum(axis=1) + self.on_order
        target = expected * 1.1
        due = (position < 0.8 * target) & (expected > 0.5) & ~self.blocked
        bulk = self.bulk_buy & (t >= self.days - 100)
        by_supplier: dict[int, list[tuple[int, int, _Terms]]] = defaultdict(list)
        for product in np.flatnonzero(due | bulk).tolist():
            terms = self.preferred[product]
            if self.backups[product] and self.rng.random() < 0.15:
                terms = self.backups[product][int(self.rng.integers(len(self.backups[product])))]
            quantity = float(max(target[product] - position[product], 0))
            if bulk[product]:  # a year-end discount: half a year of stock in one go
                quantity += float(self.demand.expected(t + 1, t + 181)[product])
                self.bulk_buy[product] = False
            by_supplier[terms.supplier].append((product, terms.round_up(quantity), terms))
        for supplier, lines in sorted(by_supplier.items()):
            self._place_order(t, supplier, lines)

    def _place_order(self, t: int, supplier: int, lines: list[tuple[int, int, _Terms]]) -> None:
        profile = SUPPLIERS[supplier]
        promised = t + max(terms.lead_time_days for _, _, terms in lines)
        if self.rng.random() < profile.on_time_rate:
            arrival = promised - int(self.rng.integers(0, 2))
        else:
            arrival = promised + int(self.rng.integers(1, profile.max_late_days + 1))
        po = PurchasePlan(self.numbers.next(numbering.PURCHASE_ORDER, self.date(t)), supplier, t, promised)
        po_index = len(self.purchases)
        self.purchases.append(po)
        for product, quantity, terms in lines:
            line = PurchaseLine(product, quantity, terms.price_on(self.date(t)))
            line_arrival = arrival
            if self.supply_problem[product] and t >= self.days - 60:
                line_arrival = self.days + int(self.rng.integers(3, 20))  # stuck at the supplier
                self.blocked[product] = True
            if line_arrival < self.days:
                line.arrival_day = max(line_arrival, t + 1)
                self._inspect(line, profile.defect_rate)
                self.po_arrivals[line.arrival_day].append((po_index, len(po.lines)))
            po.lines.append(line)
            self.on_order[product] += quantity

    def _inspect(self, line: PurchaseLine, defect_rate: float) -> None:
        rng = self.rng
        line.received = line.quantity
        if rng.random() < 0.03:  # short shipped: the rest never comes
            line.received = max(1, int(line.quantity * rng.uniform(0.85, 0.97)))
        line.rejected = int(rng.binomial(line.received, defect_rate * rng.uniform(0.3, 1.7)))
        reason = rng.choice(DEFECT_REASONS) if line.rejected else None
        if rng.random() < defect_rate * 1.5:  # a whole batch is wrong
            line.rejected = min(line.received, line.rejected + max(1, int(line.received * rng.uniform(0.1, 0.4))))
            reason = rng.choice(BATCH_REASONS)
        line.reject_reason = None if reason is None else str(reason)

    def receipts(self) -> list[ReceiptPlan]:
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for po_index, po in enumerate(self.purchases):
            for line_index, line in enumerate(po.lines):
                if line.arrival_day is not None:
                    groups[line.arrival_day, po_index].append(line_index)
        receipts = []
        for (day, po_index), lines in sorted(groups.items()):
            receipt = ReceiptPlan(self.numbers.next(numbering.RECEIPT, self.date(day)), po_index, day, lines)
            if any(self.purchases[po_index].lines[i].rejected for i in lines):
                receipt.return_number = self.numbers.next(numbering.SUPPLIER_RETURN, self.date(day))
            receipts.append(receipt)
        return receipts


def simulate(*, seed: int, n_skus: int, days: int, end: dt.date) -> Plan:
    """The demo history of `days` days ending on `end` (inclusive), for `n_skus` products."""
    rng = np.random.default_rng(seed)
    start = end - dt.timedelta(days=days - 1)
    products = make_products(rng, n_skus)
    categories = np.array([p.category for p in products])
    demand = make_demand(rng, categories, start, days, HORIZON_DAYS)
    prices = make_prices(rng, products, ~demand.long_tail, start, end)
    sim = _Simulation(rng, demand, prices, categories, start, days)
    sim.run()
    return Plan(
        start=start, days=days, seed=seed, products=products, prices=prices, opening=sim.opening,
        shipments=sim.shipments, returns=sim.returns, purchases=sim.purchases, receipts=sim.receipts(),
        transfers=sim.transfers, on_hand=sim.on_hand, in_transit=sim.in_transit, lost_units=sim.lost,
    )
