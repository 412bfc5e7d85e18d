"""Bench: every scorecard (monthly, rolling 3 and 12 months) for 100 suppliers × 24 months.

Builds the volume in a scratch SQLite database (migrated with Alembic), then times
gathering the events (3 queries) and computing 100 × 24 × 3 scorecards.
Usage: python bench/scorecards.py [--suppliers 100] [--months 24] [--pos-per-month 3] [--lines 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from app import migrate
from app.catalog.models import Product
from app.db import make_engine, make_sessionmaker
from app.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine
from app.stock.models import Warehouse
from app.suppliers.models import Supplier, SupplierPrice
from app.suppliers.scorecards.queries import gather_events
from app.suppliers.scorecards.scoring import Period, Rules, compute_scorecards


def build(session, *, suppliers: int, months: int, pos_per_month: int, lines: int, first: dt.date) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    n_products = suppliers * 5
    session.execute(insert(Warehouse), [{"id": 1, "code": "CLOUD", "name": "Cloud", "kind": "cloud",
                                         "region": "east", "city": "Hangzhou"}])
    session.execute(insert(Supplier), [{"id": i, "code": f"S{i:03d}", "name": f"Supplier {i}"}
                                       for i in range(1, suppliers + 1)])
    session.execute(insert(Product), [{"id": i, "sku": f"SKU-{i:05d}", "name": f"Product {i}",
                                       "unit_cost": Decimal("10")} for i in range(1, n_products + 1)])
    offers: dict[int, list[int]] = {}
    prices = []
    for sid in range(1, suppliers + 1):
        own = rng.sample(range(1, n_products + 1), 12)
        offers[sid] = own
        prices += [{"supplier_id": sid, "product_id": pid, "unit_price": Decimal(rng.randint(800, 1400)) / 100,
                    "valid_from": first - dt.timedelta(days=400)} for pid in own]
    session.execute(insert(SupplierPrice), prices)
    po_rows, line_rows, receipt_rows, rline_rows = [], [], [], []
    po_id = line_id = receipt_id = 0
    for m in range(months):
        month = (first.replace(day=1) + dt.timedelta(days=32 * m)).replace(day=1)
        for sid in range(1, suppliers + 1):
            for _ in range(pos_per_month):
                po_id += 1
                sent = dt.datetime.combine(month + dt.timedelta(days=rng.randint(0, 20)), dt.time(9), tzinfo=dt.UTC)
                po_rows.append({"id": po_id, "number": f"PO-{po_id:07d}", "supplier_id": sid, "warehouse_id": 1,
                                "status": "received", "sent_at": sent,
                                "confirmed_at": sent + dt.timedelta(hours=rng.randint(1, 72))})
                due = sent.date() + dt.timedelta(days=rng.randint(7, 21))
                arrive = sent + dt.timedelta(days=rng.randint(6, 25))
                receipt_id += 1
                receipt_rows.append({"id": receipt_id, "number": f"GR-{receipt_id:07d}", "purchase_order_id": po_id,
                                     "warehouse_id": 1, "received_at": arrive})
                for n in range(1, lines + 1):
                    line_id += 1
                    qty = rng.randint(10, 500)
                    rejected = rng.choice([0, 0, 0, 0, rng.randint(0, qty // 10)])
                    line_rows.append({"id": line_id, "purchase_order_id": po_id, "line_no": n,
                                      "product_id": rng.choice(offers[sid]), "quantity": qty,
                                      "unit_price": Decimal(rng.randint(800, 1400)) / 100, "promised_date": due,
                                      "status": "confirmed", "confirmed_quantity": qty, "confirmed_date": due,
                                      "received_quantity": qty, "accepted_quantity": qty - rejected,
                                      "rejected_quantity": rejected})
                    rline_rows.append({"receipt_id": receipt_id, "purchase_order_line_id": line_id,
                                       "product_id": line_rows[-1]["product_id"], "received_quantity": qty,
                                       "accepted_quantity": qty - rejected, "rejected_quantity": rejected})
    for model, rows in ((PurchaseOrder, po_rows), (PurchaseOrderLine, line_rows), (Receipt, receipt_rows),
                        (ReceiptLine, rline_rows)):
        for i in range(0, len(rows), 5000):
            session.execute(insert(model), rows[i:i + 5000])
    session.commit()
    return {"suppliers": suppliers, "products": n_products, "price rows": len(prices), "POs": len(po_rows),
            "PO lines": len(line_rows), "receipts": len(receipt_rows), "receipt lines": len(rline_rows)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suppliers", type=int, default=100)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--pos-per-month", type=int, default=3)
    ap.add_argument("--lines", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="stockwise-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        session = make_sessionmaker(engine)()
        last = dt.date(2026, 10, 1)
        first = (last.replace(day=1) - dt.timedelta(days=31 * (args.months - 1))).replace(day=1)
        t0 = time.perf_counter()
        volume = build(session, suppliers=args.suppliers, months=args.months, pos_per_month=args.pos_per_month,
                       lines=args.lines, first=first)
        print(f"built in {time.perf_counter() - t0:.1f}s: " + ", ".join(f"{v:,} {k}" for k, v in volume.items()))
        months = [Period.ending(dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1))
                  for i in range(args.months)]
        periods = [p for m in months for p in (m, Period.ending(m.start, 3), Period.ending(m.start, 12))]
        start = min(p.start for p in periods)
        t1 = time.perf_counter()
        events = gather_events(session, start=start, end=months[-1].end,
                               as_of=dt.datetime(2026, 11, 15, tzinfo=dt.UTC))
        t2 = time.perf_counter()
        cards = compute_scorecards(events, periods, Rules(as_of=dt.date(2026, 11, 15)), range(1, args.suppliers + 1))
        t3 = time.perf_counter()
        scored = sum(1 for c in cards.values() if c.overall is not None)
        print(f"gathered {len(events.deliveries):,} deliveries, {len(events.receipts):,} inspections, "
              f"{len(events.purchases):,} purchases in {t2 - t1:.2f}s (3 queries)")
        print(f"computed {len(cards):,} scorecards ({args.suppliers} suppliers × {args.months} months × "
              f"month/3/12) in {t3 - t2:.2f}s; {scored:,} with an overall score")
        print(f"total {t3 - t1:.2f}s")
        session.close()
        engine.dispose()


if __name__ == "__main__":
    main()
