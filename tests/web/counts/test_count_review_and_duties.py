"""Count pages: scope choices, the sheet's error summary, variances first with zeros behind a
toggle, signed values, Approve asks first, and separation of duties as an admin setting."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.counts import service
from app.db import utcnow
from app.settings.service import get_setting
from tests.factories import TEST_ACTOR, make_product, make_warehouse, receive_stock
from tests.web.clients import login_as, post_form


def _shelf(session: Session, n: int = 3) -> tuple[Any, list[Any]]:
    wh = make_warehouse(session, code="FWD-CD")
    products = [make_product(session, sku=f"HL-CUP-{i}", unit_cost=Decimal("14.09")) for i in range(n)]
    for p in products:
        receive_stock(session, p, wh, 10)
    return wh, products


def test_picked_skus_open_a_count_of_those_only_and_a_missing_one_is_named(client: Any, session: Session) -> None:
    _shelf(session)
    login_as(client, session, "warehouse")
    form = client.get("/counts/new")
    assert 'value="skus"' in form.text and 'value="top_value"' in form.text and "HL-CUP-2" in form.text
    bad = post_form(client, "/counts/new", "/counts/new", {"warehouse": "FWD-CD", "kind": "cycle", "scope": "skus",
                                                           "skus": "HL-CUP-0, NOPE-9"})
    assert bad.status_code == 422 and 'data-field="skus"' in bad.text and "NOPE-9" in bad.text
    empty = post_form(client, "/counts/new", "/counts/new", {"warehouse": "FWD-CD", "kind": "cycle", "scope": "skus",
                                                             "skus": " "})
    assert empty.status_code == 422 and 'data-field="skus"' in empty.text
    ok = post_form(client, "/counts/new", "/counts/new", {"warehouse": "FWD-CD", "kind": "cycle", "scope": "skus",
                                                          "skus": "HL-CUP-2\nHL-CUP-0"})
    assert ok.status_code == 302, ok.text
    sheet = client.get(ok.headers["Location"])
    assert "HL-CUP-0" in sheet.text and "HL-CUP-2" in sheet.text and "HL-CUP-1" not in sheet.text
    assert "2 picked SKUs" in sheet.text
    top = post_form(client, "/counts/new", "/counts/new", {"warehouse": "FWD-CD", "kind": "cycle",
                                                           "scope": "top_value", "top_value": "1"})
    assert top.status_code == 302 and "HL-CUP-1" in client.get(top.headers["Location"]).text


def test_a_partial_submit_shows_a_summary_linking_each_uncounted_row(client: Any, session: Session) -> None:
    wh, _products = _shelf(session)
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id)
    login_as(client, session, "warehouse")
    url = f"/counts/{count.id}"
    resp = post_form(client, url, f"{url}/sheet", {"lines-0-counted": "10", "lines-1-counted": "",
                                                   "lines-2-counted": "", "action": "submit"})
    assert resp.status_code == 422
    summary = resp.text.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "2 line(s) need attention" in summary
    assert re.findall(r'href="#line-(\d+)"', summary) == ["2", "3"]
    assert 'id="line-2"' in resp.text and 'id="line-3"' in resp.text
    assert resp.text.index('id="error-summary"') < resp.text.index('id="line-1"')  # at the top
    assert resp.text.count('data-field="lines-') == 2  # inline errors stay


def test_review_shows_variances_first_hides_zeros_and_signs_the_value(client: Any, session: Session) -> None:
    wh, products = _shelf(session)
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id)
    counted = {ln.id: {products[0].id: 8, products[1].id: 10, products[2].id: 12}[ln.product_id] for ln in count.lines}
    service.record_counts(session, TEST_ACTOR, count_id=count.id, counted=counted, submit=True, now=utcnow())
    login_as(client, session, "warehouse")
    page = client.get(f"/counts/{count.id}").text
    variances, hidden = page.split('id="variances"', 1)[1].split('id="zero-variance"', 1)
    assert "HL-CUP-0" in variances and "HL-CUP-2" in variances and "HL-CUP-1" not in variances
    assert "<details" in page and "HL-CUP-1" in hidden.split("</details>")[0]
    assert "-¥28.18" in variances and "+¥28.18" in variances and "-2" in variances and "+2" in variances
    assert 'data-confirm="' in page.split('id="approve"', 1)[1].split(">", 1)[0]


def test_separation_of_duties_setting_blocks_the_submitter_on_the_page(app: Any, client: Any, session: Session) -> None:
    login_as(client, session, "admin")
    assert 'name="count_separation_of_duties"' in client.get("/admin/settings").text
    on = post_form(client, "/admin/settings", "/admin/settings", {"key": "count_separation_of_duties",
                                                                  "count_separation_of_duties": "1"})
    assert on.status_code == 302 and get_setting(session, "count_separation_of_duties") is True
    _shelf(session, 1)
    opened = post_form(client, "/counts/new", "/counts/new", {"warehouse": "FWD-CD", "kind": "cycle"})
    url = opened.headers["Location"]
    assert post_form(client, url, f"{url}/sheet", {"lines-0-counted": "9", "action": "submit"}).status_code == 302
    page = client.get(url).text
    assert 'id="approve-blocked"' in page and 'action="' + f"{url}/approve" + '"' not in page
    refused = post_form(client, url, f"{url}/approve", {})
    assert refused.status_code == 302 and "separation of duties" in client.get(url).text
    assert service.get_count(session, int(url.rsplit("/", 1)[1])).status == "submitted"
    other = app.test_client()
    login_as(other, session, "warehouse")
    assert post_form(other, url, f"{url}/approve", {}).status_code == 302
    assert service.get_count(session, int(url.rsplit("/", 1)[1])).status == "approved"
    # off again: the unchecked box means off
    off = post_form(client, "/admin/settings", "/admin/settings", {"key": "count_separation_of_duties"})
    assert off.status_code == 302 and get_setting(session, "count_separation_of_duties") is False
