"""Reading and changing the admin-editable settings; every change is audited."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.settings.models import Setting

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
