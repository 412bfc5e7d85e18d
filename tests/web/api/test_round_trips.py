"""What one API request sends to PostgreSQL, counted on the wire (libpq trace, app.ops.wire):
a reserve, a commit, a release and an availability read are one round trip each — one
statement run as its own transaction, no BEGIN, COMMIT or ROLLBACK — once the token is cached."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.ops.wire import Wire, wire_trace
from tests.factories import make_api_client, make_product, make_warehouse, receive_stock

pytestmark = pytest.mark.postgres_only


def _traced(app: Any, method: str, path: str, token: str, body: Any = None) -> tuple[Any, Wire]:
    engine = app.extensions["stockwise_db"].engine
    with wire_trace(engine) as wire:
        resp = app.test_client().open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
    return resp, wire


def test_reserve_commit_release_and_availability_are_one_round_trip_each(
    committed_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth_service, "TOKEN_CACHE_SECONDS", 3600.0)  # a slow run must not see it expire
    s: Session = committed_app.extensions["stockwise_db"].sessionmaker()
    cloud = make_warehouse(s, kind="cloud")
    receive_stock(s, make_product(s, sku="RT-1"), cloud, 10)
    _c, token = make_api_client(s)
    s.commit()
    s.close()
    body = {"order_ref": "rt", "lines": [{"sku": "RT-1", "quantity": 1}]}
    client = committed_app.test_client()
    warm = client.post("/api/v1/reservations", json=body, headers={"Authorization": f"Bearer {token}"})
    assert warm.status_code == 201  # the token is now cached in this process

    reserved, wire = _traced(committed_app, "POST", "/api/v1/reservations", token, body)
    assert reserved.status_code == 201
    assert wire.round_trips == 1, wire.messages
    assert len(wire.statements) == 1 and "stock_reserve(" in wire.statements[0], wire.statements
    assert not any(m.startswith("Query") for m in wire.messages)  # no BEGIN / COMMIT / ROLLBACK

    committed, wire = _traced(committed_app, "POST", f"/api/v1/reservations/{reserved.get_json()['id']}/commit",
                              token)
    assert committed.status_code == 200
    assert wire.round_trips == 1 and "stock_close(" in wire.statements[0], wire.messages

    second = client.post("/api/v1/reservations", json=body, headers={"Authorization": f"Bearer {token}"})
    released, wire = _traced(committed_app, "POST", f"/api/v1/reservations/{second.get_json()['id']}/release",
                             token)
    assert released.status_code == 200
    assert wire.round_trips == 1 and "stock_close(" in wire.statements[0], wire.messages

    read, wire = _traced(committed_app, "GET", "/api/v1/availability?sku=RT-1", token)
    assert read.status_code == 200 and read.get_json()["availability"][0]["available"] == 8
    assert wire.round_trips == 1 and wire.statements[0].startswith("SELECT"), wire.messages


def test_availability_in_one_statement_answers_as_the_orm_query(committed_app: Any) -> None:
    """The API's availability read (one psycopg statement) and `levels.availability` (the ORM
    query, SQLite's path) give the same answer: several warehouses, a bucketed balance, an
    inactive warehouse, a SKU held nowhere, duplicates in the request, each region."""
    from app.audit.service import Actor
    from app.db import utcnow
    from app.errors import NotFound
    from app.stock import buckets, levels

    s: Session = committed_app.extensions["stockwise_db"].sessionmaker()
    cloud = make_warehouse(s, kind="cloud", region="national")
    north = make_warehouse(s, kind="forward", region="north")
    east = make_warehouse(s, kind="forward", region="east")
    closed = make_warehouse(s, kind="forward", region="north")
    held = make_product(s, sku="AV-1")
    hot = make_product(s, sku="AV-HOT")
    make_product(s, sku="AV-NONE")
    for product, warehouse, qty in ((held, cloud, 7), (held, north, 3), (held, closed, 5), (hot, cloud, 40),
                                    (hot, east, 9)):
        receive_stock(s, product, warehouse, qty)
    buckets.set_buckets(s, Actor.system("tests"), sku="AV-HOT", buckets=4, now=utcnow())
    closed.is_active = False
    s.commit()
    s.close()
    for skus in (["AV-1"], ["AV-HOT", "AV-1", "AV-HOT"], ["AV-NONE", "AV-1"]):
        for region in (None, "north", "east", "nowhere"):
            with committed_app.app_context(), committed_app.extensions["stockwise_db"].sessionmaker() as read:
                orm = levels.availability(read, skus=skus, region=region)
                raw = levels.availability_in_one_statement(skus=skus, region=region)
            assert raw == orm, (skus, region)
    with committed_app.app_context(), pytest.raises(NotFound) as unknown:
        levels.availability_in_one_statement(skus=["AV-1", "AV-MISSING"])
    assert unknown.value.problem()["skus"] == ["AV-MISSING"]
