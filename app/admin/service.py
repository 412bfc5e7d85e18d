"""Administration: staff users' roles and access, validated settings, the audit log query."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.admin.audit_changes import Change, describe_all
from app.audit.models import AuditEntry
from app.audit.service import Actor, record_audit
from app.auth.models import ApiClient, Role, StaffUser
from app.auth.service import end_sessions
from app.catalog.models import Category
from app.errors import N_, Conflict, NotFound, ValidationFailed
from app.paging import Page, Sort, clamp_page, sorted_by
from app.settings.service import SETTING_DEFAULTS, get_setting, set_setting
from app.stock.models import Warehouse

USER_SORTS = {"email": StaffUser.email, "name": StaffUser.name, "role": StaffUser.role,
              "status": StaffUser.is_active, "last_login": StaffUser.last_login_at}


def list_users(session: Session, *, sort: Sort | None = None, page: int = 1, per_page: int = 50) -> Page[StaffUser]:
    """Staff users by e-mail, or by `sort` (a key of USER_SORTS; ties by e-mail)."""
    total = session.scalar(select(func.count()).select_from(StaffUser)) or 0
    page = clamp_page(page)
    rows = list(session.scalars(sorted_by(select(StaffUser), sort, USER_SORTS, StaffUser.email, StaffUser.id)
                                .limit(per_page).offset((page - 1) * per_page)))
    return Page(rows, total, page, per_page)


API_CLIENT_SORTS = {"name": ApiClient.name, "scopes": ApiClient.scopes, "webhook": ApiClient.webhook_url,
                    "status": ApiClient.is_active}


def list_api_clients(session: Session, *, sort: Sort | None = None) -> list[ApiClient]:
    """Every API client, active ones first then by name, or by `sort` (a key of API_CLIENT_SORTS)."""
    return list(session.scalars(sorted_by(select(ApiClient), sort, API_CLIENT_SORTS, ApiClient.is_active.desc(),
                                          ApiClient.name)))


def _user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(N_("user %(id)s not found", id=user_id))
    return user


def _other_active_admins(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.role == Role.ADMIN.value, StaffUser.is_active.is_(True), StaffUser.id != user_id)) or 0


def change_role(session: Session, actor: Actor, *, user_id: int, role: str) -> StaffUser:
    """Change a user's role. The last active admin cannot be demoted (nobody could undo it)."""
    if role not in {r.value for r in Role}:
        raise ValidationFailed(N_("unknown role %(role)s", role=role), [{"field": "role", "message": N_("unknown role")}])
    user = _user(session, user_id)
    if user.role == Role.ADMIN and role != Role.ADMIN and not _other_active_admins(session, user.id):
        raise Conflict(N_("the last active admin cannot lose the admin role"))
    old, user.role = user.role, role
    record_audit(session, actor, "user.role", "staff_user", user.id, email=user.email, old=old, new=role)
    return user


def set_user_active(session: Session, actor: Actor, *, user_id: int, active: bool) -> StaffUser:
    """Deactivate (or reactivate) a user: a deactivated user's session stops working at once."""
    user = _user(session, user_id)
    if not active and actor.kind == "staff" and actor.id == user.id:
        raise Conflict(N_("you cannot deactivate yourself"))
    if not active and user.role == Role.ADMIN and not _other_active_admins(session, user.id):
        raise Conflict(N_("the last active admin cannot be deactivated"))
    user.is_active = active
    if not active:
        end_sessions(session, actor, user)  # reactivating must not bring old cookies back
    record_audit(session, actor, "user.activate" if active else "user.deactivate", "staff_user", user.id,
                 email=user.email)
    return user


def end_user_sessions(session: Session, actor: Actor, *, user_id: int) -> StaffUser:
    """Log a user out everywhere (every browser, every copy of the cookie)."""
    user = _user(session, user_id)
    end_sessions(session, actor, user, action="session.end_all")
    return user


def _number(raw: str, key: str, kind: type, low: float, high: float) -> Any:
    try:
        value = kind(raw.strip())
    except (ValueError, AttributeError):
        raise ValidationFailed(N_("%(key)s: not a number", key=key),
                               [{"field": key, "message": N_("not a number")}]) from None
    if not low <= value <= high:
        bounds = {"low": f"{low:g}", "high": f"{high:g}"}
        raise ValidationFailed(N_("%(key)s: must be between %(low)s and %(high)s", key=key, **bounds),
                               [{"field": key, "message": N_("must be between %(low)s and %(high)s", **bounds)}])
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

BOOLEAN_SETTINGS = frozenset({"count_separation_of_duties"})


def parse_setting(key: str, raw: dict[str, str]) -> Any:
    """Turn form input into a setting value, or raise `ValidationFailed` naming the field. Pure.

    `raw` holds the submitted fields: `key` itself for simple values, `key.part` for the
    parts of structured ones (scorecard weights and thresholds).
    """
    if key in NUMERIC_RULES:
        return _number(raw.get(key, ""), key, *NUMERIC_RULES[key])
    if key in BOOLEAN_SETTINGS:
        return raw.get(key, "") in ("1", "on", "true", "yes")
    if key == "scorecard_weights":
        weights = {k: _number(raw.get(f"{key}.{k}", ""), f"{key}.{k}", int, 0, 100) for k in ("on_time", "quality", "price")}
        if sum(weights.values()) != 100:
            raise ValidationFailed(N_("scorecard weights must add up to 100"),
                                   [{"field": f"{key}.on_time", "message": N_("the three weights must add up to 100")}])
        return weights
    if key == "scorecard_thresholds":
        grades = {k: _number(raw.get(f"{key}.{k}", ""), f"{key}.{k}", int, 0, 100) for k in ("A", "B")}
        if grades["A"] <= grades["B"]:
            raise ValidationFailed(N_("grade A must need a higher score than grade B"),
                                   [{"field": f"{key}.A", "message": N_("must be higher than B")}])
        return grades
    if key == "count_separate_approver":
        value = raw.get(key, "")
        if value not in ("on", "off"):
            raise ValidationFailed(f"{key}: choose on or off", [{"field": key, "message": "choose on or off"}])
        return value == "on"
    if key == "inspection_reasons":
        reasons = [r.strip() for r in raw.get(key, "").splitlines() if r.strip()]
        if not reasons or any(len(r) > 64 for r in reasons) or len(set(reasons)) != len(reasons):
            raise ValidationFailed(N_("inspection reasons: one per line, unique, at most 64 characters"),
                                   [{"field": key, "message": N_("one per line, unique, at most 64 characters each")}])
        return reasons
    raise ValidationFailed(N_("unknown setting %(key)s", key=key), [{"field": key, "message": N_("unknown setting")}])


def rename_master_data(session: Session, actor: Actor, *, kind: str, code: str, name: str,
                       name_zh: str | None) -> Category | Warehouse:
    """Set a category's or warehouse's name and optional Chinese name (shown when the UI is in Chinese).

    Raises `NotFound` for an unknown kind or code, `ValidationFailed` naming the field for a blank
    name, a name over 120 characters or a category name another category already has."""
    row: Category | Warehouse | None = None
    if kind == "category":
        row = session.scalar(select(Category).where(Category.code == code))
    elif kind == "warehouse":
        row = session.scalar(select(Warehouse).where(Warehouse.code == code))
    if row is None:
        raise NotFound(N_("%(kind)s %(code)s not found", kind=kind, code=code))
    name, name_zh = name.strip(), (name_zh or "").strip() or None
    errors = []
    if not name:
        errors.append({"field": "name", "message": N_("required")})
    for field_name, value in (("name", name), ("name_zh", name_zh)):
        if value and len(value) > 120:
            errors.append({"field": field_name, "message": N_("at most 120 characters")})
    if kind == "category" and name and session.scalar(
            select(Category.id).where(Category.name == name, Category.id != row.id)):
        errors.append({"field": "name", "message": N_("another category has this name")})
    if errors:
        raise ValidationFailed(N_("%(n)s field(s) need attention", n=len(errors)), errors)
    old = {"name": row.name, "name_zh": row.name_zh}
    row.name, row.name_zh = name, name_zh
    if old != {"name": name, "name_zh": name_zh}:
        record_audit(session, actor, f"{kind}.rename", kind, row.id, code=code, old=old,
                     new={"name": name, "name_zh": name_zh})
    return row


def update_setting(session: Session, actor: Actor, *, key: str, raw: dict[str, str]) -> Any:
    if key not in SETTING_DEFAULTS:
        raise NotFound(N_("unknown setting %(key)s", key=key))
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
    changes: list[Change] = field(default_factory=list)  # the details, readable (see audit_changes)


AUDIT_SORTS = {"at": AuditEntry.at, "actor": AuditEntry.actor_label, "action": AuditEntry.action,
               "entity": AuditEntry.entity_type}


def audit_log(
    session: Session, *, actor: str | None = None, entity_type: str | None = None, entity_id: str | None = None,
    action: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None, page: int = 1,
    per_page: int | None = 50, sort: Sort | None = None,
) -> Page[AuditRow]:
    """The audit log newest first (or by `sort`, a key of AUDIT_SORTS), filtered, each row's
    details also as readable changes.

    2 queries per page plus one per kind of id referenced (warehouses, SKUs, …), whatever the rows."""
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
    stmt = sorted_by(stmt, sort, AUDIT_SORTS, AuditEntry.id.desc())
    if per_page is not None:
        stmt = stmt.limit(per_page).offset((page - 1) * per_page)
    entries = list(session.scalars(stmt))
    details = [json.loads(e.details) if e.details else {} for e in entries]
    changes = describe_all(session, [(e.action, e.entity_id, d) for e, d in zip(entries, details, strict=True)])
    rows = [AuditRow(e.id, e.at, e.actor_type, e.actor_label, e.action, e.entity_type, e.entity_id, d, c)
            for e, d, c in zip(entries, details, changes, strict=True)]
    return Page(rows, total, page, per_page or max(total, 1))


def entity_types(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)))
