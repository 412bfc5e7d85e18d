"""The login flow, shared by the staff UI (`/login`) and the supplier portal (`/portal/login`).

A `Realm` names what differs: which accounts may log in (and whose failed attempts count
towards its own rate limit, see `app.auth.throttle`), the principal put in the session,
where to go afterwards, and the layout the one login template extends. The two realms
stay separate: logging in to one ends any session of the other (one principal per session).

A login runs in two short transactions with the password hash between them: the first
claims a check from the throttle (app/auth/throttle.py) and reads the account, and must be
committed before the hash so that concurrent requests see the claim; the second settles
the throttle, audits the login and starts the session. No lock is held while hashing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import service
from app.auth.forms import LoginForm
from app.auth.models import StaffUser, SupplierUser
from app.auth.session import StaffPrincipal, SupplierPrincipal
from app.auth.throttle import LoginThrottled
from app.db import transaction, utcnow


@dataclass(frozen=True)
class Realm:
    name: str  # "staff" | "portal": the login attempts' realm
    kind: str  # the principal's kind: "staff" | "supplier"
    user_model: type[StaffUser] | type[SupplierUser]
    principal: type[StaffPrincipal] | type[SupplierPrincipal]
    home: str  # endpoint after login (and when already logged in)
    login: str  # endpoint of the login page (after logout)
    path_prefix: str  # a `next` target must stay under it
    layout: str  # the template the login page extends
    account: str  # endpoint of the user's own page (password, log out everywhere)


STAFF = Realm("staff", "staff", StaffUser, StaffPrincipal, "web.dashboard", "auth.login", "/", "base.html",
              "auth.account")
PORTAL = Realm("portal", "supplier", SupplierUser, SupplierPrincipal, "portal.home", "portal.login", "/portal",
               "portal/base.html", "portal.account")


def safe_next(target: str | None, realm: Realm) -> str:
    """`target` if it is a local path inside the realm, else the realm's home (no open redirects)."""
    if target and target.startswith(realm.path_prefix) and urlsplit(target).netloc == "" and not target.startswith("//"):
        return target
    return url_for(realm.home)


def start_session(realm: Realm, user: StaffUser | SupplierUser) -> None:
    """Log `user` in to `realm`; a session of the other realm in the same browser ends here."""
    session.clear()
    login_user(realm.principal(user))  # type: ignore[arg-type]


def _log_in(realm: Realm, email: str, password: str, ip: str) -> bool:
    """Check the credentials and start the session; False for wrong ones. Raises `LoginThrottled`."""
    try:
        with transaction() as s:
            candidate = service.begin_login(s, realm=realm.name, email=email, ip=ip, now=utcnow())
    except LoginThrottled:
        with transaction() as s:
            service.record_throttled_login(s, realm=realm.name, email=email, ip=ip)
        raise
    ok = service.password_matches(candidate, password)
    with transaction() as s:
        user = service.finish_login(s, candidate, succeeded=ok, now=utcnow())
        if isinstance(user, realm.user_model):
            start_session(realm, user)
            return True
    return False


def login_view(realm: Realm) -> ResponseReturnValue:
    """GET shows the form; POST logs in (302), or answers 401 wrong credentials, 422 invalid form,
    429 throttled (with Retry-After)."""
    if getattr(current_user, "kind", None) == realm.kind:
        return redirect(url_for(realm.home))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            # At most the column's 64 characters (IPv6 needs 45); a proxy passes on whatever it was sent.
            ip = (request.remote_addr or "unknown")[:64]
            if _log_in(realm, form.email.data or "", form.password.data or "", ip):
                return redirect(safe_next(request.args.get("next"), realm))
        except LoginThrottled as exc:
            flash(_("Too many failed logins. Try again in %(minutes)s minutes.",
                    minutes=exc.retry_after_minutes), "error")
            return (render_template("login.html", form=form, realm=realm), 429,
                    {"Retry-After": str(exc.retry_after_seconds)})
        flash(_("Wrong e-mail or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("login.html", form=form, realm=realm), status


def current_account(s: Any) -> StaffUser | SupplierUser | None:
    """The logged-in user's row (staff or supplier), or None when nobody is logged in."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    model = StaffUser if current_user.kind == "staff" else SupplierUser
    return s.get(model, current_user.user_id)


def end_all_sessions(action: str) -> None:
    """End every session of the logged-in user on the server (audited as `action`), then this
    browser's: a copied cookie stops working too."""
    with transaction() as s:
        user = current_account(s)
        if user is not None:
            service.end_sessions(s, current_user.actor, user, action=action)
    logout_user()
    session.clear()


def logout_view(realm: Realm) -> ResponseReturnValue:
    """Log out: ends the user's sessions on the server, in every browser."""
    end_all_sessions("session.logout")
    return redirect(url_for(realm.login))
