"""A supplier cannot over-announce a PO line with parallel shipment notices (issue 9 item 9):
eight simultaneous "new shipment notice" POSTs for all 48 open units of one line create one ASN."""
from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.purchasing.models import ShipmentNotice, ShipmentNoticeLine
from tests.factories import PASSWORD, make_price, make_product, make_supplier, make_supplier_user, make_warehouse
from tests.factories_purchasing import NOW, confirm_as_ordered, make_po

pytestmark = pytest.mark.postgres_only
PARALLEL = 8
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _logged_in(base: str, email: str) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{base}/portal/login", timeout=30)
    token = _CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    resp = http.post(f"{base}/portal/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                     allow_redirects=False, timeout=30)
    assert resp.status_code == 302, resp.text[:300]
    return http


def test_parallel_shipment_notices_never_announce_more_than_confirmed(live_url: str, db: Session) -> None:
    base = live_url.removesuffix("/api/v1")
    supplier = make_supplier(db, code="RACE")
    user = make_supplier_user(db, supplier)
    product = make_product(db)
    make_price(db, supplier, product)
    po = make_po(db, supplier, make_warehouse(db, kind="cloud"), [(product, 48, "5.00", dt.date(2026, 3, 20))])
    confirm_as_ordered(po, NOW)
    db.commit()
    line_id, url = po.lines[0].id, f"{base}/portal/orders/{po.id}/shipments/new"
    sessions = [_logged_in(base, user.email) for _ in range(PARALLEL)]
    tokens = [_CSRF.search(http.get(url, timeout=30).text).group(1) for http in sessions]  # type: ignore[union-attr]
    start = threading.Barrier(PARALLEL)

    def announce(i: int) -> Any:
        data = {"csrf_token": tokens[i], "ship_date": "2026-03-11", "expected_date": "2026-03-13",
                "lines-0-line_id": str(line_id), "lines-0-quantity": "48", "tracking_number": f"T-{i}"}
        start.wait()
        return sessions[i].post(url, data=data, headers={"Referer": url}, allow_redirects=False, timeout=60)

    with ThreadPoolExecutor(PARALLEL) as pool:
        responses = list(pool.map(announce, range(PARALLEL)))
    assert all(r.status_code in (302, 422) for r in responses), [r.status_code for r in responses]
    db.expire_all()
    notices = db.scalar(select(func.count()).select_from(ShipmentNotice).where(ShipmentNotice.purchase_order_id == po.id))
    announced = db.scalar(select(func.sum(ShipmentNoticeLine.quantity)).where(
        ShipmentNoticeLine.purchase_order_line_id == line_id))
    assert (notices, announced) == (1, 48)
