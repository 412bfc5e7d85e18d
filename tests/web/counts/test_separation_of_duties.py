"""The separation-of-duties setting is enforced by the service, not only hidden in the page."""
from __future__ import annotations

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
