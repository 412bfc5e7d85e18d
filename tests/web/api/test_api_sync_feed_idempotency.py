"""Movements sync, the change feed, Idempotency-Key replay, OpenAPI, health and metrics."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.stock.models import IdempotencyRecord, Reservation
from tests.factories import make_api_client
from tests.web.api.conftest import Api, Net

AT = "2026-11-02T08:00:00+08:00"


def _mv(event_id: str, kind: str, quantity: int, sku: str = "MASK-9", warehouse: str = "CN-CLOUD") -> dict[str, Any]:
    return {"event_id": event_id, "warehouse": warehouse, "sku": sku, "kind": kind, "quantity": quantity,
            "occurred_at": AT}


def _on_hand(api: Api, sku: str, warehouse: str) -> int:
    rows = api.get("/stock", sku=sku, warehouse=warehouse).get_json()["stock"]
    return rows[0]["on_hand"] if rows else 0


def test_movements_apply_each_kind_and_count_duplicates(api: Api, net: Net) -> None:
    batch = [_mv("e1", "receipt", 10), _mv("e2", "damage", 2), _mv("e3", "adjustment", -1),
             _mv("e4", "customer_return", 1), _mv("e5", "count", 20)]
    resp = api.post("/movements", {"movements": batch})
    assert resp.status_code == 200, resp.text
    assert resp.get_json() == {"applied": 5, "duplicates": 0}
    assert _on_hand(api, "MASK-9", "CN-CLOUD") == 20
    again = api.post("/movements", {"movements": [*batch, _mv("e6", "receipt", 1)]})
    assert again.get_json() == {"applied": 1, "duplicates": 5}
    assert _on_hand(api, "MASK-9", "CN-CLOUD") == 21


def test_event_ids_are_unique_per_source_not_globally(api: Api, net: Net, session: Session) -> None:
    _c, other = make_api_client(session, ("stock:sync", "stock:read"))
    session.commit()
    assert api.post("/movements", {"movements": [_mv("same", "receipt", 1)]}).get_json()["applied"] == 1
    assert api.post("/movements", {"movements": [_mv("same", "receipt", 1)]}, token=other).get_json()["applied"] == 1
    assert _on_hand(api, "MASK-9", "CN-CLOUD") == 5


def test_a_bad_line_rejects_the_whole_batch_naming_its_index(api: Api, net: Net) -> None:
    cases = [
        ([_mv("a", "receipt", 5), _mv("b", "receipt", 0)], "movements[1].quantity"),
        ([_mv("a", "receipt", 5), _mv("b", "receipt", 1, warehouse="XX")], "movements[1].warehouse"),
        ([_mv("a", "receipt", 5), _mv("b", "receipt", 1, sku="GHOST")], "movements[1].sku"),
        ([_mv("a", "receipt", 5), _mv("b", "shipment", 1)], "movements[1].kind"),
        ([_mv("a", "receipt", 5), {**_mv("b", "receipt", 1), "occurred_at": "2026-11-02T08:00:00"}],
         "movements[1].occurred_at"),
        ([_mv("a", "receipt", 5), _mv("b", "damage", 9)], "movements[1].quantity"),  # 3 + 5 - 9 < 0
        ([_mv("a", "count", -1)], "movements[0].quantity"),
        ([_mv("a", "adjustment", 0)], "movements[0].quantity"),
    ]
    for batch, field in cases:
        resp = api.post("/movements", {"movements": batch})
        assert resp.status_code == 422, (batch, resp.text)
        assert field in [e["field"] for e in resp.get_json()["errors"]], resp.get_json()
    assert _on_hand(api, "MASK-9", "CN-CLOUD") == 3  # nothing of any batch applied
    too_many = [_mv(f"x{i}", "receipt", 1) for i in range(1001)]
    assert api.post("/movements", {"movements": too_many}).status_code == 422


def test_stock_never_goes_below_reserved_except_by_a_count_which_alerts(api: Api, net: Net, session: Session) -> None:
    api.post("/reservations", {"order_ref": "o", "lines": [{"sku": "MASK-9", "quantity": 2}]})
    resp = api.post("/movements", {"movements": [_mv("d", "damage", 2)]})
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "movements[0].quantity"
    resp = api.post("/movements", {"movements": [_mv("c", "count", 1)]})
    assert resp.status_code == 200
    row = api.get("/stock", sku="MASK-9").get_json()["stock"][0]
    assert (row["on_hand"], row["reserved"], row["available"]) == (1, 2, -1)
    assert session.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "count_below_reserved")) == 1


def test_change_feed_follows_every_change_in_order(api: Api, net: Net) -> None:
    first = api.get("/stock/changes").get_json()
    assert [c["sku"] for c in first["changes"]] == ["TOWEL-1", "TOWEL-1", "TOWEL-1", "MASK-9"]
    cursors = [c["cursor"] for c in first["changes"]]
    assert cursors == sorted(cursors) and first["next_cursor"] == cursors[-1]
    api.post("/reservations", {"order_ref": "o", "lines": [{"sku": "MASK-9", "quantity": 2}]})
    nxt = api.get("/stock/changes", after=first["next_cursor"]).get_json()
    assert [(c["sku"], c["warehouse"], c["on_hand"], c["reserved"], c["available"]) for c in nxt["changes"]] == [
        ("MASK-9", "CN-CLOUD", 3, 2, 1)]
    assert nxt["changes"][0]["at"].endswith(("Z", "+00:00"))
    idle = api.get("/stock/changes", after=nxt["next_cursor"]).get_json()
    assert idle == {"changes": [], "next_cursor": nxt["next_cursor"]}
    page = api.get("/stock/changes", limit=2).get_json()
    assert len(page["changes"]) == 2 and page["next_cursor"] == cursors[1]


def test_change_feed_parameter_errors(api: Api, net: Net) -> None:
    for params, field in [({"limit": 1001}, "limit"), ({"limit": 0}, "limit"), ({"after": "abc"}, "after"),
                          ({"after": -1}, "after"), ({"after": 10**30}, "after")]:
        resp = api.get("/stock/changes", **params)
        assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == field, resp.text


RES = {"order_ref": "SO-9", "lines": [{"sku": "MASK-9", "quantity": 1}]}


def test_same_key_same_body_replays_the_first_response(api: Api, net: Net, session: Session) -> None:
    first = api.post("/reservations", RES, key="order-SO-9")
    second = api.post("/reservations", RES, key="order-SO-9")
    assert first.status_code == second.status_code == 201
    assert first.data == second.data
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert session.scalar(select(func.count()).select_from(Reservation)) == 1
    assert api.get("/availability", sku="MASK-9").get_json()["availability"][0]["available"] == 2
    rid = first.get_json()["id"]
    commit1 = api.post(f"/reservations/{rid}/commit", key="commit-SO-9")
    commit2 = api.post(f"/reservations/{rid}/commit", key="commit-SO-9")
    assert commit1.status_code == commit2.status_code == 200 and commit1.data == commit2.data


def test_same_key_different_body_is_422(api: Api, net: Net, session: Session) -> None:
    assert api.post("/reservations", RES, key="k1").status_code == 201
    resp = api.post("/reservations", {**RES, "order_ref": "SO-10"}, key="k1")
    assert resp.status_code == 422 and resp.get_json()["type"].endswith("/idempotency-key-reused")
    resp = api.post("/movements", {"movements": [_mv("z", "receipt", 1)]}, key="k1")  # other path, same key
    assert resp.status_code == 422
    assert session.scalar(select(func.count()).select_from(Reservation)) == 1


def test_an_error_response_is_replayed_too_and_keys_are_per_client(api: Api, net: Net, session: Session) -> None:
    big = {"order_ref": "SO-11", "lines": [{"sku": "MASK-9", "quantity": 99}]}
    first = api.post("/reservations", big, key="k2")
    assert first.status_code == 409
    api.post("/movements", {"movements": [_mv("r", "receipt", 100)]})
    again = api.post("/reservations", big, key="k2")
    assert again.status_code == 409 and again.data == first.data
    _c, other = make_api_client(session, ("stock:write",))
    session.commit()
    assert api.post("/reservations", big, key="k2", token=other).status_code == 201


def test_movement_batches_are_idempotent_by_key(api: Api, net: Net, session: Session) -> None:
    body = {"movements": [_mv("m1", "receipt", 4)]}
    a = api.post("/movements", body, key="sync-1")
    b = api.post("/movements", body, key="sync-1")
    assert a.get_json() == b.get_json() == {"applied": 1, "duplicates": 0}
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_invalid_idempotency_keys_are_rejected(api: Api, net: Net) -> None:
    for key in ("", "x" * 256, "tab\there", "ключ"):
        resp = api.client.post("/api/v1/reservations", json=RES, headers={
            "Authorization": f"Bearer {net.token}", "Idempotency-Key": key.encode("utf-8").decode("latin-1")})
        assert resp.status_code == 422, key
        assert resp.get_json()["errors"][0]["field"] == "Idempotency-Key"


def test_openapi_document_describes_every_operation(client: Any) -> None:
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) >= {"/api/v1/products/{sku}", "/api/v1/warehouses", "/api/v1/stock",
                                 "/api/v1/availability", "/api/v1/reservations", "/api/v1/reservations/{id}",
                                 "/api/v1/reservations/{id}/commit", "/api/v1/reservations/{id}/release",
                                 "/api/v1/movements", "/api/v1/stock/changes"}
    create = doc["paths"]["/api/v1/reservations"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReservationCreate")
    assert {"201", "401", "403", "409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    schema = doc["components"]["schemas"]["ReservationLineIn"]
    assert schema["properties"]["quantity"]["exclusiveMinimum"] == 0
    assert schema["additionalProperties"] is False


def test_healthz_and_metrics(api: Api, client: Any, net: Net, session: Session) -> None:
    assert client.get("/healthz").get_json()["status"] == "ok"
    api.post("/reservations", RES)
    api.post("/reservations", {"order_ref": "x", "lines": [{"sku": "MASK-9", "quantity": 999}]})
    _admin, admin_token = make_api_client(session, ("admin",))
    session.commit()
    text = client.get("/metrics", headers={"Authorization": f"Bearer {admin_token}"}).text
    assert 'stockwise_reservations_total{outcome="created"}' in text
    assert 'stockwise_reservations_total{outcome="insufficient"}' in text
    assert 'stockwise_http_request_duration_seconds_bucket{endpoint="/api/v1/reservations"' in text
    assert "stockwise_webhook_backlog" in text
