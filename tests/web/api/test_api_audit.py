"""Every API state change is in the audit log under the client's name, one row per request,
and an admin can filter for it (issue 9 item 10)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from tests.factories import make_api_client
from tests.web.api.conftest import Api, Net
from tests.web.clients import count_statements, login_as

AT = "2026-11-02T08:00:00+08:00"


def _audit_inserts(statements: list[str]) -> int:
    return sum(1 for s in statements if s.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"))


def test_api_changes_are_audited_with_the_clients_name_and_filterable(
        app: Any, client: Any, net: Net, session: Session) -> None:
    _c, token = make_api_client(session, ("stock:read", "stock:write", "stock:sync"), name="order-system")
    session.commit()
    api = Api(client, token)
    assert api.put("/products/AUD-1", {"name": "Audited towel"}).status_code == 201
    with count_statements(app) as statements:
        moved = api.post("/movements", {"movements": [
            {"event_id": "wms-1", "warehouse": "CN-CLOUD", "sku": "AUD-1", "kind": "receipt", "quantity": 9,
             "occurred_at": AT},
            {"event_id": "wms-2", "warehouse": "CN-CLOUD", "sku": "AUD-1", "kind": "damage", "quantity": 1,
             "occurred_at": AT}]})
    assert moved.status_code == 200, moved.text
    assert _audit_inserts(statements) == 1
    first = api.post("/reservations", {"order_ref": "SO-A1", "lines": [{"sku": "AUD-1", "quantity": 2}]}).get_json()
    second = api.post("/reservations", {"order_ref": "SO-A2", "lines": [{"sku": "AUD-1", "quantity": 1}]}).get_json()
    with count_statements(app) as statements:
        assert api.post(f"/reservations/{first['id']}/commit").status_code == 200
    if session.get_bind().dialect.name == "postgresql":  # one statement, stock_close(), writes the audit row too
        assert len(statements) == 1 and "stock_close(" in statements[0], statements
    else:
        assert _audit_inserts(statements) == 1
    assert api.post(f"/reservations/{second['id']}/release").status_code == 200

    session.expire_all()
    rows = session.execute(select(AuditEntry.actor_type, AuditEntry.action, AuditEntry.entity_id)
                           .where(AuditEntry.actor_label == "order-system").order_by(AuditEntry.id)).all()
    assert [(t, a) for t, a, _e in rows] == [
        ("api", "product.create"), ("api", "movements.apply"), ("api", "reservation.create"),
        ("api", "reservation.create"), ("api", "reservation.commit"), ("api", "reservation.release")]
    assert rows[4][2] == first["id"] and rows[5][2] == second["id"]
    batch = session.scalars(select(AuditEntry.details).where(AuditEntry.action == "movements.apply")).one()
    assert '"applied": 2' in batch and '"wms-1"' in batch and '"wms-2"' in batch

    admin = client.application.test_client()
    login_as(admin, session, "admin")
    page = admin.get("/admin/audit?actor=order-system")
    assert page.status_code == 200
    for action in ("movements.apply", "reservation.create", "reservation.commit", "reservation.release",
                   "product.create"):
        assert action in page.text, action
    only_batches = admin.get("/admin/audit?actor=order-system&entity=movement_batch")
    assert "movements.apply" in only_batches.text and "reservation.commit" not in only_batches.text
