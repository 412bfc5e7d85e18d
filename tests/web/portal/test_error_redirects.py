"""A refused form POST redirects back to the page it came from, and only within this site:
a foreign `Referer` is never followed (issue 9 item 10)."""
from __future__ import annotations

from typing import Any

import pytest

from tests.web.clients import csrf_token, login_supplier


@pytest.mark.parametrize("referer,expected", [
    ("https://evil.example/phish", None),
    ("//evil.example/phish", None),
    ("/\\evil.example/phish", None),
    ("http://localhost/portal/orders?status=open", "/portal/orders?status=open"),
    ("/portal/orders", "/portal/orders"),
    ("javascript:alert(1)", None),
])
def test_an_error_redirect_goes_only_to_a_path_of_this_site(
        client: Any, two_suppliers: Any, referer: str, expected: str | None) -> None:
    mine = two_suppliers[0]
    po, line = mine.confirmed_po, mine.confirmed_po.lines[0]  # 40 still open
    login_supplier(client, mine.email)
    url = f"/portal/orders/{po.id}/shipments/new"
    data = {"csrf_token": csrf_token(client.get(url).text), "ship_date": "2026-03-11", "expected_date": "2026-03-13",
            "lines-0-line_id": line.id, "lines-0-quantity": "41"}
    resp = client.post(url, data=data, headers={"Referer": referer})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location == (expected or url)
    assert "evil" not in location
