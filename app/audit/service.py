"""Writing the audit log and reading settings. Every state change records who, what, when."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry, Setting
from app.db import utcnow


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user, a supplier user, an API client or the system."""

    kind: str  # staff | supplier | api | system
    id: int | None
    label: str

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls("system", None, label)

    @property
    def staff_id(self) -> int | None:
        """The staff user's id for `created_by_id`-style columns; None for suppliers, API clients, the system."""
        return self.id if self.kind == "staff" else None


def record_audit(
    session: Session, actor: Actor, action: str, entity_type: str, entity_id: Any = None, **details: Any
) -> None:
    """Append one audit row now, in the caller's transaction (one Core INSERT: cheaper than
    an ORM flush on the hot API paths, and written before the change log that ends a
    stock transaction)."""
    # The Table, not the mapped class: a Core insert does not autoflush the caller's pending objects.
    session.execute(insert(cast(Table, AuditEntry.__table__)).values(
        at=utcnow(),
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        details=json.dumps(details, default=str, sort_keys=True) if details else None,
    ))


# Defaults of the admin-editable settings; `get_setting` falls back to these.
SETTING_DEFAULTS: dict[str, Any] = {
    "service_level": 0.95,
    # category code (or "*" for the others) → target fill rate; empty: the service level above
    "target_fill_rates": {},
    "review_period_days": 7,
    "low_stock_days_of_cover": 7,
    "overstock_days_of_cover": 120,
    "slow_mover_monthly_units": 5,
    "over_receipt_tolerance_pct": 5,
    "on_time_grace_days": 2,
    # When on, the user who submitted a count cannot approve it (another user must).
    "count_separation_of_duties": False,
    "scorecard_weights": {"on_time": 40, "quality": 30, "price": 30},
    "scorecard_thresholds": {"A": 85, "B": 70},
    "inspection_reasons": ["damaged", "wrong item", "wrong specification", "wrong style number",
                           "quality defect", "short shipped", "expired"],
    # Separation of duties: whoever submitted a count may not approve it.
    "count_separate_approver": False,
}


def get_setting(session: Session, key: str) -> Any:
    if key not in SETTING_DEFAULTS:
        raise KeyError(key)
    row = session.scalar(select(Setting).where(Setting.key == key))
    return SETTING_DEFAULTS[key] if row is None else json.loads(row.value)


def set_setting(session: Session, actor: Actor, key: str, value: Any) -> None:
    if key not in SETTING_DEFAULTS:
        raise KeyError(key)
    row = session.get(Setting, key)
    old = SETTING_DEFAULTS[key] if row is None else json.loads(row.value)
    if row is None:
        session.add(Setting(key=key, value=json.dumps(value)))
    else:
        row.value = json.dumps(value)
    record_audit(session, actor, "setting.update", "setting", key, old=old, new=value)
