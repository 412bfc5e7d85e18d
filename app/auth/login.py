"""The login flow, shared by the staff UI (`/login`) and the supplier portal (`/portal/login`).

A `Realm` names what differs: which accounts may log in (and whose failed attempts count
towards its own rate limit, see `service.authenticate`), the principal put in the session,
where to go afterwards, and the layout the one login template extends. The two realms
stay separate: logging in to one ends any session of the other (one principal per session).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import service
from app.auth.forms import LoginForm
from app.auth.models import StaffUser, SupplierUser
from app.auth.session import StaffPrincipal, SupplierPrincipal
from app.db import transaction


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


STAFF = Realm("staff", "staff", StaffUser, StaffPrincipal, "web.dashboard", "auth.login", "/", "base.html")
PORTAL = Realm("portal", "supplier", SupplierUser, SupplierPrincipal, "portal.home", "portal.login", "/portal",
               "portal/base.html")


def safe_next(target: str | None, realm: Realm) -> str:
    """`target` if it is a local path inside the realm, else the realm's home (no open redirects)."""
    if target and target.startswith(realm.path_prefix) and urlsplit(target).netloc == "" and not target.startswith("//"):
        return target
    return url_for(realm.home)


def start_session(realm: Realm, user: StaffUser | SupplierUser) -> None:
    """Log `user` in to `realm`; a session of the other realm in the same browser ends here."""
    session.clear()
    login_user(realm.principal(user))  # type: ignore[arg-type]


def login_view(realm: Realm) -> Any:
    """GET shows the form; POST logs in (302), or answers 401 wrong credentials, 422 invalid form, 429 throttled."""
    if getattr(current_user, "kind", None) == realm.kind:
        return redirect(url_for(realm.home))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transaction() as s:
                user = service.authenticate(s, realm=realm.name, email=form.email.data or "",
                                            password=form.password.data or "", ip=request.remote_addr or "unknown")
        except service.LoginThrottled:
            flash(_("Too many failed logins. Try again in 15 minutes."), "error")
            return render_template("login.html", form=form, realm=realm), 429
        if isinstance(user, realm.user_model):
            start_session(realm, user)
            return redirect(safe_next(request.args.get("next"), realm))
        flash(_("Wrong e-mail or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("login.html", form=form, realm=realm), status


def logout_view(realm: Realm) -> Any:
    logout_user()
    session.clear()
    return redirect(url_for(realm.login))
