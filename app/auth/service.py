"""Staff users, supplier users, API clients, logins and sessions.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit.service import Actor, record_audit
from app.auth.models import ApiClient, Role, Scope, StaffUser, SupplierUser
from app.auth.throttle import claim_password_check, settle_password_check
from app.db import utcnow
from app.errors import N_, Conflict, NotFound, ValidationFailed
from app.stock.levels import feed_position

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "sw_"  # noqa: S105 (the public prefix of every API token, not a secret)



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


# werkzeug's scrypt at its default cost (N=2**15, r=8, p=1 in werkzeug 3.1)
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a hashing method, not a password)


def password_hash_method() -> str:
    """How new password hashes are made: `PASSWORD_HASH_METHOD`, unless the app's config
    names another (the test suite's hook for a cheaper scrypt; production never sets it)."""
    if has_app_context():
        return str(current_app.config.get("PASSWORD_HASH_METHOD") or PASSWORD_HASH_METHOD)
    return PASSWORD_HASH_METHOD


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=password_hash_method())


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


@dataclass(frozen=True)
class LoginCandidate:
    """What a login needs between its two transactions (plain data: no session is open while hashing)."""

    realm: str  # "staff" | "portal"
    email: str
    ip: str
    user_id: int | None  # None: no such account (the caller must not be able to tell)
    password_hash: str | None  # None: no account, deactivated, or no password set yet


_user_models: dict[str, type[StaffUser] | type[SupplierUser]] = {"staff": StaffUser, "portal": SupplierUser}


def begin_login(session: Session, *, realm: str, email: str, ip: str, now: dt.datetime) -> LoginCandidate:
    """Claim a password check for `email` from `ip` (raises `LoginThrottled`) and read the account.

    Commit this before `password_matches`, so the claim is seen by every concurrent request.
    """
    email = email.strip().lower()
    claim_password_check(session, realm=realm, email=email, ip=ip, now=now)
    model = _user_models[realm]
    row = session.execute(select(model.id, model.password_hash, model.is_active).where(model.email == email)).first()
    if row is None:
        return LoginCandidate(realm, email, ip, None, None)
    return LoginCandidate(realm, email, ip, row.id, row.password_hash if row.is_active else None)


_dummy_hash: dict[str, str] = {}
_dummy_lock = threading.Lock()


def _dummy_password_hash() -> str:
    """A hash of a random password, made like real ones (same method and cost), once per process."""
    method = password_hash_method()
    with _dummy_lock:
        if method not in _dummy_hash:
            _dummy_hash[method] = hash_password(secrets.token_urlsafe(16))
        return _dummy_hash[method]


def password_matches(candidate: LoginCandidate, password: str) -> bool:
    """Hash `password` exactly once, against a dummy hash of the same cost when there is no
    usable account, so the time taken does not tell which e-mails have accounts."""
    if candidate.password_hash is None:
        check_password_hash(_dummy_password_hash(), password)
        return False
    return check_password_hash(candidate.password_hash, password)


def _login_actor(candidate: LoginCandidate) -> Actor:
    return Actor("staff" if candidate.realm == "staff" else "supplier", candidate.user_id, candidate.email)


def _entity(realm: str) -> str:
    return "staff_user" if realm == "staff" else "supplier_user"


def finish_login(
    session: Session, candidate: LoginCandidate, *, succeeded: bool, now: dt.datetime
) -> StaffUser | SupplierUser | None:
    """Settle the throttle and audit the login; returns the user when `succeeded`, else None."""
    settle_password_check(session, realm=candidate.realm, email=candidate.email, ip=candidate.ip,
                          succeeded=succeeded, now=now)
    record_audit(session, _login_actor(candidate), "login.succeeded" if succeeded else "login.failed",
                 _entity(candidate.realm), candidate.user_id, realm=candidate.realm, ip=candidate.ip)
    if not succeeded or candidate.user_id is None:
        return None
    user: StaffUser | SupplierUser | None = (session.get(StaffUser, candidate.user_id) if candidate.realm == "staff"
                                             else session.get(SupplierUser, candidate.user_id))
    if user is None or not user.is_active:  # deactivated between the two transactions
        return None
    user.last_login_at = now
    return user


def record_throttled_login(session: Session, *, realm: str, email: str, ip: str) -> None:
    """Audit a login refused by the throttle (no password was checked)."""
    email = email.strip().lower()
    model = _user_models[realm]
    user_id = session.scalar(select(model.id).where(model.email == email))
    record_audit(session, _login_actor(LoginCandidate(realm, email, ip, user_id, None)), "login.throttled",
                 _entity(realm), user_id, realm=realm, ip=ip)


def end_sessions(session: Session, actor: Actor, user: StaffUser | SupplierUser, *, action: str | None = None) -> None:
    """End every session of `user` (all browsers, every copy of the cookie): raise its
    session generation, which each request's user loader compares. With `action`
    (session.logout, session.end_all) it is audited; a caller that ends sessions as part of
    another change (password, deactivation) audits that change instead."""
    model = type(user)
    session.execute(update(model).where(model.id == user.id)
                    .values(session_generation=model.session_generation + 1))
    session.refresh(user, ["session_generation"])
    if action is not None:
        record_audit(session, actor, action, _entity("staff" if model is StaffUser else "portal"), user.id,
                     email=user.email)


def change_password(
    session: Session, actor: Actor, user: StaffUser | SupplierUser, *, current_password: str, new_password: str
) -> None:
    """Set a new password after checking the current one; ends every session of the user
    (the caller starts a new one for the browser that made the change)."""
    if not (user.password_hash and check_password_hash(user.password_hash, current_password)):
        raise ValidationFailed(N_("the current password is wrong"),
                               [{"field": "current_password", "message": N_("wrong password")}])
    check_password_strength(new_password)
    if new_password == current_password:
        raise ValidationFailed(N_("the new password is the same as the current one"),
                               [{"field": "new_password", "message": N_("same as the current password")}])
    user.password_hash = hash_password(new_password)
    end_sessions(session, actor, user)
    record_audit(session, actor, "user.password", _entity("staff" if isinstance(user, StaffUser) else "portal"),
                 user.id, email=user.email)


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
    if webhook_url:
        from app.api.webhook_address import check_webhook_url  # the address policy lives with the deliverer

        check_webhook_url(webhook_url)
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


def client_for_token(session: Session | Callable[[], Session], token: str) -> TokenClient | None:
    """The active client holding `token`, or None. Answers from a per-process cache for up to
    `TOKEN_CACHE_SECONDS` (saves a query on every API request), so a revoked token may work
    that long after the revocation commits; `revoke_api_client` also clears this process's
    cache. `session` may be a factory, called only on a cache miss: a hit then opens no
    session and checks out no connection."""
    digest = hash_token(token)
    now = time.monotonic()
    hit = _token_cache.get(digest)
    if hit is not None and hit[0] > now:
        return hit[1]
    if not isinstance(session, Session):
        session = session()
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
