"""POST/GET /reservations, commit, release, expiry — the contract of API.md."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.stock.models import Reservation, StockBalance, StockMovement
from tests.web.api.conftest import Api, Net


def _reserve(api: Api, lines: list[tuple[str, int]], region: str | None = "north", **kw: object) -> object:
    body = {"order_ref": "SO-1", "lines": [{"sku": s, "quantity": q} for s, q in lines], **kw}
    if region is not None:
        body["region"] = region
    return api.post("/reservations", body)


def _balance(session: Session, product_id: int, warehouse_id: int) -> StockBalance:
    session.expire_all()
    return session.scalars(select(StockBalance).where(StockBalance.product_id == product_id,
                                                      StockBalance.warehouse_id == warehouse_id)).one()


def test_reservation_prefers_the_regional_forward_then_cloud_and_splits(api: Api, net: Net, session: Session) -> None:
    resp = _reserve(api, [("TOWEL-1", 7)])
    assert resp.status_code == 201, resp.text
    body = resp.get_json()
    assert body["status"] == "active" and body["order_ref"] == "SO-1"
    assert body["lines"] == [{"sku": "TOWEL-1", "quantity": 7, "allocations": [
        {"warehouse": "BJ-01", "quantity": 5}, {"warehouse": "CN-CLOUD", "quantity": 2}]}]
    assert dt.datetime.fromisoformat(body["expires_at"]).tzinfo is not None
    assert _balance(session, net.towel.id, net.north.id).reserved == 5
    assert _balance(session, net.towel.id, net.cloud.id).reserved == 2
    got = api.get(f"/reservations/{body['id']}")
    assert got.status_code == 200 and got.get_json() == body



def test_reservation_without_region_takes_the_cloud_first(api: Api, net: Net) -> None:
    body = _reserve(api, [("TOWEL-1", 3)], region=None).get_json()
    assert body["lines"][0]["allocations"] == [{"warehouse": "CN-CLOUD", "quantity": 3}]


def test_insufficient_stock_is_409_with_shortages_and_reserves_nothing(api: Api, net: Net, session: Session) -> None:
    resp = _reserve(api, [("TOWEL-1", 2), ("MASK-9", 4)])
    assert resp.status_code == 409
    assert resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["type"].endswith("/insufficient-stock")
    assert problem["shortages"] == [{"sku": "MASK-9", "requested": 4, "available": 3}]
    assert {problem[k] is not None for k in ("title", "status", "detail")} == {True}
    assert _balance(session, net.towel.id, net.north.id).reserved == 0
    assert session.scalar(select(Reservation.id)) is None


def test_lines_for_the_same_sku_draw_from_one_pool(api: Api, net: Net) -> None:
    resp = _reserve(api, [("MASK-9", 2), ("MASK-9", 2)])
    assert resp.status_code == 409
    assert resp.get_json()["shortages"] == [{"sku": "MASK-9", "requested": 4, "available": 3}]


def test_commit_ships_the_allocations_as_shipment_movements(api: Api, net: Net, session: Session) -> None:
    rid = _reserve(api, [("TOWEL-1", 7)]).get_json()["id"]
    resp = api.post(f"/reservations/{rid}/commit")
    assert resp.status_code == 200, resp.text
    assert resp.get_json()["status"] == "committed"
    north = _balance(session, net.towel.id, net.north.id)
    assert (north.on_hand, north.reserved) == (0, 0)
    cloud = _balance(session, net.towel.id, net.cloud.id)
    assert (cloud.on_hand, cloud.reserved) == (48, 0)
    shipments = session.execute(select(StockMovement.warehouse_id, StockMovement.quantity, StockMovement.reference_id)
                                .where(StockMovement.kind == "shipment").order_by(StockMovement.id)).all()
    assert sorted(tuple(r) for r in shipments) == sorted([(net.north.id, -5, rid), (net.cloud.id, -2, rid)])
    again = api.post(f"/reservations/{rid}/commit")
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert api.post(f"/reservations/{rid}/release").status_code == 409


def test_release_gives_the_stock_back(api: Api, net: Net, session: Session) -> None:
    rid = _reserve(api, [("MASK-9", 3)]).get_json()["id"]
    assert api.get("/availability", sku="MASK-9").get_json()["availability"][0]["available"] == 0
    resp = api.post(f"/reservations/{rid}/release")
    assert resp.status_code == 200 and resp.get_json()["status"] == "released"
    assert api.get("/availability", sku="MASK-9").get_json()["availability"][0]["available"] == 3
    assert api.post(f"/reservations/{rid}/commit").status_code == 409
    assert session.scalar(select(StockMovement.id).where(StockMovement.kind == "shipment")) is None


def _age(session: Session, rid: str) -> None:
    """Move a reservation's expiry into the past (time travel for the test)."""
    session.get(Reservation, rid).expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)  # type: ignore[union-attr]
    session.commit()


def test_commit_of_an_expired_reservation_expires_it_and_is_409(api: Api, net: Net, session: Session) -> None:
    rid = _reserve(api, [("MASK-9", 3)]).get_json()["id"]
    _age(session, rid)
    resp = api.post(f"/reservations/{rid}/commit")
    assert resp.status_code == 409
    assert resp.get_json()["type"].endswith("/reservation-not-active")
    assert api.get(f"/reservations/{rid}").get_json()["status"] == "expired"
    assert _balance(session, net.mask.id, net.cloud.id).reserved == 0


def test_an_expired_hold_never_blocks_a_new_reservation(api: Api, net: Net, session: Session) -> None:
    old = _reserve(api, [("MASK-9", 3), ("TOWEL-1", 1)]).get_json()["id"]
    _age(session, old)
    resp = _reserve(api, [("MASK-9", 3)])
    assert resp.status_code == 201, resp.text
    assert api.get(f"/reservations/{old}").get_json()["status"] == "expired"
    # the towel the expired reservation held is free again too
    assert _balance(session, net.towel.id, net.north.id).reserved == 0
    assert _balance(session, net.mask.id, net.cloud.id).reserved == 3


def test_unknown_reservation_is_404(api: Api, net: Net) -> None:
    for path in ("/reservations/00000000-0000-0000-0000-000000000000", "/reservations/not-a-uuid"):
        resp = api.get(path)
        assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert api.post("/reservations/00000000-0000-0000-0000-000000000000/commit").status_code == 404


def test_bad_reservation_input_is_422_naming_each_field(api: Api, net: Net) -> None:
    cases = [
        ({"order_ref": "x", "lines": [{"sku": "TOWEL-1", "quantity": 0}]}, "lines[0].quantity"),
        ({"order_ref": "x", "lines": [{"sku": "TOWEL-1", "quantity": -1}]}, "lines[0].quantity"),
        ({"order_ref": "x", "lines": [{"sku": "TOWEL-1", "quantity": 1.5}]}, "lines[0].quantity"),
        ({"order_ref": "x", "lines": [{"sku": "TOWEL-1", "quantity": "2"}]}, "lines[0].quantity"),
        ({"order_ref": "x", "lines": [{"sku": "TOWEL-1", "quantity": True}]}, "lines[0].quantity"),
        ({"order_ref": "x", "lines": [{"sku": "TOWEL-1", "quantity": 10**30}]}, "lines[0].quantity"),
        ({"order_ref": "x", "lines": [{"sku": "TOWEL-1", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]},
         "lines[1].sku"),
        ({"order_ref": "x", "lines": []}, "lines"),
        ({"lines": [{"sku": "TOWEL-1", "quantity": 1}]}, "order_ref"),
        ({"order_ref": "x", "lines": [{"sku": "TOWEL-1", "quantity": 1}], "extra": 1}, "extra"),
        ({"order_ref": "x", "ttl_seconds": 0, "lines": [{"sku": "TOWEL-1", "quantity": 1}]}, "ttl_seconds"),
        ({"order_ref": "x", "ttl_seconds": 10**9, "lines": [{"sku": "TOWEL-1", "quantity": 1}]}, "ttl_seconds"),
        ({"order_ref": "x", "lines": [{"sku": "TOWEL-1", "quantity": 1, "note": "?"}]}, "lines[0].note"),
        ([1, 2], "body"),
    ]
    for body, field in cases:
        resp = api.post("/reservations", body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.mimetype == "application/problem+json"
        problem = resp.get_json()
        assert problem["status"] == 422 and problem["type"].endswith("/validation-error")
        assert field in [e["field"] for e in problem["errors"]], (body, problem)


def test_malformed_json_and_wrong_content_type_are_4xx_problems(api: Api, net: Net) -> None:
    resp = api.post("/reservations", raw=b'{"order_ref": ', headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["errors"][0]["field"] == "body"
    resp = api.post("/reservations", raw=b"order_ref=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 415 and resp.mimetype == "application/problem+json"
    resp = api.post("/reservations", raw=b"[" * 100000 + b"]" * 100000, headers={"Content-Type": "application/json"})
    assert resp.status_code in (400, 422)
    resp = api.post("/reservations", raw=b'{"order_ref": "\\u0000", "lines": [{"sku": "TOWEL-1", "quantity": 1}]}',
                    headers={"Content-Type": "application/json"})
    assert resp.status_code == 422
