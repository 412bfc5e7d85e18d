"""Administration: staff users' roles and access, validated settings, the audit log query."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.audit.service import SETTING_DEFAULTS, Actor, get_setting, record_audit, set_setting
from app.auth.models import Role, StaffUser
from app.errors import Conflict, NotFound, ValidationFailed
from app.paging import Page, clamp_page


def list_users(session: Session, *, page: int = 1, per_page: int = 50) -> Page[StaffUser]:
    total = session.scalar(select(func.count()).select_from(StaffUser)) or 0
    page = clamp_page(page)
    rows = list(session.scalars(select(StaffUser).order_by(StaffUser.email).limit(per_page)
                                .offset((page - 1) * per_page)))
    return Page(rows, total, page, per_page)


def _user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def _other_active_admins(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.role == Role.ADMIN.value, StaffUser.is_active.is_(True), StaffUser.id != user_id)) or 0


def change_role(session: Session, actor: Actor, *, user_id: int, role: str) -> StaffUser:
    """Change a user's role. The last active admin cannot be demoted (nobody could undo it)."""
    if role not in {r.value for r in Role}:
        raise ValidationFailed(f"unknown role {role!r}", [{"field": "role", "message": "unknown role"}])
    user = _user(session, user_id)
    if user.role == Role.ADMIN and role != Role.ADMIN and not _other_active_admins(session, user.id):
        raise Conflict("the last active admin cannot lose the admin role")
    old, user.role = user.role, role
    record_audit(session, actor, "user.role", "staff_user", user.id, email=user.email, old=old, new=role)
    return user


def set_user_active(session: Session, actor: Actor, *, user_id: int, active: bool) -> StaffUser:
    """Deactivate (or reactivate) a user: a deactivated user's session stops working at once."""
    user = _user(session, user_id)
    if not active and actor.kind == "staff" and actor.id == user.id:
        raise Conflict("you cannot deactivate yourself")
    if not active and user.role == Role.ADMIN and not _other_active_admins(session, user.id):
        raise Conflict("the last active admin cannot be deactivated")
    user.is_active = active
    record_audit(session, actor, "user.activate" if active else "user.deactivate", "staff_user", user.id,
                 email=user.email)
    return user


def _number(raw: str, key: str, kind: type, low: float, high: float) -> Any:
    try:
        value = kind(raw.strip())
    except (ValueError, AttributeError):
        raise ValidationFailed(f"{key}: not a number", [{"field": key, "message": "not a number"}]) from None
    if not low <= value <= high:
        raise ValidationFailed(f"{key}: must be between {low:g} and {high:g}",
                               [{"field": key, "message": f"must be between {low:g} and {high:g}"}])
    return value


# key → (type, low, high) for the numeric settings.
NUMERIC_RULES: dict[str, tuple[type, float, float]] = {
    "service_level": (float, 0.5, 0.999),
    "review_period_days": (int, 1, 90),
    "low_stock_days_of_cover": (int, 1, 365),
    "overstock_days_of_cover": (int, 7, 3650),
    "slow_mover_monthly_units": (int, 0, 1_000_000),
    "over_receipt_tolerance_pct": (int, 0, 100),
    "on_time_grace_days": (int, 0, 60),
}


def parse_setting(key: str, raw: dict[str, str]) -> Any:
    """Turn form input into a setting value, or raise `ValidationFailed` naming the field. Pure.

    `raw` holds the submitted fields: `key` itself for simple values, `key.part` for the
    parts of structured ones (scorecard weights and thresholds).
    """
    if key in NUMERIC_RULES:
        return _number(raw.get(key, ""), key, *NUMERIC_RULES[key])
    if key == "scorecard_weights":
        weights = {k: _number(raw.get(f"{key}.{k}", ""), f"{key}.{k}", int, 0, 100) for k in ("on_time", "quality", "price")}
        if sum(weights.values()) != 100:
            raise ValidationFailed("scorecard weights must add up to 100",
                                   [{"field": f"{key}.on_time", "message": "the three weights must add up to 100"}])
        return weights
    if key == "scorecard_thresholds":
        grades = {k: _number(raw.get(f"{key}.{k}", ""), f"{key}.{k}", int, 0, 100) for k in ("A", "B")}
        if grades["A"] <= grades["B"]:
            raise ValidationFailed("grade A must need a higher score than grade B",
                                   [{"field": f"{key}.A", "message": "must be higher than B"}])
        return grades
    if key == "count_separate_approver":
        value = raw.get(key, "")
        if value not in ("on", "off"):
            raise ValidationFailed(f"{key}: choose on or off", [{"field": key, "message": "choose on or off"}])
        return value == "on"
    if key == "inspection_reasons":
        reasons = [r.strip() for r in raw.get(key, "").splitlines() if r.strip()]
        if not reasons or any(len(r) > 64 for r in reasons) or len(set(reasons)) != len(reasons):
            raise ValidationFailed("inspection reasons: one per line, unique, at most 64 characters",
                                   [{"field": key, "message": "one per line, unique, at most 64 characters each"}])
        return reasons
    raise ValidationFailed(f"unknown setting {key!r}", [{"field": key, "message": "unknown setting"}])


def update_setting(session: Session, actor: Actor, *, key: str, raw: dict[str, str]) -> Any:
    if key not in SETTING_DEFAULTS:
        raise NotFound(f"unknown setting {key!r}")
    value = parse_setting(key, raw)
    if value != get_setting(session, key):
        set_setting(session, actor, key, value)
    return value


def all_settings(session: Session) -> dict[str, Any]:
    return {key: get_setting(session, key) for key in SETTING_DEFAULTS}


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    actor_type: str
    actor_label: str
    action: str
    entity_type: str
    entity_id: str | None
    details: dict[str, Any]


def audit_log(
    session: Session, *, actor: str | None = None, entity_type: str | None = None, entity_id: str | None = None,
    action: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None, page: int = 1,
    per_page: int | None = 50,
) -> Page[AuditRow]:
    """The audit log newest first, filtered; 2 queries per page (`per_page=None` = all)."""
    stmt = select(AuditEntry)
    if actor:
        stmt = stmt.where(func.lower(AuditEntry.actor_label).like(f"%{actor.strip().lower()}%"))
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if action:
        stmt = stmt.where(AuditEntry.action.like(f"{action.strip()}%"))
    if date_from:
        stmt = stmt.where(AuditEntry.at >= dt.datetime.combine(date_from, dt.time(), tzinfo=dt.UTC))
    if date_to:
        stmt = stmt.where(AuditEntry.at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = clamp_page(page)
    stmt = stmt.order_by(AuditEntry.id.desc())
    if per_page is not None:
        stmt = stmt.limit(per_page).offset((page - 1) * per_page)
    rows = [AuditRow(e.id, e.at, e.actor_type, e.actor_label, e.action, e.entity_type, e.entity_id,
                     json.loads(e.details) if e.details else {}) for e in session.scalars(stmt)]
    return Page(rows, total, page, per_page or max(total, 1))


def entity_types(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)))
