"""The separation-of-duties setting is enforced by the service, not only hidden in the page."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.audit.service import Actor, set_setting
from app.counts import service
from app.db import utcnow
from app.errors import Forbidden
from tests.factories import TEST_ACTOR, make_product, make_staff_user, make_warehouse, receive_stock


def _submitted_count(session: Session, clerk: Actor) -> int:
    wh = make_warehouse(session, kind="cloud")
    receive_stock(session, make_product(session), wh, 5)
    count = service.open_count(session, clerk, warehouse_id=wh.id)
    service.record_counts(session, clerk, count_id=count.id, counted={ln.id: 4 for ln in count.lines}, submit=True,
                          now=utcnow())
    return count.id


def test_the_submitter_cannot_approve_when_the_setting_is_on(session: Session) -> None:
    user, other = make_staff_user(session, "warehouse"), make_staff_user(session, "admin")
    clerk, approver = Actor("staff", user.id, user.email), Actor("staff", other.id, other.email)
    count_id = _submitted_count(session, clerk)
    set_setting(session, TEST_ACTOR, "count_separate_approver", True)
    assert service.submitted_by(session, service.get_count(session, count_id)) == user.id
    with pytest.raises(Forbidden):
        service.approve_count(session, clerk, count_id=count_id, now=utcnow())
    assert service.approve_count(session, approver, count_id=count_id, now=utcnow()).status == "approved"


def test_the_submitter_may_approve_when_the_setting_is_off(session: Session) -> None:
    user = make_staff_user(session, "warehouse")
    clerk = Actor("staff", user.id, user.email)
    count_id = _submitted_count(session, clerk)
    assert service.approve_count(session, clerk, count_id=count_id, now=utcnow()).status == "approved"


def test_review_lists_variances_first_and_hides_zero_rows_behind_a_toggle(client: Any, session: Session) -> None:
    from tests.web.clients import login_as

    wh = make_warehouse(session, kind="cloud")
    a, b = make_product(session, sku="AAA-SAME"), make_product(session, sku="ZZZ-DIFF")
    receive_stock(session, a, wh, 5)
    receive_stock(session, b, wh, 5)
    user = login_as(client, session, "warehouse")
    clerk = Actor("staff", user.id, user.email)
    count = service.open_count(session, clerk, warehouse_id=wh.id)
    counted = {ln.id: (5 if ln.product_id == a.id else 3) for ln in count.lines}
    service.record_counts(session, clerk, count_id=count.id, counted=counted, submit=True, now=utcnow())
    html = client.get(f"/counts/{count.id}").text
    table = html.split('class="data review"')[1]
    assert "ZZZ-DIFF" in table and "AAA-SAME" not in table
    assert "Show the 1 line(s) without a variance" in html
    table = client.get(f"/counts/{count.id}?zeros=1").text.split('class="data review"')[1]
    assert table.index("ZZZ-DIFF") < table.index("AAA-SAME")  # variances first


def test_a_cycle_count_of_chosen_skus_or_of_the_largest_value_at_risk(session: Session) -> None:
    from decimal import Decimal

    from app.errors import ValidationFailed

    wh = make_warehouse(session, kind="cloud")
    cheap, dear, mid = (make_product(session, sku=s, unit_cost=Decimal(c)) for s, c in
                        (("P-CHEAP", "1"), ("P-DEAR", "100"), ("P-MID", "10")))
    for p in (cheap, dear, mid):
        receive_stock(session, p, wh, 10)
    picked = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, skus=["P-MID", " P-CHEAP "])
    assert sorted(ln.product_id for ln in picked.lines) == sorted([mid.id, cheap.id])
    service.cancel_count(session, TEST_ACTOR, count_id=picked.id)
    top = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, top_value=2)
    assert sorted(ln.product_id for ln in top.lines) == sorted([dear.id, mid.id])
    service.cancel_count(session, TEST_ACTOR, count_id=top.id)
    with pytest.raises(ValidationFailed) as err:
        service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, skus=["P-NOPE"])
    assert err.value.data["errors"][0]["field"] == "skus"
