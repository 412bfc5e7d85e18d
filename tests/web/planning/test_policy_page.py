"""The target fill rate page: per category target → expected stock value; validated input."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.settings.models import Setting
from app.settings.service import get_setting
from tests.factories import make_staff_user
from tests.planning_data import make_network
from tests.web.clients import csrf_token, login_staff


def _values(html: str, category: str) -> list[float]:
    row = re.search(rf"<tr><td>{category}</td>(.*?)</tr>", html, re.S)
    assert row, html
    cells = re.findall(r'<td class="num">([\d,.]+)</td>', row.group(1))
    return [float(c.replace(",", "")) for c in cells[1:]]


def test_a_buyer_sets_a_target_and_sees_the_stock_value_it_costs(app: Any, client: Any, session: Session) -> None:
    make_network(session)
    session.commit()
    assert app.test_cli_runner().invoke(args=["forecast", "run", "--horizon", "14"]).exit_code == 0
    login_staff(client, make_staff_user(session, "purchasing").email)
    page = client.get("/planning/policy")
    assert page.status_code == 200
    saved = client.post("/planning/policy", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                  "target.garden": "95", "target.*": "90"})
    assert saved.status_code == 302
    assert get_setting(session, "target_fill_rates") == {"garden": 0.95, "*": 0.90}
    html = client.get("/planning/policy").get_data(as_text=True)
    at_target, at_90, at_95, at_98 = _values(html, "Garden")
    assert at_target == at_95 and 0 < at_90 < at_95 < at_98  # the exchange curve rises with the target


def test_a_bad_target_is_refused_naming_the_field_and_nothing_is_saved(client: Any, session: Session) -> None:
    make_network(session, days=3)
    login_staff(client, make_staff_user(session, "purchasing").email)
    token = csrf_token(client.get("/planning/policy").get_data(as_text=True))
    response = client.post("/planning/policy", data={"csrf_token": token, "target.home": "120",
                                                     "target.garden": "abc", "target.toys": "90"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("target.home", "target.garden", "target.toys"):
        assert f'data-field="{field}"' in html
    assert session.scalar(select(Setting).where(Setting.key == "target_fill_rates")) is None


def test_a_viewer_sees_the_page_but_cannot_change_it(client: Any, session: Session) -> None:
    make_network(session, days=3)
    login_staff(client, make_staff_user(session, "viewer").email)
    page = client.get("/planning/policy")
    assert page.status_code == 200 and "disabled" in page.get_data(as_text=True)
    assert client.post("/planning/policy", data={"target.home": "90"}).status_code in (400, 403)
