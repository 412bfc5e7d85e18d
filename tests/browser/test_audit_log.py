"""The audit log in Chromium reads as changes (SKUs, warehouse codes, old → new), in both languages."""
from __future__ import annotations

from typing import Any

from app.audit.service import record_audit
from app.db import transaction
from app.settings.service import set_setting
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, TEST_ACTOR, make_product, make_staff_user, make_warehouse


def test_audit_log_shows_readable_changes(live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        cloud = make_warehouse(s, code="CLOUD-SH", name="Shanghai cloud", kind="cloud", name_zh="上海云仓")
        fwd = make_warehouse(s, code="FWD-BJ", name="Beijing forward")
        towel, soap = make_product(s, sku="HL-TOWEL-1"), make_product(s, sku="HL-SOAP-2")
        record_audit(s, TEST_ACTOR, "transfer.create", "transfer", 7, number="TR-2026-000007", source=cloud.id,
                     dest=fwd.id, lines={str(towel.id): 10, str(soap.id): 40})
        set_setting(s, TEST_ACTOR, "overstock_days_of_cover", 90)
        admin = make_staff_user(s, "admin")
        email = admin.email
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/admin/audit")
    table = page.locator("table.data").inner_text()
    assert "HL-TOWEL-1 × 10" in table and "HL-SOAP-2 × 40" in table
    assert "CLOUD-SH" in table and "FWD-BJ" in table and "120 → 90" in table
    assert "{'" not in table and "dest=" not in table
    shot(page, "audit-log")
    with page.expect_navigation():   # the language switch submits itself
        page.select_option("select[data-autosubmit]", "zh")
    page.goto(f"{live_server.url}/admin/audit")
    zh = page.locator("table.data").inner_text()
    assert "从" in zh and "HL-TOWEL-1 × 10" in zh
    shot(page, "audit-log-zh")
