"""The audit log reads as changes with SKUs and warehouse codes, not dicts of internal ids."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.transfers import service
from app.transfers.service import TransferLineInput
from tests.factories import TEST_ACTOR, make_product, make_warehouse
from tests.web.clients import csrf_token, login_as


def test_audit_details_name_skus_and_warehouses_and_show_old_to_new(client: Any, session: Session) -> None:
    cloud, fwd = make_warehouse(session, code="CLOUD-SH", kind="cloud"), make_warehouse(session, code="FWD-BJ")
    towel = make_product(session, sku="HL-TOWEL-1")
    service.create_transfer(session, TEST_ACTOR, source_warehouse_id=cloud.id, dest_warehouse_id=fwd.id,
                            lines=[TransferLineInput(towel.id, 10)])
    login_as(client, session, "admin")
    page = client.get("/admin/settings").text
    client.post("/admin/settings", data={"csrf_token": csrf_token(page), "key": "on_time_grace_days",
                                         "on_time_grace_days": "3"})
    html = client.get("/admin/audit").text
    assert "lines: HL-TOWEL-1 × 10" in html and "from: CLOUD-SH" in html and "to: FWD-BJ" in html
    assert "2 → 3" in html
    assert f"'{towel.id}': 10" not in html and f"dest={fwd.id}" not in html
