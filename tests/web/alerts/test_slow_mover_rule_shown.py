"""The slow-mover tab states its rule with the current threshold (not only Admin → Settings)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.settings.service import set_setting
from tests.factories import TEST_ACTOR
from tests.web.clients import login_as


def test_slow_mover_tab_states_the_rule_with_the_setting(client: Any, session: Session) -> None:
    set_setting(session, TEST_ACTOR, "slow_mover_monthly_units", 7)
    login_as(client, session, "viewer")
    html = client.get("/alerts/?kind=slow_mover").text
    assert "fewer than 7 units in each of the last three full months" in html
    assert "slow-mover-rule" not in client.get("/alerts/?kind=low_stock").text
