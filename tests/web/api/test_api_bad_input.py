"""Bad input is a 4xx problem naming the field, never a 500 (issue 9 item 8)."""
from __future__ import annotations

from typing import Any

import pytest

from tests.web.api.conftest import Api, Net


def _mv(occurred_at: str, event_id: str = "bad-1", quantity: int = 1) -> dict[str, Any]:
    return {"event_id": event_id, "warehouse": "CN-CLOUD", "sku": "MASK-9", "kind": "receipt", "quantity": quantity,
            "occurred_at": occurred_at}


@pytest.mark.parametrize("occurred_at", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_timestamp_outside_utc_years_is_a_422_naming_the_field(api: Api, net: Net, occurred_at: str) -> None:
    resp = api.post("/movements", {"movements": [_mv("2026-11-02T08:00:00+08:00", "ok-1"), _mv(occurred_at)]})
    assert resp.status_code == 422, resp.text
    assert resp.mimetype == "application/problem+json"
    assert [e["field"] for e in resp.get_json()["errors"]] == ["movements[1].occurred_at"]
    assert "UTC" in resp.get_json()["errors"][0]["message"]


def test_the_extreme_timestamps_that_do_exist_in_utc_are_accepted(api: Api, net: Net) -> None:
    resp = api.post("/movements", {"movements": [_mv("9999-12-31T23:59:59+00:00", "edge-1"),
                                                 _mv("0001-01-01T00:00:00-01:00", "edge-2")]})
    assert resp.status_code == 200, resp.text


def test_stock_could_not_grow_past_what_the_database_column_holds(api: Api, net: Net) -> None:
    big = 1_000_000_000
    resp = api.post("/movements", {"movements": [_mv("2026-11-02T08:00:00+08:00", f"big-{i}", big) for i in range(3)]})
    assert resp.status_code == 422, resp.text
    assert resp.get_json()["errors"][0]["field"] == "movements[2].quantity"
    assert api.get("/stock", sku="MASK-9", warehouse="CN-CLOUD").get_json()["stock"][0]["on_hand"] == 3


@pytest.mark.parametrize("content_type", [
    "application/evil+json", "application/json; charset=latin-1", "text/plain", "application/x-www-form-urlencoded",
])
def test_only_utf8_application_json_is_accepted(api: Api, net: Net, content_type: str) -> None:
    body = b'{"order_ref": "SO-1", "lines": [{"sku": "MASK-9", "quantity": 1}]}'
    resp = api.post("/reservations", raw=body, headers={"Content-Type": content_type})
    assert resp.status_code == 415, (content_type, resp.text)
    assert resp.mimetype == "application/problem+json"


def test_utf8_charset_is_accepted_in_either_spelling(api: Api, net: Net) -> None:
    body = b'{"order_ref": "SO-1", "lines": [{"sku": "MASK-9", "quantity": 1}]}'
    for content_type in ("application/json; charset=utf-8", "application/json; charset=UTF-8", "application/json"):
        resp = api.post("/reservations", raw=body, headers={"Content-Type": content_type})
        assert resp.status_code == 201, (content_type, resp.text)


def test_a_body_that_is_not_utf8_is_a_400(api: Api, net: Net) -> None:
    body = '{"order_ref": "SO-é", "lines": [{"sku": "MASK-9", "quantity": 1}]}'.encode("latin-1")
    resp = api.post("/reservations", raw=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"


@pytest.mark.parametrize("body", [
    b'{"order_ref": "SO-1", "order_ref": "SO-2", "lines": [{"sku": "MASK-9", "quantity": 1}]}',
    b'{"order_ref": "SO-1", "lines": [{"sku": "MASK-9", "quantity": 1, "quantity": 3}]}',
])
def test_a_json_key_twice_in_one_object_is_a_422_naming_it(api: Api, net: Net, body: bytes) -> None:
    resp = api.post("/reservations", raw=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 422, resp.text
    assert resp.get_json()["errors"][0]["field"] in ("order_ref", "quantity")
    assert api.get("/stock", sku="MASK-9", warehouse="CN-CLOUD").get_json()["stock"][0]["reserved"] == 0


def test_a_reservation_id_with_a_nul_byte_is_a_404(api: Api, net: Net) -> None:
    for method, suffix in (("GET", ""), ("POST", "/commit"), ("POST", "/release")):
        resp = api.send(method, f"/reservations/ab%00cd{suffix}")
        assert resp.status_code == 404 and resp.mimetype == "application/problem+json", resp.text


def test_the_post_query_forms_answer_like_the_gets_for_up_to_1000_skus(api: Api, net: Net) -> None:
    got = api.get("/stock", sku=["TOWEL-1", "MASK-9"]).get_json()
    posted = api.post("/stock/query", {"sku": ["TOWEL-1", "MASK-9"]})
    assert posted.status_code == 200 and posted.get_json() == got
    got = api.get("/availability", sku=["TOWEL-1"], region="north").get_json()
    assert api.post("/availability/query", {"sku": ["TOWEL-1"], "region": "north"}).get_json() == got
    many = ["TOWEL-1"] * 1000
    assert api.post("/stock/query", {"sku": many}).status_code == 200
    too_many = api.post("/stock/query", {"sku": [*many, "MASK-9"]})
    assert too_many.status_code == 422 and too_many.get_json()["errors"][0]["field"] == "sku"
    unknown = api.post("/availability/query", {"sku": ["GHOST"]})
    assert unknown.status_code == 404 and "GHOST" in unknown.get_json()["detail"]
    assert api.post("/stock/query", {"sku": ["TOWEL-1"]}, token=None).status_code == 401


def test_a_body_past_the_size_cap_is_a_413_problem(api: Api, net: Net) -> None:
    resp = api.post("/movements", raw=b"[" + b" " * (16 * 1024 * 1024) + b"]", headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"
