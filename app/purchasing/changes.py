"""Supplier confirmations that change a PO line (quantity or date) stay visible to purchasing
(badge on the PO list, banner on the PO, card on the dashboard) until a buyer acknowledges them.

They are the unresolved `supplier_update` alerts the portal raises (`app.suppliers.portal.actions`);
acknowledging resolves them and is audited."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.audit.service import Actor, record_audit
from app.purchasing.models import POLineStatus
from app.suppliers.portal.actions import SUPPLIER_UPDATE


@dataclass
class SupplierChange:
    po_number: str
    alert_ids: list[int] = field(default_factory=list)
    lines: list[dict[str, object]] = field(default_factory=list)  # {line_no, sku, quantity, date}
    at: dt.datetime | None = None


def _open_alerts(session: Session) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.kind == SUPPLIER_UPDATE, Alert.resolved_at.is_(None))
                                .order_by(Alert.id)))


def open_changes(session: Session) -> dict[str, SupplierChange]:
    """PO number → its unacknowledged changed lines (1 query)."""
    out: dict[str, SupplierChange] = {}
    for alert in _open_alerts(session):
        details = json.loads(alert.details or "{}")
        changed = [ln for ln in details.get("lines", []) if ln.get("status") == POLineStatus.CHANGED.value]
        if details.get("event") != "confirm" or not changed or not details.get("po_number"):
            continue
        change = out.setdefault(details["po_number"], SupplierChange(details["po_number"]))
        change.alert_ids.append(alert.id)
        change.lines.extend(changed)
        change.at = alert.created_at
    return out


def acknowledge_changes(session: Session, actor: Actor, *, number: str, now: dt.datetime) -> int:
    """Resolve the PO's open change alerts; returns how many (0 when there were none)."""
    change = open_changes(session).get(number)
    if change is None:
        return 0
    for alert_id in change.alert_ids:
        alert = session.get(Alert, alert_id)
        if alert is not None:
            alert.resolved_at = now
    record_audit(session, actor, "purchase_order.acknowledge_changes", "purchase_order", number,
                 lines=[ln.get("line_no") for ln in change.lines])
    return len(change.alert_ids)
