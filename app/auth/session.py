"""Flask-Login glue. Ids are namespaced so staff and supplier sessions never mix:
"staff:<id>:<generation>" loads a StaffUser, "supplier:<id>:<generation>" a SupplierUser.

The generation is the user's `session_generation` when the session started; the loader
refuses a session whose generation is no longer the user's, so raising it
(`service.end_sessions`: logout, log out everywhere, password change, deactivation) ends
every copy of every cookie of that user on the next request.
"""
from __future__ import annotations

from flask_login import UserMixin

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
        self.generation = user.session_generation

    def get_id(self) -> str:
        return f"staff:{self.user_id}:{self.generation}"

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
        self.generation = user.session_generation

    def get_id(self) -> str:
        return f"supplier:{self.user_id}:{self.generation}"

    @property
    def actor(self) -> Actor:
        return Actor("supplier", self.user_id, self.email)


def load_user(user_id: str) -> StaffPrincipal | SupplierPrincipal | None:
    """The principal of a session id, or None (logged out) for an unknown, deactivated or
    ended session (older generation; ids without one are from before generations existed)."""
    kind, raw_id, raw_generation = [*user_id.split(":"), "", ""][:3]
    if not (raw_id.isdigit() and raw_generation.isdigit()):
        return None
    user: StaffUser | SupplierUser | None
    if kind == "staff":
        user = db_session().get(StaffUser, int(raw_id))
    elif kind == "supplier":
        user = db_session().get(SupplierUser, int(raw_id))
    else:
        return None
    if user is None or not user.is_active or user.session_generation != int(raw_generation):
        return None
    return StaffPrincipal(user) if isinstance(user, StaffUser) else SupplierPrincipal(user)
