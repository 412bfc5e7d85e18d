"""Flask-Login glue. Ids are namespaced so staff and supplier sessions never mix:
"staff:<id>" loads a StaffUser, "supplier:<id>" a SupplierUser."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import UserMixin, current_user, login_required

from app.audit.service import Actor
from app.auth.models import StaffUser, SupplierUser
from app.db import session as db_session


class StaffPrincipal(UserMixin):
    kind = "staff"

    def __init__(self, user: StaffUser) -> None:
        self.user_id = user.id
        self.email = user.email
        self.name = user.name
        self.role = user.role
        self.locale = user.locale

    def get_id(self) -> str:
        return f"staff:{self.user_id}"

    @property
    def actor(self) -> Actor:
        return Actor("staff", self.user_id, self.email)


class SupplierPrincipal(UserMixin):
    kind = "supplier"

    def __init__(self, user: SupplierUser) -> None:
        self.user_id = user.id
        self.supplier_id = user.supplier_id
        self.email = user.email
        self.name = user.name
        self.locale = user.locale

    def get_id(self) -> str:
        return f"supplier:{self.user_id}"

    @property
    def actor(self) -> Actor:
        return Actor("supplier", self.user_id, self.email)


def load_user(user_id: str) -> StaffPrincipal | SupplierPrincipal | None:
    kind, _, raw = user_id.partition(":")
    if not raw.isdigit():
        return None
    if kind == "staff":
        staff = db_session().get(StaffUser, int(raw))
        return StaffPrincipal(staff) if staff and staff.is_active else None
    if kind == "supplier":
        supplier = db_session().get(SupplierUser, int(raw))
        return SupplierPrincipal(supplier) if supplier and supplier.is_active else None
    return None


def staff_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a logged-in staff user; with `roles`, one of them (admin always passes)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if getattr(current_user, "kind", None) != "staff":
                abort(403)
            if roles and current_user.role not in roles and current_user.role != "admin":
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
