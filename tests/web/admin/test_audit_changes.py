"""The audit log renders details as readable changes (SKUs, warehouse codes, old → new), and
resolving ids costs the same queries whatever the number of rows."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from app.admin.audit_changes import Change, describe
from app.audit.service import record_audit
from app.settings.service import set_setting
from tests.factories import TEST_ACTOR, make_product, make_warehouse
from tests.web.clients import count_statements, login_as


def _transfer_entry(session: Session, n: int) -> tuple[Any, Any, Any]:
    src, dest = make_warehouse(session), make_warehouse(session)
    a, b = make_product(session), make_product(session)
    # the shape transfer.create writes: warehouse ids, lines keyed by product id
    record_audit(session, TEST_ACTOR, "transfer.create", "transfer", n, number=f"TR-T-{n}", source=src.id,
                 dest=dest.id, lines={a.id: 10, b.id: 40})
    return src, dest, (a, b)


def test_transfer_details_show_skus_and_warehouse_codes_not_ids(client: Any, session: Session) -> None:
    src, dest, (a, b) = _transfer_entry(session, 1)
    login_as(client, session, "admin")
    page = client.get("/admin/audit?entity=transfer").text
    row = page.split("TR-T-1", 1)[1].split("</tr>", 1)[0]
    assert f"{a.sku} × 10" in row and f"{b.sku} × 40" in row
    assert src.code in row and dest.code in row
    assert "{'" not in page and "dest=" not in page and "source=" not in page
    csv = client.get("/admin/audit/export.csv?entity=transfer").text
    header, line = csv.splitlines()[:2]
    assert header.endswith(",details,changes") and src.code in line
    assert json.dumps({"dest": dest.id}).strip("{}") in line.replace('""', '"')   # stored data unchanged


def test_settings_and_roles_render_old_to_new(app: Any, client: Any, session: Session) -> None:
    set_setting(session, TEST_ACTOR, "overstock_days_of_cover", 90)
    set_setting(session, TEST_ACTOR, "scorecard_weights", {"on_time": 50, "quality": 30, "price": 20})
    login_as(client, session, "admin")
    page = client.get("/admin/audit?entity=setting").text
    assert "overstock days of cover:</span> <del>120</del> → 90" in page
    assert "scorecard_weights.on_time:</span> <del>40</del> → 50" in page
    assert "scorecard_weights.quality" not in page   # unchanged parts are left out
    with app.test_request_context():
        assert str(describe("user.role", "7", {"email": "li@x.test", "old": "viewer", "new": "admin"}, {})[0]) \
            == "role: viewer → admin"


def test_unknown_ids_are_marked_and_plain_values_pass_through(app: Any) -> None:
    with app.test_request_context():
        changes = describe("transfer.create", "3", {"source": 999, "lines": {"5": 2}, "number": "TR-1"}, {})
        assert changes == [Change("number", "TR-1"), Change("from", "#999"), Change("lines", "#5 × 2")]


def test_audit_page_query_count_does_not_grow_with_referenced_rows(app: Any, client: Any, session: Session) -> None:
    login_as(client, session, "admin")
    _transfer_entry(session, 0)
    session.flush()
    with count_statements(app) as few:
        assert client.get("/admin/audit?entity=transfer").status_code == 200
    for i in range(1, 30):
        _transfer_entry(session, i)
    session.flush()
    with count_statements(app) as many:
        page = client.get("/admin/audit?entity=transfer")
    assert page.status_code == 200 and page.text.count("TR-T-") >= 30
    assert len(few) == len(many)
