"""Supplier users are invited by an admin: a single-use, time-limited link where they set
their password. Only the SHA-256 of the invitation token is stored (like API tokens)."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.auth.models import SupplierUser
from app.auth.service import check_password_strength, end_sessions, hash_password, hash_token, normalise_email
from app.errors import Conflict, Msg, NotFound
from app.suppliers.models import Supplier

INVITE_TTL = dt.timedelta(hours=72)


class InviteInvalid(NotFound):
    """Unknown, used or expired invitation (indistinguishable on purpose)."""

    code = "invite-invalid"
    title = Msg("Invitation not valid")


def invite_supplier_user(
    session: Session, actor: Actor, *, supplier_code: str, email: str, now: dt.datetime,
) -> tuple[SupplierUser, str]:
    """Create (or re-invite) a portal user of the supplier; returns (user, token).

    The token is shown once; a new invitation replaces any earlier one. An e-mail that
    belongs to another supplier's user is a `Conflict`.
    """
    email = normalise_email(email)
    supplier = session.scalar(select(Supplier).where(Supplier.code == supplier_code))
    if supplier is None:
        raise NotFound(f"no supplier with code {supplier_code!r}", field="supplier")
    user = session.scalar(select(SupplierUser).where(SupplierUser.email == email))
    if user is not None and user.supplier_id != supplier.id:
        raise Conflict(f"{email} is already a portal user of another supplier", field="email")
    if user is None:
        user = SupplierUser(supplier_id=supplier.id, email=email, name=email.split("@")[0], password_hash=None)
        session.add(user)
    token = secrets.token_urlsafe(32)
    user.invite_token_hash = hash_token(token)
    user.invite_expires_at = now + INVITE_TTL
    session.flush()
    record_audit(session, actor, "supplier_user.invite", "supplier_user", user.id, email=email,
                 supplier=supplier.code, expires_at=user.invite_expires_at)
    return user, token


def user_for_invite(session: Session, *, token: str, now: dt.datetime) -> SupplierUser:
    """The user a valid invitation token belongs to; else `InviteInvalid`."""
    user = session.scalar(select(SupplierUser).where(SupplierUser.invite_token_hash == hash_token(token)))
    if user is None or user.invite_expires_at is None or user.invite_expires_at <= now or not user.is_active:
        raise InviteInvalid("this invitation link is not valid (unknown, already used or expired)")
    return user


def accept_invite(session: Session, *, token: str, password: str, now: dt.datetime) -> SupplierUser:
    """Set the password and burn the token: the link works once. A re-invited user's earlier
    sessions end (a new password ends every session)."""
    user = user_for_invite(session, token=token, now=now)
    check_password_strength(password)
    actor = Actor("supplier", user.id, user.email)
    user.password_hash = hash_password(password)
    user.invite_token_hash = None
    user.invite_expires_at = None
    end_sessions(session, actor, user)
    record_audit(session, actor, "supplier_user.accept_invite", "supplier_user", user.id)
    return user


def invite_path(token: str) -> str:
    return f"/portal/invite/{token}"
