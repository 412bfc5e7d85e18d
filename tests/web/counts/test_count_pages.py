"""Count pages: the sheet is blind, the review shows system vs counted, approval corrects stock."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.counts import service
from tests.factories import TEST_ACTOR, make_product, make_warehouse, receive_stock
from tests.web.clients import count_statements, login_as, post_form


@pytest.fixture
def shelf(session: Session) -> Any:
    wh = make_warehouse(session, code="FWD-GZ")
    p = make_product(session, sku="HL-SOAP-7")
    receive_stock(session, p, wh, 4817)
    return wh, p


def test_counter_never_sees_the_system_quantity_but_the_reviewer_does(client: Any, session: Session, shelf: Any) -> None:
    login_as(client, session, "warehouse")
    resp = post_form(client, "/counts/new", "/counts/new", {"warehouse": "FWD-GZ", "kind": "cycle", "category": ""})
    assert resp.status_code == 302, resp.text
    url = resp.headers["Location"]
    sheet = client.get(url)
    assert "HL-SOAP-7" in sheet.text
    assert "4817" not in sheet.text and "4,817" not in sheet.text
    count_id = int(url.rstrip("/").rsplit("/", 1)[1])
    resp = post_form(client, url, f"/counts/{count_id}/sheet", {"lines-0-counted": "", "action": "submit"})
    assert resp.status_code == 422 and 'data-field="lines-0-counted"' in resp.text
    assert "4817" not in resp.text and "4,817" not in resp.text
    resp = post_form(client, url, f"/counts/{count_id}/sheet", {"lines-0-counted": "4810", "action": "submit"})
    assert resp.status_code == 302
    review = client.get(url)
    assert "4,817" in review.text and "4,810" in review.text and "-7" in review.text
    assert post_form(client, url, f"/counts/{count_id}/approve", {}).status_code == 302
    assert ">4,810<" in client.get("/stock?warehouse=FWD-GZ").text


@pytest.mark.parametrize("role", ["viewer", "purchasing"])
def test_only_warehouse_staff_open_count_and_approve(client: Any, session: Session, shelf: Any, role: str) -> None:
    wh, _p = shelf
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id)
    login_as(client, session, role)
    assert client.get("/counts/").status_code == 200
    sheet = client.get(f"/counts/{count.id}")
    assert sheet.status_code == 200 and "4817" not in sheet.text and 'name="lines-0-counted"' not in sheet.text
    assert client.get("/counts/new").status_code == 403
    for action in ("sheet", "approve", "cancel"):
        assert post_form(client, "/counts/", f"/counts/{count.id}/{action}", {}).status_code == 403


def test_count_list_query_count_does_not_grow_with_rows(app: Any, client: Any, session: Session) -> None:
    def make(n: int) -> None:
        for _ in range(n):
            wh = make_warehouse(session)
            receive_stock(session, make_product(session), wh, 3)
            service.open_count(session, TEST_ACTOR, warehouse_id=wh.id)
    login_as(client, session, "viewer")
    make(5)
    with count_statements(app) as few:
        assert client.get("/counts/").status_code == 200
    make(25)
    with count_statements(app) as many:
        assert client.get("/counts/").status_code == 200
    assert len(few) == len(many)
    export = client.get("/counts/export.csv?status=open")
    assert len(export.text.strip().splitlines()) == 31
