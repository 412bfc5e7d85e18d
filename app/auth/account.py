"""The logged-in user's own page, for staff (`/account`) and suppliers (`/portal/account`):
change the password, and log out everywhere. Both end every session of the user on the
server (see `service.end_sessions`); a password change keeps the browser that made it
logged in with a fresh session."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import service
from app.auth.forms import ChangePasswordForm, EndSessionsForm
from app.auth.login import Realm, current_account, end_all_sessions, start_session
from app.db import transaction
from app.errors import ValidationFailed
from app.web.forms import apply_errors


def account_view(realm: Realm) -> ResponseReturnValue:
    """(The route declares `signed_in(realm)`.) GET shows the page; POST changes the password (302), or 422 naming the field."""
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transaction() as s:
                user = current_account(s)
                if user is None:
                    abort(403)
                service.change_password(s, current_user.actor, user, current_password=form.current_password.data or "",
                                        new_password=form.new_password.data or "")
                start_session(realm, user)  # every other session has ended; this browser stays in
            flash(_("Password changed. You were logged out everywhere else."), "success")
            return redirect(url_for(realm.account))
        except ValidationFailed as exc:
            apply_errors(form, exc, {"password": "new_password"})
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("account.html", form=form, end_form=EndSessionsForm(), realm=realm), status


def end_sessions_view(realm: Realm) -> ResponseReturnValue:
    """POST: log out everywhere (this browser too)."""
    if not EndSessionsForm().validate_on_submit():
        abort(400)
    end_all_sessions("session.end_all")
    flash(_("You were logged out everywhere."), "success")
    return redirect(url_for(realm.login))
