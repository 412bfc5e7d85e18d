"""Portal pages: login, home, purchase orders (confirm / reject), shipment notices."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import current_supplier_id, public, signed_in, supplier_required
from app.auth.account import account_view, end_sessions_view
from app.auth.login import PORTAL, login_view, logout_view, start_session
from app.db import session as db_session
from app.db import transaction, utcnow
from app.errors import ValidationFailed
from app.purchasing.models import POLineStatus
from app.suppliers.portal import actions, queries
from app.suppliers.scorecards.service import supplier_headline
from app.web.forms import apply_errors
from app.web.listing import page_arg, read_sort
from portal.blueprint import bp
from portal.forms import ConfirmAllForm, ConfirmLinesForm, RejectLineForm, ShipmentNoticeForm


@bp.route("/login", methods=["GET", "POST"])
@public("the portal login form")
def login() -> ResponseReturnValue:
    return login_view(PORTAL)


@bp.post("/logout")
@public("ends the session it is sent with, if any")
def logout() -> ResponseReturnValue:
    return logout_view(PORTAL)


@bp.route("/account", methods=["GET", "POST"])
@signed_in(PORTAL)
def account() -> ResponseReturnValue:
    return account_view(PORTAL)


@bp.post("/account/end-sessions")
@signed_in(PORTAL)
def account_end_sessions() -> ResponseReturnValue:
    return end_sessions_view(PORTAL)


@bp.get("/")
@supplier_required
def home() -> ResponseReturnValue:
    s = db_session()
    todo = queries.supplier_todo(s, supplier_id=current_supplier_id())
    headline = supplier_headline(s, supplier_id=current_supplier_id(), today=utcnow().date())
    return render_template("portal/home.html", todo=todo, headline=headline)


@bp.get("/orders")
@supplier_required
def orders() -> ResponseReturnValue:
    status = request.args.get("status") or None
    if status not in (None, "open", *queries.VISIBLE_PO):
        status = None
    sort = read_sort(queries.ORDER_SORTS)
    page = queries.supplier_orders(db_session(), supplier_id=current_supplier_id(), status=status, page=page_arg(),
                                   sort=sort)
    return render_template("portal/orders.html", page=page, status=status, statuses=queries.VISIBLE_PO, sort=sort)


def _confirm_form_for(po: Any) -> ConfirmLinesForm:
    open_lines = [ln for ln in po.lines if ln.status == POLineStatus.OPEN.value]
    return ConfirmLinesForm(data={"lines": [
        {"line_id": str(ln.id), "include": True, "quantity": ln.quantity, "ship_date": ln.promised_date}
        for ln in open_lines
    ]})


def _render_order(po_id: int, confirm_form: ConfirmLinesForm | None = None, status: int = 200) -> ResponseReturnValue:
    s = db_session()
    po = actions.supplier_po(s, supplier_id=current_supplier_id(), po_id=po_id)
    in_flight = actions.announced_in_flight(s, po.id)
    open_to_ship = {ln.id: actions.open_to_ship(ln, in_flight) for ln in po.lines}
    lines_by_id = {str(ln.id): ln for ln in po.lines}
    return render_template(
        "portal/order.html", po=po, lines_by_id=lines_by_id, open_to_ship=open_to_ship,
        in_flight=in_flight, notices=queries.notices_for_po(s, po_id=po.id),
        confirm_form=confirm_form or _confirm_form_for(po), confirm_all=ConfirmAllForm(),
        answerable=po.status in actions.ANSWERABLE, shippable=po.status in actions.SHIPPABLE
        and any(open_to_ship.values()),
    ), status


@bp.get("/orders/<int:po_id>")
@supplier_required
def order(po_id: int) -> ResponseReturnValue:
    return _render_order(po_id)


@bp.post("/orders/<int:po_id>/confirm-all")
@supplier_required
def confirm_all(po_id: int) -> ResponseReturnValue:
    form = ConfirmAllForm()
    if not form.validate_on_submit():
        return _render_order(po_id, status=400)
    with transaction() as s:
        po = actions.confirm_po_lines(s, current_user.actor, supplier_id=current_supplier_id(), po_id=po_id,
                                      confirmations=None, now=utcnow())
    flash(_("%(po)s confirmed as ordered.", po=po.number), "success")
    return redirect(url_for("portal.order", po_id=po_id))


@bp.post("/orders/<int:po_id>/confirm")
@supplier_required
def confirm_lines(po_id: int) -> ResponseReturnValue:
    form = ConfirmLinesForm()
    if not form.validate_on_submit():
        return _render_order(po_id, form, 422)
    confirmations = []
    for row in form.lines:
        if not row.include.data:
            continue
        if row.quantity.data is None or row.ship_date.data is None:
            row.quantity.errors = [*row.quantity.errors, _("Give a quantity and a date for each line you confirm.")]
            return _render_order(po_id, form, 422)
        if not row.line_id.data.isdigit():
            return _render_order(po_id, form, 422)
        confirmations.append(actions.LineConfirmation(int(row.line_id.data), row.quantity.data, row.ship_date.data))
    if not confirmations:
        flash(_("Tick at least one line to confirm."), "error")
        return redirect(url_for("portal.order", po_id=po_id))
    with transaction() as s:
        po = actions.confirm_po_lines(s, current_user.actor, supplier_id=current_supplier_id(), po_id=po_id,
                                      confirmations=confirmations, now=utcnow())
    flash(_("%(n)s line(s) of %(po)s confirmed.", n=len(confirmations), po=po.number), "success")
    return redirect(url_for("portal.order", po_id=po_id))


@bp.route("/orders/<int:po_id>/lines/<int:line_id>/reject", methods=["GET", "POST"])
@supplier_required
def reject_line(po_id: int, line_id: int) -> ResponseReturnValue:
    po = actions.supplier_po(db_session(), supplier_id=current_supplier_id(), po_id=po_id)
    line = next((ln for ln in po.lines if ln.id == line_id), None)
    if line is None:
        return render_template("error.html", status=404, title=_("Not found"),
                               detail=_("This line is not on this order.")), 404
    form = RejectLineForm()
    if form.validate_on_submit():
        with transaction() as s:
            actions.reject_po_line(s, current_user.actor, supplier_id=current_supplier_id(), po_id=po_id,
                                   line_id=line_id, reason=form.reason.data or "", now=utcnow())
        flash(_("Line %(n)s rejected.", n=line.line_no), "success")
        return redirect(url_for("portal.order", po_id=po_id))
    status = 422 if request.method == "POST" else 200
    return render_template("portal/reject_line.html", po=po, line=line, form=form), status


@bp.route("/orders/<int:po_id>/shipments/new", methods=["GET", "POST"])
@supplier_required
def new_shipment(po_id: int) -> ResponseReturnValue:
    s = db_session()
    po = actions.supplier_po(s, supplier_id=current_supplier_id(), po_id=po_id)
    in_flight = actions.announced_in_flight(s, po.id)
    shippable = [ln for ln in po.lines if actions.open_to_ship(ln, in_flight) > 0]
    if request.method == "GET":
        today = utcnow().date()
        form = ShipmentNoticeForm(data={
            "ship_date": today, "expected_date": today + dt.timedelta(days=3),
            "lines": [{"line_id": str(ln.id), "quantity": actions.open_to_ship(ln, in_flight)} for ln in shippable],
        })
    else:
        form = ShipmentNoticeForm()
    if form.validate_on_submit():
        quantities = {int(row.line_id.data): row.quantity.data or 0
                      for row in form.lines if (row.line_id.data or "").isdigit()}
        try:
            with transaction() as tx:
                notice = actions.create_shipment_notice(
                    tx, current_user.actor, supplier_id=current_supplier_id(), po_id=po_id, quantities=quantities,
                    ship_date=form.ship_date.data, expected_date=form.expected_date.data, carrier=form.carrier.data,
                    tracking_number=form.tracking_number.data, created_by_id=current_user.user_id, now=utcnow(),
                )
        except ValidationFailed as exc:
            # The form is re-shown as typed (carrier, tracking, quantities), each error beside its field.
            by_id = {str(ln.id): ln.line_no for ln in po.lines}
            aliases = {f"line-{by_id.get(row.line_id.data)}": row.quantity.name for row in form.lines}
            apply_errors(form, exc, aliases)
        else:
            flash(_("Shipment notice %(n)s sent to purchasing.", n=notice.number), "success")
            return redirect(url_for("portal.shipment", notice_id=notice.id))
    status = 422 if request.method == "POST" else 200
    return render_template("portal/new_shipment.html", po=po, form=form, in_flight=in_flight,
                           lines_by_id={str(ln.id): ln for ln in po.lines},
                           open_to_ship={ln.id: actions.open_to_ship(ln, in_flight) for ln in po.lines}), status


@bp.get("/shipments")
@supplier_required
def shipments() -> ResponseReturnValue:
    sort = read_sort(queries.NOTICE_SORTS)
    page = queries.supplier_notices(db_session(), supplier_id=current_supplier_id(), page=page_arg(), sort=sort)
    return render_template("portal/shipments.html", page=page, sort=sort)


@bp.get("/shipments/<int:notice_id>")
@supplier_required
def shipment(notice_id: int) -> ResponseReturnValue:
    notice = queries.supplier_notice(db_session(), supplier_id=current_supplier_id(), notice_id=notice_id)
    return render_template("portal/shipment.html", notice=notice)



@bp.route("/invite/<token>", methods=["GET", "POST"])
@public("an invited supplier user sets a password; the token is the credential")
def accept_invite(token: str) -> ResponseReturnValue:
    """Set a password from an invitation link (single use, time-limited), then log in."""
    from app.auth import invites
    from portal.forms import SetPasswordForm

    user = invites.user_for_invite(db_session(), token=token, now=utcnow())
    form = SetPasswordForm()
    if form.validate_on_submit():
        with transaction() as s:
            user = invites.accept_invite(s, token=token, password=form.password.data or "", now=utcnow())
        start_session(PORTAL, user)
        flash(_("Welcome. Your password is set."), "success")
        return redirect(url_for("portal.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("portal/set_password.html", form=form, email=user.email), status
