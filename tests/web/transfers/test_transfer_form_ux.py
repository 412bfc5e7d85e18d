"""The transfer form's lookup and the ship refusal are plain pages, not error screens."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.transfers import service
from app.transfers.service import TransferLineInput
from tests.factories import TEST_ACTOR, make_product, make_warehouse, receive_stock
from tests.web.clients import login_as, post_form


def test_sku_search_finds_by_name_with_availability_at_the_source(client: Any, session: Session) -> None:
    cloud = make_warehouse(session, code="CLD", kind="cloud")
    towel = make_product(session, sku="HL-TOWEL-1", name="Bamboo towel", specification="White")
    make_product(session, sku="HL-TOWEL-2", name="Bamboo towel", specification="Grey")
    receive_stock(session, towel, cloud, 7)
    login_as(client, session, "warehouse")
    data = client.get("/transfers/sku-search?q=bamboo&source=CLD").get_json()
    assert data["source"] == "CLD"
    assert data["matches"] == [
        {"sku": "HL-TOWEL-1", "name": "Bamboo towel", "variant": "White", "available": 7},  # held here: first
        {"sku": "HL-TOWEL-2", "name": "Bamboo towel", "variant": "Grey", "available": 0}]
    assert client.get("/transfers/sku-search?q=").get_json()["matches"] == []


def test_a_draft_shows_availability_and_ship_asks_for_confirmation(client: Any, session: Session) -> None:
    cloud, fwd = make_warehouse(session, code="CLD", kind="cloud"), make_warehouse(session, code="FWD")
    towel = make_product(session, sku="HL-TOWEL-1")
    receive_stock(session, towel, cloud, 10)
    t = service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                                lines=[TransferLineInput(towel.id, 99_999)])
    login_as(client, session, "warehouse")
    page = client.get(f"/transfers/{t.id}")
    assert "Available at source" in page.text and 'data-confirm="Ship 99,999' not in page.text
    assert "Ship 99999 unit(s) from CLD to FWD?" in page.text
    resp = post_form(client, f"/transfers/{t.id}", f"/transfers/{t.id}/ship", {},
                     headers={"Referer": f"/transfers/{t.id}"}, follow_redirects=True)
    assert "99999 requested, 10 available" in resp.text
    assert service.get_transfer(session, t.id).status == "draft"
