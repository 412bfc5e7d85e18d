"""Admin pages (admin role only): users and roles, API clients, settings, the audit log."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.admin import service
from app.admin.forms import (
    ActionForm,
    ActiveForm,
    ApiClientForm,
    AuditFilterForm,
    MasterDataForm,
    RoleForm,
    UserForm,
)
from app.auth import service as auth_service
from app.auth.access import staff_required
from app.catalog.models import Category
from app.db import session as db_session
from app.db import transaction
from app.errors import DomainError, ValidationFailed, translated
from app.settings.service import SETTING_DEFAULTS
from app.stock.models import Warehouse
from app.web.forms import apply_errors
from app.web.listing import Listing, export_listing, page_arg, read_listing, read_sort, render_listing

bp = Blueprint("admin", __name__, url_prefix="/admin")

SETTING_LABELS = {
    "service_level": _l("Service level (0.5–0.999)"),
    "review_period_days": _l("Review period (days)"),
    "low_stock_days_of_cover": _l("Low stock below (days of cover)"),
    "overstock_days_of_cover": _l("Overstock above (days of cover)"),
    "slow_mover_monthly_units": _l("Slow mover below (units a month, three months in a row)"),
    "over_receipt_tolerance_pct": _l("Over-receipt tolerance (%)"),
    "on_time_grace_days": _l("On-time grace (days)"),
    "count_separation_of_duties": _l("Separation of duties for counts: the user who submitted a count cannot "
                                     "approve it"),
    "scorecard_weights": _l("Scorecard weights (on time / quality / price, sum 100)"),
    "scorecard_thresholds": _l("Scorecard grade thresholds (A / B)"),
    "inspection_reasons": _l("Inspection reject reasons (one per line)"),
}


@bp.get("/")
@staff_required("admin")
def index() -> ResponseReturnValue:
    return redirect(url_for("admin.users"))


def _users_list() -> str:
    """The user list as the admin left it: the forms post to URLs carrying its sort and page."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("sort", "page")}
    return url_for("admin.users", **args)


@bp.route("/users", methods=["GET", "POST"])
@staff_required("admin")
def users() -> ResponseReturnValue:
    form = UserForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transaction() as s:
                user = auth_service.create_staff_user(s, current_user.actor, email=form.email.data or "",
                                                      role=form.role.data or "viewer", password=form.password.data or "",
                                                      name=form.name.data or "")
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(_users_list())
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            form.email.errors = [translated(exc.detail)]
        status = 422
    elif request.method == "POST":
        status = 422
    sort = read_sort(service.USER_SORTS)
    page = service.list_users(db_session(), sort=sort, page=page_arg())
    return render_template("admin/users.html", form=form, page=page, sort=sort,
                           role_form=RoleForm(), active_form=ActiveForm(), action_form=ActionForm()), status


@bp.post("/users/<int:user_id>/role")
@staff_required("admin")
def change_role(user_id: int) -> ResponseReturnValue:
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction() as s:
        user = service.change_role(s, current_user.actor, user_id=user_id, role=form.role.data or "")
    flash(_("%(email)s is now %(role)s.", email=user.email, role=user.role), "success")
    return redirect(_users_list())


@bp.post("/users/<int:user_id>/active")
@staff_required("admin")
def set_active(user_id: int) -> ResponseReturnValue:
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction() as s:
        user = service.set_user_active(s, current_user.actor, user_id=user_id, active=bool(form.active.data))
    flash(_("%(email)s activated.", email=user.email) if user.is_active else
          _("%(email)s deactivated.", email=user.email), "success")
    return redirect(_users_list())


@bp.post("/users/<int:user_id>/end-sessions")
@staff_required("admin")
def end_sessions(user_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    with transaction() as s:
        user = service.end_user_sessions(s, current_user.actor, user_id=user_id)
    flash(_("%(email)s was logged out everywhere.", email=user.email), "success")
    return redirect(_users_list())


@bp.route("/api-clients", methods=["GET", "POST"])
@staff_required("admin")
def api_clients() -> ResponseReturnValue:
    form = ApiClientForm()
    created = None
    status = 200
    if form.validate_on_submit():
        try:
            with transaction() as s:
                client, token, secret = auth_service.create_api_client(
                    s, current_user.actor, name=form.name.data or "", scopes=form.scopes.data or [],
                    webhook_url=form.webhook_url.data or None)
            # Shown once, on this response only: only a hash of the token is stored.
            created = {"name": client.name, "token": token, "secret": secret}
            form = ApiClientForm(formdata=None)
        except ValidationFailed as exc:
            apply_errors(form, exc, {"scope": "scopes"})
            status = 422
        except DomainError as exc:
            form.name.errors = [translated(exc.detail)]
            status = 422
    elif request.method == "POST":
        status = 422
    sort = read_sort(service.API_CLIENT_SORTS)
    clients = service.list_api_clients(db_session(), sort=sort)
    return render_template("admin/api_clients.html", form=form, clients=clients, created=created, sort=sort,
                           action_form=ActionForm()), status


@bp.post("/api-clients/<int:client_id>/revoke")
@staff_required("admin")
def revoke_client(client_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    with transaction() as s:
        auth_service.revoke_api_client(s, current_user.actor, client_id)
    flash(_("API client revoked; its token no longer works."), "success")
    return redirect(url_for("admin.api_clients", sort=request.args.get("sort") or None))


@bp.route("/settings", methods=["GET", "POST"])
@staff_required("admin")
def settings() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    raw: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        key = request.form.get("key", "")
        if key not in SETTING_DEFAULTS:
            abort(400)
        raw = {k: v for k, v in request.form.items() if k == key or k.startswith(key + ".")}
        try:
            with transaction() as s:
                service.update_setting(s, current_user.actor, key=key, raw=raw)
            flash(_("Setting saved."), "success")
            return redirect(url_for("admin.settings") + f"#{key}")
        except ValidationFailed as exc:
            errors = {e["field"]: translated(e["message"]) for e in exc.data["errors"]}
            status = 422
    return render_template("admin/settings.html", values=service.all_settings(db_session()), labels=SETTING_LABELS,
                           errors=errors, raw=raw, action_form=ActionForm()), status


@bp.route("/master-data", methods=["GET", "POST"])
@staff_required("admin")
def master_data() -> ResponseReturnValue:
    """Categories and warehouses: their names, and the Chinese names shown when the UI is in Chinese."""
    form = MasterDataForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transaction() as s:
                service.rename_master_data(s, current_user.actor, kind=form.kind.data or "", code=form.code.data or "",
                                           name=form.name.data or "", name_zh=form.name_zh.data)
            flash(_("%(code)s saved.", code=form.code.data), "success")
            return redirect(url_for("admin.master_data") + f"#{form.kind.data}-{form.code.data}")
        except ValidationFailed as exc:
            apply_errors(form, exc)
        status = 422
    elif request.method == "POST":
        status = 422
    s = db_session()
    return render_template("admin/master_data.html", form=form,
                           categories=list(s.scalars(select(Category).order_by(Category.code))),
                           warehouses=list(s.scalars(select(Warehouse).order_by(Warehouse.code)))), status


def _audit_listing(*, export: bool = False) -> Listing[AuditFilterForm]:
    form = AuditFilterForm(request.args)
    form.entity.choices = [("", _l("All"))] + [(e, e) for e in service.entity_types(db_session())]
    return read_listing(form, service.AUDIT_SORTS, export=export)


def _audit_page(listing: Listing[AuditFilterForm], per_page: int | None) -> Any:
    form = listing.form
    return service.audit_log(db_session(), actor=form.actor.data, entity_type=form.entity.data or None,
                             entity_id=form.entity_id.data or None, action=form.action.data or None,
                             date_from=form.date_from.data, date_to=form.date_to.data, page=listing.page,
                             per_page=per_page, sort=listing.sort)


@bp.get("/audit")
@staff_required("admin")
def audit() -> ResponseReturnValue:
    listing = _audit_listing()
    return render_listing("admin/audit.html", listing, lambda: _audit_page(listing, 50))


@bp.get("/audit/export.csv")
@staff_required("admin")
def audit_export() -> ResponseReturnValue:
    listing = _audit_listing(export=True)
    return export_listing(listing, "audit-log.csv", ["at", "actor_type", "actor", "action", "entity_type", "entity_id",
                                                     "details", "changes"],
                          lambda: ([r.at.isoformat(), r.actor_type, r.actor_label, r.action, r.entity_type, r.entity_id,
                                    json.dumps(r.details, ensure_ascii=False), "; ".join(map(str, r.changes))]
                                   for r in _audit_page(listing, None).rows))
