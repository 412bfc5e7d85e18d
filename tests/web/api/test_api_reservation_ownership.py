"""A reservation belongs to the API client that created it (API.md, issue 9 item 5)."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.stock.models import Reservation, StockBalance
from tests.factories import make_api_client
from tests.web.api.conftest import Api, Net


def _reserve(api: Api) -> str:
    resp = api.post("/reservations", {"order_ref": "SO-OWN", "region": "north",
                                      "lines": [{"sku": "TOWEL-1", "quantity": 4}]})
    assert resp.status_code == 201, resp.text
    return str(resp.get_json()["id"])


def _reserved(session: Session, net: Net) -> int:
    session.expire_all()
    return sum(session.scalars(select(StockBalance.reserved).where(StockBalance.product_id == net.towel.id)))


def _unknown_problem(api: Api, token: str, method: str, suffix: str) -> dict[str, object]:
    ghost = str(uuid.uuid4())
    resp = api.send(method, f"/reservations/{ghost}{suffix}", token=token)
    assert resp.status_code == 404
    body = resp.get_json()
    body["detail"] = str(body["detail"]).replace(ghost, "ID")
    return dict(body)


def test_another_client_gets_404_on_read_commit_and_release_and_nothing_changes(
        api: Api, net: Net, session: Session) -> None:
    rid = _reserve(api)
    session.commit()
    _other, other_token = make_api_client(session, ("stock:read", "stock:write"))
    session.commit()
    for method, suffix in (("GET", ""), ("POST", "/commit"), ("POST", "/release")):
        resp = api.send(method, f"/reservations/{rid}{suffix}", token=other_token)
        assert resp.status_code == 404, (method, suffix, resp.text)
        assert resp.mimetype == "application/problem+json"
        body = resp.get_json()
        body["detail"] = str(body["detail"]).replace(rid, "ID")
        # Indistinguishable from an id that does not exist.
        assert body == _unknown_problem(api, other_token, method, suffix)
    keyed = api.post(f"/reservations/{rid}/commit", token=other_token, key="steal-1")
    assert keyed.status_code == 404
    assert _reserved(session, net) == 4
    assert session.scalar(select(Reservation.status).where(Reservation.id == rid)) == "active"
    # The owner still can.
    assert api.get(f"/reservations/{rid}").status_code == 200
    assert api.post(f"/reservations/{rid}/release").get_json()["status"] == "released"
    assert _reserved(session, net) == 0


def test_a_read_only_token_cannot_read_another_clients_reservation(api: Api, net: Net, session: Session) -> None:
    rid = _reserve(api)
    session.commit()
    resp = api.get(f"/reservations/{rid}", token=net.read_token)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_an_admin_client_may_read_commit_and_release_any_reservation(api: Api, net: Net, session: Session) -> None:
    first, second = _reserve(api), _reserve(api)
    _admin, admin_token = make_api_client(session, ("admin",))
    session.commit()
    got = api.get(f"/reservations/{first}", token=admin_token)
    assert got.status_code == 200 and got.get_json()["id"] == first
    assert api.post(f"/reservations/{first}/commit", token=admin_token).get_json()["status"] == "committed"
    assert api.post(f"/reservations/{second}/release", token=admin_token).get_json()["status"] == "released"
    assert _reserved(session, net) == 0
    assert api.get(f"/reservations/{uuid.uuid4()}", token=admin_token).status_code == 404


def test_the_openapi_document_states_the_ownership_rule(api: Api) -> None:
    doc = api.get("/openapi.json", token=None).get_json()
    for path, method in (("/api/v1/reservations/{id}", "get"), ("/api/v1/reservations/{id}/commit", "post"),
                         ("/api/v1/reservations/{id}/release", "post"), ("/api/v1/reservations", "post")):
        text = doc["paths"][path][method]["description"]
        assert "admin" in text and "client" in text, (path, text)
    assert "404" in doc["paths"]["/api/v1/reservations/{id}"]["get"]["description"]
