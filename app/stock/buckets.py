"""Hot-SKU mode (Double 11): a SKU's balances split into stock buckets, so that concurrent
reservations lock different rows (docs/concurrency.md, "Hot-SKU mode").

An admin marks a SKU hot (product page or ``PUT /api/v1/products/{sku}/hot``), or the
lock-wait scan does (``flask --app wsgi stock hot-scan``, e.g. every minute from cron):
it looks at PostgreSQL's lock table `samples` times, `interval` seconds apart, counts the
backends waiting for each balance's advisory lock (every stock writer takes that lock
first, so a wait on a balance shows there), and marks the SKU of every balance whose mean
number of waiters reaches `threshold`. SQLite serialises writers, so nothing ever waits on
a row there and the scan finds nothing; marking by hand works on both databases.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.catalog.models import Product
from app.errors import NotFound, ValidationFailed
from app.stock import repository as repo
from app.stock.ledger import Key
from app.stock.models import MAX_BUCKETS, HotSku

DEFAULT_BUCKETS = 8
SCAN_SAMPLES = 50
SCAN_INTERVAL_SECONDS = 0.02
SCAN_THRESHOLD = 2.0  # mean backends waiting on one balance over the samples


@dataclass(frozen=True)
class HotState:
    """Whether a SKU is in hot-SKU mode, and since when / by whom."""

    sku: str
    buckets: int  # 1 = off
    source: str | None = None  # "admin" | "auto"
    marked_at: dt.datetime | None = None
    marked_by: str | None = None
    waiters: float | None = None


def hot_state(session: Session, sku: str) -> HotState:
    """The SKU's hot-SKU mode (`NotFound` for an unknown SKU)."""
    row = session.execute(select(Product.id, HotSku).outerjoin(HotSku, HotSku.product_id == Product.id)
                          .where(Product.sku == sku)).first()
    if row is None:
        raise NotFound(f"unknown SKU {sku}", field="sku")
    hot = row[1]
    if hot is None:
        return HotState(sku, 1)
    return HotState(sku, hot.buckets, hot.source, hot.marked_at, hot.marked_by, hot.waiters)


def set_buckets(session: Session, actor: Actor, *, sku: str, buckets: int, now: dt.datetime, source: str = "admin",
                waiters: float | None = None) -> HotState:
    """Split every balance of the SKU into `buckets` rows (2 … MAX_BUCKETS: hot-SKU mode on), or
    merge them back into one (`buckets` = 1: off). Totals, availability and the feed's
    figures do not change; on hand is rebalanced over the buckets. Raises `ValidationFailed`
    for a count out of range, `NotFound` for an unknown SKU."""
    if not 1 <= buckets <= MAX_BUCKETS:
        raise ValidationFailed(f"buckets must be 1 … {MAX_BUCKETS}", [
            {"field": "buckets", "message": f"must be between 1 and {MAX_BUCKETS}"}])
    product_id = session.scalar(select(Product.id).where(Product.sku == sku))
    if product_id is None:
        raise NotFound(f"unknown SKU {sku}", field="sku")
    repo.resize_buckets(session, repo.lock_product_balances(session, [product_id]), buckets)
    session.execute(delete(HotSku).where(HotSku.product_id == product_id))
    if buckets > 1:
        session.add(HotSku(product_id=product_id, buckets=buckets, source=source, marked_at=now,
                           marked_by=actor.label, waiters=waiters))
        session.flush()
    record_audit(session, actor, "stock.hot" if buckets > 1 else "stock.hot-off", "product", product_id,
                 sku=sku, buckets=buckets, source=source, waiters=waiters)
    return hot_state(session, sku)


_WAITING = text(
    "SELECT l.classid::integer AS p, (l.objid::bigint % 16777216)::integer AS w, count(*) AS n FROM pg_locks l "
    "WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objsubid = 2 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY 1, 2")


def sample_lock_waits(session: Session, *, samples: int = SCAN_SAMPLES, interval: float = SCAN_INTERVAL_SECONDS,
                      sleep: Callable[[float], None] = time.sleep) -> dict[Key, float]:
    """Mean number of backends waiting for each balance's lock (any of its buckets) over
    `samples` looks at pg_locks. Empty on SQLite. Run it outside a transaction that writes."""
    if session.get_bind().dialect.name != "postgresql":
        return {}
    waits: dict[Key, int] = defaultdict(int)
    for i in range(samples):
        for p, w, n in session.execute(_WAITING):
            waits[(p, w)] += n
        session.rollback()  # a fresh snapshot of pg_locks each time, and no transaction left open
        if i + 1 < samples:
            sleep(interval)
    return {key: n / samples for key, n in waits.items()}


def mark_hot_from_waits(session: Session, actor: Actor, waits: dict[Key, float], *, now: dt.datetime,
                        threshold: float = SCAN_THRESHOLD, buckets: int = DEFAULT_BUCKETS) -> list[HotState]:
    """Put in hot-SKU mode (source "auto") the SKU of every balance whose mean waiters reach
    `threshold`, unless it is hot already. Returns the SKUs marked."""
    worst: dict[int, float] = {}
    for (p, _w), mean in waits.items():
        if mean >= threshold:
            worst[p] = max(worst.get(p, 0.0), mean)
    if not worst:
        return []
    hot = set(session.scalars(select(HotSku.product_id).where(HotSku.product_id.in_(worst))))
    skus = dict(session.execute(select(Product.id, Product.sku).where(Product.id.in_(worst))).all())
    return [set_buckets(session, actor, sku=skus[p], buckets=buckets, now=now, source="auto", waiters=round(mean, 2))
            for p, mean in sorted(worst.items()) if p not in hot and p in skus]
