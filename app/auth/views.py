"""Staff login and logout, and the language switch."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import service
from app.auth.forms import LanguageForm, LoginForm
from app.auth.models import StaffUser, SupplierUser
from app.auth.session import StaffPrincipal
from app.db import transaction

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("web.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if getattr(current_user, "kind", None) == "staff":
        return redirect(url_for("web.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transaction() as s:
                user = service.authenticate(
                    s, realm="staff", email=form.email.data or "", password=form.password.data or "",
                    ip=request.remote_addr or "unknown",
                )
        except service.LoginThrottled:
            flash(_("Too many failed logins. Try again in 15 minutes."), "error")
            return render_template("login.html", form=form), 429
        if isinstance(user, StaffUser):
            session.clear()
            login_user(StaffPrincipal(user))
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong e-mail or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("login.html", form=form), status


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language() -> Any:
    form = LanguageForm()
    if form.validate_on_submit():
        locale = form.locale.data or "en"
        session["locale"] = locale
        if getattr(current_user, "is_authenticated", False):
            with transaction() as s:
                user: StaffUser | SupplierUser | None = (
                    s.get(StaffUser, current_user.user_id) if current_user.kind == "staff"
                    else s.get(SupplierUser, current_user.user_id)
                )
                if user is not None:
                    user.locale = locale
    return redirect(_safe_next(request.referrer and urlsplit(request.referrer).path))
