"""Transfer pages through the HTTP stack: roles, the create form, ship/receive, list and export."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.db import utcnow
from app.transfers import service
from app.transfers.service import TransferLineInput
from tests.factories import TEST_ACTOR, make_product, make_warehouse, receive_stock
from tests.web.clients import count_statements, login_as, post_form


@pytest.fixture
def stock(session: Session) -> Any:
    cloud = make_warehouse(session, code="CLOUD-SH", kind="cloud")
    fwd = make_warehouse(session, code="FWD-BJ")
    towel = make_product(session, sku="HL-TOWEL-1")
    receive_stock(session, towel, cloud, 40)
    return cloud, fwd, towel


@pytest.mark.parametrize("role", ["viewer", "purchasing"])
def test_viewer_and_purchasing_may_list_but_not_create_or_ship(client: Any, session: Session, stock: Any, role: str) -> None:
    cloud, fwd, towel = stock
    t = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                lines=[TransferLineInput(towel.id, 2)])
    login_as(client, session, role)
    assert client.get("/transfers/").status_code == 200
    assert client.get(f"/transfers/{t.id}").status_code == 200
    assert client.get("/transfers/new").status_code == 403
    assert post_form(client, "/transfers/", f"/transfers/{t.id}/ship", {}).status_code == 403
    assert post_form(client, "/transfers/", f"/transfers/{t.id}/cancel", {}).status_code == 403
    assert post_form(client, "/transfers/", f"/transfers/{t.id}/receive", {}).status_code == 403


def test_warehouse_user_creates_ships_and_receives_a_transfer(client: Any, session: Session, stock: Any) -> None:
    login_as(client, session, "warehouse")
    resp = post_form(client, "/transfers/new", "/transfers/new", {
        "source": "CLOUD-SH", "dest": "FWD-BJ", "lines-0-sku": "HL-TOWEL-1", "lines-0-quantity": "12"})
    assert resp.status_code == 302, resp.text
    detail_url = resp.headers["Location"]
    transfer_id = int(detail_url.rstrip("/").rsplit("/", 1)[1])
    assert post_form(client, detail_url, f"/transfers/{transfer_id}/ship", {}).status_code == 302
    page = client.get("/transfers/?status=in_transit")
    assert "HL-TOWEL-1" not in page.text and "in transit" in page.text
    resp = post_form(client, detail_url, f"/transfers/{transfer_id}/receive",
                     {"lines-0-received": "11", "lines-0-note": ""})
    assert resp.status_code == 422 and "explain the difference" in resp.text
    resp = post_form(client, detail_url, f"/transfers/{transfer_id}/receive",
                     {"lines-0-received": "11", "lines-0-note": "one box crushed"})
    assert resp.status_code == 302
    assert "one box crushed" in client.get(detail_url).text
    stock_page = client.get("/stock?warehouse=FWD-BJ")
    assert ">11<" in stock_page.text


def test_create_form_names_the_bad_fields(client: Any, session: Session, stock: Any) -> None:
    login_as(client, session, "warehouse")
    resp = post_form(client, "/transfers/new", "/transfers/new", {
        "source": "CLOUD-SH", "dest": "CLOUD-SH", "lines-0-sku": "NOPE", "lines-0-quantity": "3",
        "lines-1-sku": "HL-TOWEL-1"})
    assert resp.status_code == 422
    assert 'data-field="dest"' in resp.text
    assert 'data-field="lines-1-quantity"' in resp.text


def test_new_transfer_form_is_prefilled_from_query_args(client: Any, session: Session, stock: Any) -> None:
    login_as(client, session, "warehouse")
    resp = client.get("/transfers/new?source=CLOUD-SH&dest=FWD-BJ&sku=HL-TOWEL-1&qty=7")
    assert 'value="HL-TOWEL-1"' in resp.text and 'value="7"' in resp.text
    assert '<option selected value="FWD-BJ">' in resp.text


def test_shipping_more_than_available_is_refused_with_the_shortage(client: Any, session: Session, stock: Any) -> None:
    cloud, fwd, towel = stock
    t = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                lines=[TransferLineInput(towel.id, 41)])
    login_as(client, session, "warehouse")
    resp = post_form(client, f"/transfers/{t.id}", f"/transfers/{t.id}/ship", {},
                     headers={"Referer": f"/transfers/{t.id}"}, follow_redirects=True)
    assert "41 requested, 40 available" in resp.text


def _make_transfers(session: Session, n: int, stock: Any) -> None:
    cloud, fwd, towel = stock
    for i in range(n):
        t = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                    lines=[TransferLineInput(towel.id, 1)])
        if i % 2 == 0:  # by position, not id parity: PostgreSQL sequences outlive rolled-back tests
            service.ship_transfer(session, TEST_ACTOR, transfer_id=t.id, now=utcnow())


def test_list_query_count_does_not_grow_with_rows(app: Any, client: Any, session: Session, stock: Any) -> None:
    login_as(client, session, "viewer")
    _make_transfers(session, 5, stock)
    with count_statements(app) as few:
        assert client.get("/transfers/").status_code == 200
    _make_transfers(session, 25, stock)
    with count_statements(app) as many:
        assert client.get("/transfers/").status_code == 200
    assert len(few) == len(many)


def test_export_is_the_filtered_list_as_csv(client: Any, session: Session, stock: Any) -> None:
    _make_transfers(session, 3, stock)
    login_as(client, session, "viewer")
    resp = client.get("/transfers/export.csv?status=in_transit")
    assert resp.mimetype == "text/csv"
    lines = resp.text.lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("number,status") and len(lines) == 1 + 2
    assert all(",shipped," in line for line in lines[1:])
