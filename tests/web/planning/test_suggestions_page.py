"""The suggestions page: filters, editing, approval into grouped drafts, rejection, roles."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.planning.models import ReplenishmentSuggestion
from app.purchasing.models import PurchaseOrder
from app.transfers.models import Transfer
from tests.factories import make_product, make_staff_user
from tests.planning_data import Network, make_network, make_run, make_suggestion
from tests.web.clients import csrf_token, login_staff


@pytest.fixture
def net(session: Session) -> Network:
    return make_network(session, days=3)


@pytest.fixture
def suggestions(session: Session, net: Network) -> dict[str, ReplenishmentSuggestion]:
    run, p = make_run(session), net.products
    return {
        "steady_north": make_suggestion(session, run, p["STEADY"], net.north, kind="transfer", source=net.cloud,
                                        quantity=100, days_until_stockout=0.5),
        "stocked_north": make_suggestion(session, run, p["STOCKED"], net.north, kind="transfer", source=net.cloud,
                                         quantity=20, days_until_stockout=12.0),
        "southy_south": make_suggestion(session, run, p["SOUTHY"], net.south, kind="transfer", source=net.cloud,
                                        quantity=30, days_until_stockout=2.0),
        "steady_cloud": make_suggestion(session, run, p["STEADY"], net.cloud, supplier=net.supplier, quantity=200,
                                        days_until_stockout=20.0),
        "cloudy_cloud": make_suggestion(session, run, p["CLOUDY"], net.cloud, supplier=net.supplier, quantity=90,
                                        days_until_stockout=0.0),
        "southy_cloud": make_suggestion(session, run, p["SOUTHY"], net.cloud, supplier=net.other_supplier,
                                        quantity=60, days_until_stockout=None),
    }


def _page(client: Any, query: str = "") -> Any:
    # The test app shares one app context (and `g`) across requests: drop Flask-WTF's cached
    # token so the page stores a fresh one in the (post-login) session, as a browser would get.
    resp = client.get(f"/planning/suggestions{query}")
    assert resp.status_code == 200, resp.text
    return resp


def _skus_in(html: str) -> list[str]:
    return re.findall(r'<a class="mono" href="/planning/series/\d+/\d+">([^<]+)</a>', html)


def _decide(client: Any, html: str, chosen: dict[int, int], action: str, reason: str = "") -> Any:
    """Post the page's decision form, selecting `chosen` (id → quantity)."""
    data: dict[str, Any] = {"csrf_token": csrf_token(html), action: "1", "reason": reason}
    for i, sid in enumerate(re.findall(r'name="rows-(\d+)-id" type="hidden" value="(\d+)"', html)):
        index, suggestion_id = sid
        data[f"rows-{index}-id"] = suggestion_id
        data[f"rows-{index}-quantity"] = str(chosen.get(int(suggestion_id), 1))
        if int(suggestion_id) in chosen:
            data[f"rows-{index}-selected"] = "y"
        assert int(index) == i
    return client.post("/planning/suggestions", data=data)


def test_viewer_reads_suggestions_most_urgent_first_but_cannot_decide(client: Any, session: Session,
                                                                     suggestions: dict[str, Any]) -> None:
    login_staff(client, make_staff_user(session, "viewer").email)
    html = _page(client).text
    # Grouped by the document approval makes (issue 11): the group with the most urgent row first
    # (SUPA→CLD 0.0 d, CLD→NTH 0.5 d, CLD→STH 2.0 d, SUPB→CLD no stock-out), most urgent first inside.
    assert _skus_in(html) == ["CLOUDY", "STEADY", "STEADY", "STOCKED", "SOUTHY", "SOUTHY"]
    assert "Approve selected" not in html and 'name="rows-0-quantity"' not in html
    assert client.post("/planning/suggestions", data={"csrf_token": csrf_token(html), "approve": "1"}).status_code == 403


@pytest.mark.parametrize(("query", "expected"), [
    ("?warehouse=NTH", ["STEADY", "STOCKED"]),
    ("?supplier=SUPB", ["SOUTHY"]),
    ("?category=garden", ["CLOUDY", "SOUTHY", "SOUTHY"]),
    ("?within=2", ["CLOUDY", "STEADY", "SOUTHY"]),
    ("?warehouse=CLD&within=5", ["CLOUDY"]),
])
def test_suggestions_filter_by_warehouse_supplier_category_and_urgency(
        client: Any, session: Session, suggestions: dict[str, Any], query: str, expected: list[str]) -> None:
    login_staff(client, make_staff_user(session, "viewer").email)
    assert _skus_in(_page(client, query).text) == expected


def test_an_unknown_filter_value_names_the_field(client: Any, session: Session, suggestions: dict[str, Any]) -> None:
    login_staff(client, make_staff_user(session, "viewer").email)
    resp = client.get("/planning/suggestions?supplier=NOPE")
    assert resp.status_code == 422 and 'data-field="supplier"' in resp.text


def test_approving_creates_draft_pos_per_supplier_and_transfers_per_route_with_edited_quantities(
        client: Any, session: Session, net: Network, suggestions: dict[str, Any]) -> None:
    buyer = make_staff_user(session, "purchasing")
    login_staff(client, buyer.email)
    s = suggestions
    chosen = {s["steady_north"].id: 120, s["stocked_north"].id: 20, s["southy_south"].id: 30,
              s["steady_cloud"].id: 250, s["cloudy_cloud"].id: 90, s["southy_cloud"].id: 60}
    resp = _decide(client, _page(client).text, chosen, "approve")
    assert resp.status_code == 302
    pos = {po.supplier_id: po for po in session.scalars(select(PurchaseOrder))}
    assert set(pos) == {net.supplier.id, net.other_supplier.id}
    assert all(po.status == "draft" and po.warehouse_id == net.cloud.id for po in pos.values())
    assert sorted((ln.product_id, ln.quantity) for ln in pos[net.supplier.id].lines) == sorted(
        [(net.products["STEADY"].id, 250), (net.products["CLOUDY"].id, 90)])
    assert pos[net.supplier.id].lines[0].unit_price == 5 and pos[net.supplier.id].number.startswith("PO-")
    transfers = {(t.source_warehouse_id, t.dest_warehouse_id): t for t in session.scalars(select(Transfer))}
    assert set(transfers) == {(net.cloud.id, net.north.id), (net.cloud.id, net.south.id)}
    assert sorted(ln.quantity for ln in transfers[(net.cloud.id, net.north.id)].lines) == [20, 120]
    for sugg in s.values():
        session.refresh(sugg)
        assert sugg.status == "approved" and sugg.decided_by_id == buyer.id
        assert sugg.quantity == chosen[sugg.id]
    assert s["steady_north"].transfer_id == transfers[(net.cloud.id, net.north.id)].id
    actions = [a.action for a in session.scalars(select(AuditEntry).where(AuditEntry.actor_label == buyer.email))]
    # the drafts come from the purchasing and transfer services (their audit actions), marked as from planning
    assert actions.count("suggestion.approve") == 6 and actions.count("purchase_order.create") == 2
    assert actions.count("transfer.create") == 2
    assert all(doc.notes == "from replenishment suggestions" for doc in [*pos.values(), *transfers.values()])
    assert all(re.fullmatch(rf"PO-\d{{4}}-{po.id:06d}", po.number) for po in pos.values())
    assert "Approved: 2 draft purchase order(s)" in client.get("/planning/suggestions").text


def test_an_approved_suggestion_cannot_be_approved_again(client: Any, session: Session,
                                                         suggestions: dict[str, Any]) -> None:
    login_staff(client, make_staff_user(session, "purchasing").email)
    html = _page(client).text
    target = suggestions["cloudy_cloud"].id
    assert _decide(client, html, {target: 90}, "approve").status_code == 302
    again = _decide(client, html, {target: 90}, "approve")  # the stale page
    assert again.status_code == 302
    assert "already approved" in client.get("/planning/suggestions").text
    assert len(session.scalars(select(PurchaseOrder)).all()) == 1


def test_approval_refused_by_the_purchasing_rules_names_the_sku_and_writes_nothing(
        client: Any, session: Session, net: Network, suggestions: dict[str, Any]) -> None:
    login_staff(client, make_staff_user(session, "purchasing").email)
    s = suggestions
    # CLOUDY's supplier wants at least 10 in packs of 5: 7 is refused by create_purchase_order
    chosen = {s["steady_north"].id: 120, s["cloudy_cloud"].id: 7, s["southy_cloud"].id: 60}
    resp = _decide(client, _page(client).text, chosen, "approve")
    assert resp.status_code == 302
    page = client.get("/planning/suggestions").text
    assert "CLOUDY (suggestion #" in page and "minimum order quantity 10" in page
    assert session.scalars(select(PurchaseOrder)).first() is None
    assert session.scalars(select(Transfer)).first() is None
    for sugg in s.values():
        session.refresh(sugg)
        assert sugg.status == "open"
    assert s["cloudy_cloud"].quantity == 90


def test_reject_needs_a_reason(client: Any, session: Session, suggestions: dict[str, Any]) -> None:
    login_staff(client, make_staff_user(session, "purchasing").email)
    target = suggestions["stocked_north"]
    resp = _decide(client, _page(client).text, {target.id: 20}, "reject")
    assert resp.status_code == 422 and 'data-field="reason"' in resp.text
    session.refresh(target)
    assert target.status == "open"
    assert _decide(client, _page(client).text, {target.id: 20}, "reject", "promotion cancelled").status_code == 302
    session.refresh(target)
    assert target.status == "rejected" and target.reject_reason == "promotion cancelled"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "suggestion.reject")).one()
    assert json.loads(entry.details or "{}")["reason"] == "promotion cancelled"


def test_saving_quantities_keeps_suggestions_open(client: Any, session: Session, suggestions: dict[str, Any]) -> None:
    login_staff(client, make_staff_user(session, "admin").email)
    target = suggestions["southy_cloud"]
    assert _decide(client, _page(client).text, {target.id: 75}, "save").status_code == 302
    session.refresh(target)
    assert target.status == "open" and target.quantity == 75 and target.suggested_quantity == 60


def test_a_negative_quantity_is_refused_naming_the_field(client: Any, session: Session,
                                                        suggestions: dict[str, Any]) -> None:
    login_staff(client, make_staff_user(session, "purchasing").email)
    resp = _decide(client, _page(client).text, {suggestions["cloudy_cloud"].id: -5}, "approve")
    assert resp.status_code == 422 and 'data-field="quantity"' in resp.text
    assert session.scalars(select(PurchaseOrder)).first() is None


def test_warehouse_staff_cannot_approve_or_start_runs(client: Any, session: Session,
                                                      suggestions: dict[str, Any]) -> None:
    login_staff(client, make_staff_user(session, "warehouse").email)
    html = _page(client).text
    assert "Approve selected" not in html
    resp = client.post("/planning/suggestions", data={"csrf_token": csrf_token(html), "approve": "1"})
    assert resp.status_code == 403
    assert client.post("/planning/runs", data={"csrf_token": csrf_token(html), "horizon": "28"}).status_code == 403


def test_suggestions_page_query_count_does_not_grow_with_rows(app: Any, client: Any, session: Session,
                                                              net: Network) -> None:
    login_staff(client, make_staff_user(session, "purchasing").email)
    run = make_run(session)

    def count_for(n: int) -> int:
        for _ in range(n):
            make_suggestion(session, run, make_product(session), net.cloud, supplier=net.supplier)
        statements: list[str] = []
        engine = app.extensions["stockwise_db"].engine

        def listener(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", listener)
        try:
            _page(client)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    five = count_for(5)
    thirty = count_for(25)
    assert five == thirty
