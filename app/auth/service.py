"""Staff users, supplier users, API clients and login rate limiting.

Passwords are stored as scrypt hashes (werkzeug); API tokens are 256-bit random
strings of which only the SHA-256 is stored (a fast hash is right for high-entropy
tokens and lets us look them up by hash).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit.service import Actor, record_audit
from app.auth.models import ApiClient, LoginAttempt, Role, Scope, StaffUser, SupplierUser
from app.db import utcnow
from app.errors import N_, Conflict, NotFound, ValidationFailed
from app.stock.reads import feed_position

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "sw_"

# Login rate limits: failures in the window, per account and per address.
LOGIN_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise ValidationFailed(N_("%(email)s is not an e-mail address", email=repr(email)),
                               [{"field": "email", "message": N_("not an e-mail address")}])
    return email


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            N_("password must be at least %(n)s characters", n=MIN_PASSWORD_LENGTH),
            [{"field": "password", "message": N_("at least %(n)s characters", n=MIN_PASSWORD_LENGTH)}],
        )


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def create_staff_user(
    session: Session, actor: Actor, *, email: str, role: str, password: str, name: str = ""
) -> StaffUser:
    email = normalise_email(email)
    if role not in {r.value for r in Role}:
        raise ValidationFailed(
            f"unknown role {role!r} (choose from {', '.join(r.value for r in Role)})",
            [{"field": "role", "message": "unknown role"}],
        )
    check_password_strength(password)
    if session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise Conflict(N_("a user with e-mail %(email)s already exists", email=email), field="email")
    user = StaffUser(email=email, role=role, name=name or email.split("@")[0], password_hash=hash_password(password))
    session.add(user)
    session.flush()
    record_audit(session, actor, "user.create", "staff_user", user.id, email=email, role=role)
    return user


def create_supplier_user(
    session: Session, actor: Actor, *, supplier_id: int, email: str, password: str | None = None, name: str = ""
) -> SupplierUser:
    email = normalise_email(email)
    if session.scalar(select(SupplierUser.id).where(SupplierUser.email == email)) is not None:
        raise Conflict(N_("a supplier user with e-mail %(email)s already exists", email=email), field="email")
    if password is not None:
        check_password_strength(password)
    user = SupplierUser(
        supplier_id=supplier_id,
        email=email,
        name=name or email.split("@")[0],
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    record_audit(session, actor, "supplier_user.create", "supplier_user", user.id, email=email, supplier_id=supplier_id)
    return user


def _too_many_failures(session: Session, realm: str, email: str, ip: str, now: dt.datetime) -> bool:
    since = now - LOGIN_WINDOW
    base = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.realm == realm, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
    )
    by_account = session.scalar(base.where(LoginAttempt.email == email)) or 0
    by_address = session.scalar(base.where(LoginAttempt.ip == ip)) or 0
    return by_account >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS


class LoginThrottled(Conflict):
    code = "login-throttled"
    title = "Too many failed logins"
    status = 429


def authenticate(
    session: Session, *, realm: str, email: str, password: str, ip: str, now: dt.datetime | None = None
) -> StaffUser | SupplierUser | None:
    """Check a login; records the attempt. Raises `LoginThrottled` when rate-limited.

    Returns the user, or None for a wrong e-mail/password (indistinguishable on purpose).
    """
    now = now or utcnow()
    email = email.strip().lower()
    if _too_many_failures(session, realm, email, ip, now):
        raise LoginThrottled(N_("too many failed logins; try again in 15 minutes"))
    user: StaffUser | SupplierUser | None
    if realm == "staff":
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
    else:
        user = session.scalar(select(SupplierUser).where(SupplierUser.email == email))
    ok = bool(user and user.is_active and user.password_hash and check_password_hash(user.password_hash, password))
    session.add(LoginAttempt(realm=realm, email=email, ip=ip, succeeded=ok, at=now))
    if not ok or user is None:
        return None
    user.last_login_at = now
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_client(
    session: Session, actor: Actor, *, name: str, scopes: Iterable[str], webhook_url: str | None = None
) -> tuple[ApiClient, str, str | None]:
    """Create an API client; returns (client, token, webhook secret). Only hashes are kept for the token."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed("name must be 1–80 characters", [{"field": "name", "message": "1–80 characters"}])
    scope_list = sorted(set(scopes))
    valid = {s.value for s in Scope}
    bad = [s for s in scope_list if s not in valid]
    if bad or not scope_list:
        raise ValidationFailed(
            f"unknown scope {', '.join(bad)} (choose from {', '.join(sorted(valid))})"
            if bad else "at least one scope is required",
            [{"field": "scope", "message": "unknown scope" if bad else "required"}],
        )
    if session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise Conflict(f"an API client named {name!r} already exists", field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    secret = secrets.token_hex(32) if webhook_url else None
    client = ApiClient(
        name=name,
        token_hash=hash_token(token),
        token_prefix=token[:10],
        scopes=" ".join(scope_list),
        webhook_url=webhook_url,
        webhook_secret=secret,
        # A new webhook starts at the current end of the feed, not at the beginning.
        webhook_cursor=feed_position(session),
    )
    session.add(client)
    session.flush()
    record_audit(session, actor, "api_client.create", "api_client", client.id, name=name, scopes=scope_list)
    return client, token, secret


def revoke_api_client(session: Session, actor: Actor, client_id: int) -> None:
    """Deactivate a client. Its token stops working at the latest `TOKEN_CACHE_SECONDS`
    after this commits, in every process (see `client_for_token`)."""
    client = session.get(ApiClient, client_id)
    if client is None:
        raise NotFound(f"API client {client_id} not found")
    client.is_active = False
    client.revoked_at = utcnow()
    record_audit(session, actor, "api_client.revoke", "api_client", client.id, name=client.name)
    forget_cached_tokens()


@dataclass(frozen=True)
class TokenClient:
    """What a request needs to know about the client behind a token (plain data)."""

    id: int
    name: str
    scopes: frozenset[str]


# token hash → (monotonic expiry, client). Only active clients are cached, so unknown
# tokens cannot fill it; a revocation reaches other worker processes within this time.
TOKEN_CACHE_SECONDS = 5.0
_token_cache: dict[str, tuple[float, TokenClient]] = {}
_token_cache_lock = threading.Lock()


def forget_cached_tokens() -> None:
    with _token_cache_lock:
        _token_cache.clear()


def client_for_token(session: Session, token: str) -> TokenClient | None:
    """The active client holding `token`, or None. Answers from a per-process cache for up to
    `TOKEN_CACHE_SECONDS` (saves a query on every API request), so a revoked token may work
    that long after the revocation commits; `revoke_api_client` also clears this process's
    cache."""
    digest = hash_token(token)
    now = time.monotonic()
    hit = _token_cache.get(digest)
    if hit is not None and hit[0] > now:
        return hit[1]
    row = session.execute(select(ApiClient.id, ApiClient.name, ApiClient.scopes, ApiClient.is_active)
                          .where(ApiClient.token_hash == digest)).first()
    if row is None or not row.is_active:
        with _token_cache_lock:
            _token_cache.pop(digest, None)
        return None
    client = TokenClient(row.id, row.name, frozenset(row.scopes.split()))
    with _token_cache_lock:
        _token_cache[digest] = (now + TOKEN_CACHE_SECONDS, client)
    return client
