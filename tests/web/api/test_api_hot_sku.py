"""Hot-SKU mode through the API: an admin puts a SKU in it (PUT /products/{sku}/hot), and the
stock API answers exactly as before — levels, availability, reservations and the feed show
totals — while each balance is several rows underneath."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.stock.models import StockBalance
from app.stock.verify import verify_stock
from tests.factories import make_api_client
from tests.web.api.conftest import Api, Net


def _rows(session: Session, product_id: int) -> dict[int, int]:
    session.expire_all()
    return dict(session.execute(select(StockBalance.warehouse_id, func.count()).where(
        StockBalance.product_id == product_id).group_by(StockBalance.warehouse_id)).all())


def test_an_admin_puts_a_sku_in_hot_mode_and_the_stock_api_still_shows_totals(
    api: Api, net: Net, session: Session
) -> None:
    _a, admin = make_api_client(session, ("admin",), name="ops-admin")
    session.commit()
    before_levels = api.get("/stock", sku="TOWEL-1").get_json()
    before_avail = api.get("/availability", sku="TOWEL-1", region="north").get_json()
    feed_before = api.get("/stock/changes").get_json()
    assert api.get("/products/TOWEL-1/hot").get_json() == {
        "sku": "TOWEL-1", "hot": False, "buckets": 1, "source": None, "marked_at": None, "marked_by": None,
        "lock_waiters": None}

    resp = api.put("/products/TOWEL-1/hot", {"buckets": 4}, token=admin)
    assert resp.status_code == 200, resp.text
    body = resp.get_json()
    assert (body["hot"], body["buckets"], body["source"], body["marked_by"]) == (True, 4, "admin", "ops-admin")
    assert _rows(session, net.towel.id) == {net.cloud.id: 4, net.north.id: 4, net.east.id: 4}
    assert api.get("/stock", sku="TOWEL-1").get_json() == before_levels
    assert api.get("/availability", sku="TOWEL-1", region="north").get_json() == before_avail
    assert api.get("/stock/changes").get_json() == feed_before  # a split changes no total: no record

    # 5 in the north warehouse, now over 4 rows (2+1+1+1): one allocation of 5 there, not four
    reserved = api.post("/reservations", {"order_ref": "SO-HOT", "region": "north",
                                          "lines": [{"sku": "TOWEL-1", "quantity": 7}]})
    assert reserved.status_code == 201, reserved.text
    assert reserved.get_json()["lines"][0]["allocations"] == [
        {"warehouse": "BJ-01", "quantity": 5}, {"warehouse": "CN-CLOUD", "quantity": 2}]
    north = next(a for a in api.get("/availability", sku="TOWEL-1", region="north").get_json()["availability"][0]
                 ["warehouses"] if a["warehouse"] == "BJ-01")
    assert north["available"] == 0
    last = api.get("/stock/changes").get_json()["changes"][-2:]
    assert {(c["warehouse"], c["on_hand"], c["reserved"]) for c in last} == {("BJ-01", 5, 5), ("CN-CLOUD", 50, 2)}
    assert api.post(f"/reservations/{reserved.get_json()['id']}/commit").status_code == 200
    assert verify_stock(session) == []

    off = api.put("/products/TOWEL-1/hot", {"buckets": 1}, token=admin)
    assert off.status_code == 200 and off.get_json()["hot"] is False
    assert _rows(session, net.towel.id) == {net.cloud.id: 1, net.north.id: 1, net.east.id: 1}
    levels = {r["warehouse"]: (r["on_hand"], r["reserved"]) for r in api.get("/stock", sku="TOWEL-1").get_json()["stock"]}
    assert levels == {"CN-CLOUD": (48, 0), "BJ-01": (0, 0), "SH-01": (8, 0)}
    assert verify_stock(session) == []


def test_hot_mode_needs_the_admin_scope_a_known_sku_and_a_bucket_count_in_range(
    api: Api, net: Net, session: Session
) -> None:
    _a, admin = make_api_client(session, ("admin",))
    session.commit()
    refused = api.put("/products/TOWEL-1/hot", {"buckets": 4})  # read + write + sync, no admin
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    for bad in (0, 33, "8", None):
        resp = api.put("/products/TOWEL-1/hot", {"buckets": bad}, token=admin)
        assert resp.status_code == 422, (bad, resp.text)
        assert resp.get_json()["errors"][0]["field"] == "buckets"
    missing = api.put("/products/NOPE-1/hot", {"buckets": 4}, token=admin)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert api.get("/products/NOPE-1/hot").status_code == 404
    assert _rows(session, net.towel.id) == {net.cloud.id: 1, net.north.id: 1, net.east.id: 1}
