"""Count scopes (picked SKUs, largest value at risk) and separation of duties at approval."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.auth.models import StaffUser
from app.counts import service
from app.db import utcnow
from app.errors import Conflict, ValidationFailed
from app.settings.service import set_setting
from tests.factories import TEST_ACTOR, make_product, make_staff_user, make_warehouse, receive_stock


def test_a_count_of_picked_skus_covers_only_those(session: Session) -> None:
    wh = make_warehouse(session)
    a, b, c = (make_product(session) for _ in range(3))
    for p in (a, b, c):
        receive_stock(session, p, wh, 5)
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, skus=[c.sku, a.sku, a.sku])
    assert count.scope == "skus" and sorted(ln.product_id for ln in count.lines) == sorted([a.id, c.id])
    # b is not covered, so a count of b alone may open; a second count of a may not.
    assert service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, skus=[b.sku]).lines[0].product_id == b.id
    with pytest.raises(Conflict):
        service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, skus=[a.sku])


def test_unknown_or_absent_skus_are_all_named_and_nothing_opens(session: Session) -> None:
    wh, other = make_warehouse(session), make_warehouse(session)
    here, elsewhere = make_product(session), make_product(session)
    receive_stock(session, here, wh, 5)
    receive_stock(session, elsewhere, other, 5)
    with pytest.raises(ValidationFailed) as err:
        service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, skus=[here.sku, elsewhere.sku, "NO-SUCH"])
    [error] = err.value.data["errors"]
    assert error["field"] == "skus"
    assert str(error["message"]).endswith(f"{elsewhere.sku}, NO-SUCH")
    assert service.list_counts(session, warehouse_id=wh.id).total == 0


def test_top_value_takes_the_skus_with_the_largest_on_hand_times_cost(session: Session) -> None:
    wh = make_warehouse(session)
    cheap_many = make_product(session, unit_cost=Decimal("1.00"))   # 100 × 1 = 100
    dear_few = make_product(session, unit_cost=Decimal("60.00"))    # 3 × 60 = 180
    middle = make_product(session, unit_cost=Decimal("12.00"))      # 10 × 12 = 120
    for p, qty in ((cheap_many, 100), (dear_few, 3), (middle, 10)):
        receive_stock(session, p, wh, qty)
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, top_value=2)
    assert count.scope == "top_value"
    assert {ln.product_id for ln in count.lines} == {dear_few.id, middle.id}
    with pytest.raises(ValidationFailed):
        service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, top_value=0)


def _actor(user: StaffUser) -> Actor:
    return Actor("staff", user.id, user.email)


def _submitted(session: Session, submitter: Actor) -> int:
    wh = make_warehouse(session)
    p = make_product(session)
    receive_stock(session, p, wh, 8)
    count = service.open_count(session, submitter, warehouse_id=wh.id)
    service.record_counts(session, submitter, count_id=count.id, counted={count.lines[0].id: 7}, submit=True,
                          now=utcnow())
    return count.id


def test_with_separation_of_duties_the_submitter_cannot_approve_but_another_user_can(session: Session) -> None:
    set_setting(session, TEST_ACTOR, "count_separation_of_duties", True)
    first, second = make_staff_user(session, "warehouse"), make_staff_user(session, "warehouse")
    submitter, approver = _actor(first), _actor(second)
    count_id = _submitted(session, submitter)
    assert service.get_count(session, count_id).submitted_by_id == first.id
    with pytest.raises(Conflict) as err:
        service.approve_count(session, submitter, count_id=count_id, now=utcnow())
    assert err.value.data["rule"] == "separation_of_duties"
    assert service.get_count(session, count_id).status == "submitted"
    approved = service.approve_count(session, approver, count_id=count_id, now=utcnow())
    assert approved.status == "approved" and approved.approved_by_id == second.id


def test_without_separation_of_duties_the_submitter_may_approve(session: Session) -> None:
    user = make_staff_user(session, "warehouse")
    count_id = _submitted(session, _actor(user))
    assert service.approve_count(session, _actor(user), count_id=count_id, now=utcnow()).status == "approved"


def test_review_lists_variances_first_by_value_and_zero_lines_apart(session: Session) -> None:
    wh = make_warehouse(session)
    small, agree, big = (make_product(session, unit_cost=Decimal(c)) for c in ("1.00", "5.00", "9.00"))
    for p in (small, agree, big):
        receive_stock(session, p, wh, 10)
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id)
    counted = {ln.id: {small.id: 13, agree.id: 10, big.id: 8}[ln.product_id] for ln in count.lines}
    service.record_counts(session, TEST_ACTOR, count_id=count.id, counted=counted, submit=True, now=utcnow())
    summary = service.review_summary(count)
    assert [r.sku for r in summary.variances_first] == [big.sku, small.sku]  # -18.00 before +3.00
    assert [r.sku for r in summary.agreeing] == [agree.sku]
