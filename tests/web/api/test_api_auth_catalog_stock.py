"""Auth, problems, products, warehouses, stock levels and availability (API.md)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import make_api_client
from tests.web.api.conftest import Api, Net

ENDPOINTS = [
    ("GET", "/products/TOWEL-1", "stock:read"), ("PUT", "/products/TOWEL-1", "stock:sync"),
    ("GET", "/warehouses", "stock:read"), ("GET", "/stock?sku=TOWEL-1", "stock:read"),
    ("GET", "/availability?sku=TOWEL-1", "stock:read"), ("POST", "/reservations", "stock:write"),
    ("GET", "/reservations/00000000-0000-0000-0000-000000000000", "stock:read"),
    ("POST", "/reservations/00000000-0000-0000-0000-000000000000/commit", "stock:write"),
    ("POST", "/reservations/00000000-0000-0000-0000-000000000000/release", "stock:write"),
    ("POST", "/movements", "stock:sync"), ("GET", "/stock/changes", "stock:read"),
]


def test_every_endpoint_needs_a_known_bearer_token(api: Api, net: Net) -> None:
    for method, path, _scope in ENDPOINTS:
        for token in (None, "sw_not-a-real-token"):
            resp = api.send(method, path, {}, token=token)
            assert resp.status_code == 401, (method, path, resp.text)
            assert resp.mimetype == "application/problem+json"
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
            assert resp.get_json()["status"] == 401
    basic = api.send("GET", "/warehouses", headers={"Authorization": "Basic dXNlcjpwYXNz"}, token=None)
    assert basic.status_code == 401


def test_a_token_without_the_scope_is_403(api: Api, net: Net, session: Session) -> None:
    others = {scope: make_api_client(session, (scope,))[1] for scope in ("stock:read", "stock:write", "stock:sync")}
    session.commit()
    for method, path, scope in ENDPOINTS:
        for granted, token in others.items():
            if granted == scope:
                continue
            resp = api.send(method, path, {}, token=token)
            assert resp.status_code == 403, (method, path, granted, resp.text)
            assert resp.mimetype == "application/problem+json"
            assert resp.get_json()["type"].endswith("/forbidden")


def test_the_admin_scope_passes_every_check(api: Api, net: Net, session: Session) -> None:
    _c, admin = make_api_client(session, ("admin",))
    session.commit()
    assert api.get("/warehouses", token=admin).status_code == 200
    assert api.post("/reservations", {"order_ref": "a", "lines": [{"sku": "MASK-9", "quantity": 1}]},
                    token=admin).status_code == 201


def test_unknown_routes_and_methods_are_problems_not_html(api: Api, net: Net) -> None:
    resp = api.get("/nothing-here")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    resp = api.send("DELETE", "/warehouses")
    assert resp.status_code == 405 and resp.mimetype == "application/problem+json"


def test_put_product_creates_then_updates(api: Api, net: Net) -> None:
    resp = api.put("/products/NEW-1", {"name": "New thing", "category": "Home", "pack_size": 6})
    assert resp.status_code == 201, resp.text
    assert resp.get_json() == {"sku": "NEW-1", "name": "New thing", "unit": "pcs", "category": "Home", "pack_size": 6}
    resp = api.put("/products/NEW-1", {"name": "Renamed", "unit": "box"})
    assert resp.status_code == 200
    assert resp.get_json() == {"sku": "NEW-1", "name": "Renamed", "unit": "box", "category": None, "pack_size": 1}
    assert api.get("/products/NEW-1").get_json()["name"] == "Renamed"


def test_product_errors(api: Api, net: Net) -> None:
    assert api.get("/products/NOPE").status_code == 404
    for body, field in [({"name": "x", "pack_size": 0}, "pack_size"), ({}, "name"), ({"name": 3}, "name"),
                        ({"name": "x", "colour": "red"}, "colour"), ({"name": "x", "pack_size": "6"}, "pack_size")]:
        resp = api.put("/products/NEW-2", body)
        assert resp.status_code == 422 and field in [e["field"] for e in resp.get_json()["errors"]], resp.text
    assert api.put("/products/NEW-2", raw=b"nope", headers={"Content-Type": "text/plain"}).status_code == 415


def test_warehouses_are_listed_with_kind_region_and_city(api: Api, net: Net) -> None:
    body = api.get("/warehouses").get_json()
    assert {"code": "BJ-01", "name": net.north.name, "kind": "forward", "region": "north", "city": "Beijing"} \
        in body["warehouses"]
    assert [w["code"] for w in body["warehouses"]] == ["BJ-01", "CN-CLOUD", "SH-01"]


def test_stock_lists_each_warehouse_that_held_the_sku(api: Api, net: Net) -> None:
    api.post("/reservations", {"order_ref": "o", "region": "north", "lines": [{"sku": "TOWEL-1", "quantity": 2}]})
    body = api.get("/stock", sku=["TOWEL-1", "MASK-9"]).get_json()
    assert body["stock"] == [
        {"sku": "MASK-9", "warehouse": "CN-CLOUD", "on_hand": 3, "reserved": 0, "available": 3, "in_transit": 0},
        {"sku": "TOWEL-1", "warehouse": "BJ-01", "on_hand": 5, "reserved": 2, "available": 3, "in_transit": 0},
        {"sku": "TOWEL-1", "warehouse": "CN-CLOUD", "on_hand": 50, "reserved": 0, "available": 50, "in_transit": 0},
        {"sku": "TOWEL-1", "warehouse": "SH-01", "on_hand": 8, "reserved": 0, "available": 8, "in_transit": 0},
    ]
    only = api.get("/stock", sku="TOWEL-1", warehouse="SH-01").get_json()["stock"]
    assert [r["warehouse"] for r in only] == ["SH-01"]


def test_stock_errors_name_the_unknown_sku_or_missing_parameter(api: Api, net: Net) -> None:
    resp = api.get("/stock", sku=["TOWEL-1", "GHOST-7"])
    assert resp.status_code == 404 and "GHOST-7" in resp.get_json()["detail"]
    assert resp.get_json()["skus"] == ["GHOST-7"]
    resp = api.get("/stock")
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "sku"
    assert api.get("/stock", sku="TOWEL-1", warehouse="XX-99").status_code == 404


def test_an_unknown_query_parameter_is_a_422_naming_it(api: Api, net: Net) -> None:
    resp = api.get("/stock", sku="TOWEL-1", warehose="BJ-01")
    assert resp.status_code == 422
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in resp.get_json()["errors"]] == ["warehose"]
    assert api.get("/stock/changes", limit=5, colour="red").status_code == 422


def test_availability_totals_and_flags_the_warehouses_serving_the_region(api: Api, net: Net) -> None:
    body = api.get("/availability", sku=["TOWEL-1"], region="east").get_json()
    assert body == {"availability": [{"sku": "TOWEL-1", "available": 63, "warehouses": [
        {"warehouse": "SH-01", "available": 8, "serves_region": True},
        {"warehouse": "CN-CLOUD", "available": 50, "serves_region": False},
        {"warehouse": "BJ-01", "available": 5, "serves_region": False},
    ]}]}
    assert api.get("/availability", sku="GHOST").status_code == 404
