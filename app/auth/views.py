"""Staff login and logout, the user's own page, and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.auth.access import public, signed_in
from app.auth.account import account_view, end_sessions_view
from app.auth.forms import LanguageForm
from app.auth.login import STAFF, login_view, logout_view, safe_next
from app.auth.models import StaffUser, SupplierUser
from app.db import transaction

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public("the login form")
def login() -> ResponseReturnValue:
    return login_view(STAFF)


@bp.post("/logout")
@public("ends the session it is sent with, if any")
def logout() -> ResponseReturnValue:
    return logout_view(STAFF)


@bp.post("/language")
@public("the language switch, also on the login pages")
def set_language() -> ResponseReturnValue:
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
    return redirect(safe_next(request.referrer and urlsplit(request.referrer).path, STAFF))


@bp.route("/account", methods=["GET", "POST"])
@signed_in(STAFF)
def account() -> ResponseReturnValue:
    return account_view(STAFF)


@bp.post("/account/end-sessions")
@signed_in(STAFF)
def account_end_sessions() -> ResponseReturnValue:
    return end_sessions_view(STAFF)
