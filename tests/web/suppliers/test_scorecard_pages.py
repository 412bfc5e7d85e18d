"""Staff scorecard pages: ranking, drill-down, backups, admin rules; roles enforced."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.db import utcnow
from app.settings.models import Setting
from tests.factories import make_price, make_product, make_supplier, make_warehouse
from tests.factories_purchasing import confirm_as_ordered, make_po, make_receipt
from tests.web.clients import chart_options, csrf_token, login_as


def _history(session: Session, name: str, *, late_days: int, rejected: int, price: str) -> Any:
    today = utcnow().date()
    wh = make_warehouse(session, kind="cloud")
    supplier = make_supplier(session, name=name)
    product = make_product(session)
    make_price(session, supplier, product, unit_price=Decimal(price))
    due = today.replace(day=1)
    sent = dt.datetime.combine(due - dt.timedelta(days=10), dt.time(9), tzinfo=dt.UTC)
    po = make_po(session, supplier, wh, [(product, 100, price, due)], sent_at=sent)
    confirm_as_ordered(po, sent + dt.timedelta(hours=5))
    arrived = dt.datetime.combine(due + dt.timedelta(days=late_days), dt.time(10), tzinfo=dt.UTC)
    make_receipt(session, po, [(po.lines[0], 100, 100 - rejected)], received_at=min(arrived, utcnow()))
    return supplier, product, po


def test_ranking_lists_suppliers_best_first_with_drill_down_links(client: Any, session: Session) -> None:
    _good, _p, _po = _history(session, "Good Supplies", late_days=0, rejected=0, price="5.00")
    bad, _p2, _po2 = _history(session, "Poor Supplies", late_days=0, rejected=40, price="5.00")
    login_as(client, session, "viewer")
    page = client.get("/suppliers/scorecards?window=3")
    assert page.status_code == 200
    assert page.text.index("Good Supplies") < page.text.index("Poor Supplies")
    assert f"/suppliers/scorecards/{bad.id}" in page.text
    assert "How the score is computed" in page.text and "Standing: A from 85, B from 70" in page.text
    assert "Scorecard rules (admin)" not in page.text  # viewers cannot change the rules


def test_detail_shows_the_events_behind_the_figures_and_backup_suppliers(client: Any, session: Session) -> None:
    supplier, product, po = _history(session, "Poor Supplies", late_days=0, rejected=40, price="5.00")
    backup = make_supplier(session, name="Backup Co")
    make_price(session, backup, product, unit_price=Decimal("6.00"))
    lonely = make_product(session, sku="ONLY-ONE")
    make_price(session, supplier, lonely)
    login_as(client, session, "purchasing")
    page = client.get(f"/suppliers/scorecards/{supplier.id}")
    assert page.status_code == 200
    assert po.number in page.text and "quality defect" not in page.text
    assert ">40<" in page.text  # the rejected quantity of the failed inspection
    assert "Backup Co" in page.text and "No backup supplier: single-sourced." in page.text
    assert len(chart_options(page.text)) == 2 and "<script" not in page.text.split("</main>")[0]
    assert client.get("/suppliers/scorecards/999999").status_code == 404


def test_bad_month_filter_names_the_field(client: Any, session: Session) -> None:
    login_as(client, session, "viewer")
    resp = client.get("/suppliers/scorecards?month=2026-13")
    assert resp.status_code == 422 and 'data-field="month"' in resp.text


def test_only_admins_change_weights_and_the_change_is_audited(client: Any, session: Session) -> None:
    login_as(client, session, "purchasing")
    token = csrf_token(client.get("/suppliers/scorecards").text)
    data = {"csrf_token": token, "weight_on_time": "50", "weight_quality": "30", "weight_price": "20",
            "threshold_a": "90", "threshold_b": "75", "grace_days": "1"}
    assert client.post("/suppliers/scorecards/settings", data=data).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login_as(client, session, "admin")
    data["csrf_token"] = csrf_token(client.get("/suppliers/scorecards").text)
    assert client.post("/suppliers/scorecards/settings", data=data).status_code == 302
    weights = session.scalar(select(Setting.value).where(Setting.key == "scorecard_weights"))
    assert json.loads(weights) == {"on_time": 50, "quality": 30, "price": 20}
    assert session.scalar(select(AuditEntry).where(AuditEntry.entity_id == "on_time_grace_days")) is not None
    assert "Standing: A from 90, B from 75" in client.get("/suppliers/scorecards").text


def test_suppliers_and_anonymous_users_cannot_open_scorecards(client: Any) -> None:
    assert client.get("/suppliers/scorecards").status_code == 302


def test_ranking_query_count_does_not_grow_with_suppliers(app: Any, client: Any, session: Session) -> None:
    engine = app.extensions["stockwise_db"].engine
    login_as(client, session, "viewer")
    counts = []
    for n in (5, 30):
        for i in range(n - (5 if n == 30 else 0)):
            _history(session, f"S{n}-{i}", late_days=i % 3, rejected=i % 2, price="5.00")
        seen: list[str] = []

        def _count(*args: Any, seen: list[str] = seen) -> None:
            seen.append(args[2])

        event.listen(engine, "before_cursor_execute", _count)
        try:
            assert client.get("/suppliers/scorecards").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", _count)
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_a_supplier_without_deliveries_shows_no_data_and_is_not_ranked(client: Any, session: Session) -> None:
    _history(session, "Good Supplies", late_days=0, rejected=0, price="5.00")
    idle = make_supplier(session, name="Idle Cheap Co")
    wh = make_warehouse(session, kind="cloud")
    product = make_product(session)
    make_price(session, idle, product, unit_price=Decimal("1.00"))
    # sent this month, cheap, nothing due yet: price alone used to score it an A, ranked first
    today = utcnow().date()
    make_po(session, idle, wh, [(product, 10, "1.00", today + dt.timedelta(days=40))],
            sent_at=dt.datetime.combine(today.replace(day=1), dt.time(8), tzinfo=dt.UTC))
    login_as(client, session, "viewer")
    page = client.get("/suppliers/scorecards?window=1").text
    rows = page.split("<tr")
    good_row = next(r for r in rows if "Good Supplies" in r)
    idle_row = next(r for r in rows if "Idle Cheap Co" in r)
    assert good_row.startswith(' class=""><td class="num">1</td>')
    assert idle_row.startswith(' class="unranked"><td class="num">—</td>') and "no data" in idle_row
    assert page.index("Good Supplies") < page.index("Idle Cheap Co")


def test_the_month_field_shows_the_period_on_the_page(client: Any, session: Session) -> None:
    login_as(client, session, "viewer")
    this_month = utcnow().date().strftime("%Y-%m")
    page = client.get("/suppliers/scorecards").text
    assert f'value="{this_month}"' in page.split('name="month"', 1)[1].split(">", 1)[0]
    assert 'placeholder="2026-03"' not in page
    chosen = client.get("/suppliers/scorecards?month=2026-02&window=3").text
    assert 'value="2026-02"' in chosen.split('name="month"', 1)[1].split(">", 1)[0]
    assert "2025-12…2026-02" in chosen
