"""Purchase order pages: list (CSV), new draft, edit draft, detail, send, cancel.

The receiving and returns pages live in receiving_views.py and return_views.py on the
same blueprint (app/purchasing/web.py).
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import role_allows, staff_required
from app.db import session as db_session
from app.db import transaction, utcnow
from app.errors import ValidationFailed
from app.purchasing import changes, orders, queries
from app.purchasing.forms import BLANK_LINES, ActionForm, OrderForm, ShortCloseForm
from app.purchasing.web import BUYERS, RECEIVERS, bp, order_filter, order_listing
from app.stock.models import Warehouse
from app.suppliers import service as suppliers
from app.web.forms import apply_errors
from app.web.listing import export_listing, render_listing


@bp.get("/purchase-orders", endpoint="orders")
@staff_required()
def orders_list() -> ResponseReturnValue:
    listing = order_listing(queries.ORDER_SORTS)
    return render_listing("purchasing/orders.html", listing,
                          lambda: queries.list_orders(db_session(), order_filter(listing), page=listing.page),
                          can_buy=role_allows(*BUYERS), changes=changes.open_changes(db_session()))


@bp.get("/purchase-orders.csv")
@staff_required()
def orders_csv() -> ResponseReturnValue:
    listing = order_listing(queries.ORDER_SORTS, export=True)
    def rows() -> Any:
        return ((o.number, o.supplier_code, o.supplier_name, o.warehouse_code, o.status, o.created_at.isoformat(),
                 o.sent_at.isoformat() if o.sent_at else "", o.lines, o.ordered, o.received, o.accepted, o.outstanding,
                 f"{o.value:.2f}", o.currency, o.next_promised.isoformat() if o.next_promised else "")
                for o in queries.iter_orders(db_session(), order_filter(listing)))
    header = [_("PO"), _("Supplier code"), _("Supplier"), _("Deliver to"), _("Status"), _("Created at"), _("Sent at"),
              _("Lines"), _("Ordered"), _("Received"), _("Accepted"), _("Outstanding"), _("Value"), _("Currency"),
              _("Earliest promised date")]
    return export_listing(listing, "purchase-orders.csv", header, rows)


def _order_form(po: Any = None) -> OrderForm:
    s = db_session()
    form = OrderForm() if request.method == "POST" or po is None else OrderForm(data={
        "supplier": po.supplier.code, "warehouse": po.warehouse_id, "notes": po.notes,
        "lines": [{"sku": ln.product.sku, "quantity": ln.quantity, "unit_price": ln.unit_price,
                   "promised_date": ln.promised_date} for ln in po.lines]})
    form.supplier.choices = suppliers.supplier_choices(s, active_only=True)
    form.warehouse.choices = [(w.id, f"{w.code} — {w.local_name} ({_(w.kind)})") for w in s.query(Warehouse)
                              .filter(Warehouse.is_active.is_(True)).order_by(Warehouse.kind, Warehouse.code)]
    if request.method == "GET":
        if po is None:
            default = orders.default_warehouse(s)
            form.warehouse.data = default.id if default else None
            form.supplier.data = request.args.get("supplier") or None
        while len(form.lines.entries) < (len(po.lines) if po else 0) + BLANK_LINES:
            form.lines.append_entry()
    if request.method == "POST" and "more_lines" in request.form:
        for _i in range(BLANK_LINES):
            form.lines.append_entry()
    return form


def _line_inputs(form: OrderForm) -> list[orders.POLineInput]:
    return [
        orders.POLineInput(index=i, sku=(entry.form.sku.data or "").strip(), quantity=entry.form.quantity.data,
                           unit_price=entry.form.unit_price.data, promised_date=entry.form.promised_date.data)
        for i, entry in enumerate(form.lines.entries)
        if (entry.form.sku.data or "").strip() or entry.form.quantity.data
    ]


def _render_order_form(form: OrderForm, po: Any, status: int) -> ResponseReturnValue:
    s = db_session()
    code = form.supplier.data
    hints = []
    if code:
        sup = s.query(suppliers.Supplier).filter_by(code=code).one_or_none()
        if sup is not None:
            hints = suppliers.price_hints(s, supplier_id=sup.id, on=utcnow().date())
    return render_template("purchasing/order_form.html", form=form, po=po, hints=hints), status


def _submit(form: OrderForm, number: str | None) -> ResponseReturnValue | None:
    try:
        with transaction() as s:
            supplier = suppliers.get_supplier(s, form.supplier.data or "")
            kw = dict(lines=_line_inputs(form), today=utcnow().date(), warehouse_id=form.warehouse.data,
                      notes=form.notes.data)
            if number is None:
                po = orders.create_purchase_order(s, current_user.actor, supplier_id=supplier.id, **kw)
            else:
                po = orders.update_draft(s, current_user.actor, number=number, **kw)
            done = po.number
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return None
    flash(_("Draft %(number)s saved. Check it, then send it to the supplier.", number=done), "success")
    return redirect(url_for("purchasing.order", number=done))


@bp.route("/purchase-orders/new", methods=["GET", "POST"])
@staff_required(*BUYERS)
def order_new() -> ResponseReturnValue:
    form = _order_form()
    if "more_lines" not in request.form and form.validate_on_submit():
        done = _submit(form, None)
        if done is not None:
            return done
    return _render_order_form(form, None, 422 if request.method == "POST" and "more_lines" not in request.form else 200)


@bp.route("/purchase-orders/<number>/edit", methods=["GET", "POST"])
@staff_required(*BUYERS)
def order_edit(number: str) -> ResponseReturnValue:
    po = orders.get_order(db_session(), number)
    if po.status != "draft":
        flash(_("%(number)s has been sent; its lines can no longer be changed.", number=po.number), "error")
        return redirect(url_for("purchasing.order", number=number))
    form = _order_form(po)
    form.supplier.data = po.supplier.code  # the supplier of a PO never changes
    if "more_lines" not in request.form and form.validate_on_submit():
        done = _submit(form, number)
        if done is not None:
            return done
    return _render_order_form(form, po, 422 if request.method == "POST" and "more_lines" not in request.form else 200)


@bp.get("/purchase-orders/<number>")
@staff_required()
def order(number: str) -> ResponseReturnValue:
    detail = queries.order_detail(db_session(), number)
    return render_template("purchasing/order.html", d=detail, po=detail.po, action=ActionForm(),
                           short_close=ShortCloseForm(), can_buy=role_allows(*BUYERS), can_receive=role_allows(*RECEIVERS),
                           change=changes.open_changes(db_session()).get(number))


@bp.post("/purchase-orders/<number>/acknowledge")
@staff_required(*BUYERS)
def order_acknowledge(number: str) -> ResponseReturnValue:
    """The buyer has seen the supplier's changed lines: the badge and alert go away (audited)."""
    if ActionForm().validate_on_submit():
        with transaction() as s:
            changes.acknowledge_changes(s, current_user.actor, number=number, now=utcnow())
        flash(_("Supplier changes on %(number)s acknowledged.", number=number), "success")
    return redirect(url_for("purchasing.order", number=number))


@bp.post("/purchase-orders/<number>/send")
@staff_required(*BUYERS)
def order_send(number: str) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        with transaction() as s:
            orders.send_purchase_order(s, current_user.actor, number=number, now=utcnow())
        flash(_("%(number)s sent to the supplier. Its lines are now locked.", number=number), "success")
    return redirect(url_for("purchasing.order", number=number))


@bp.post("/purchase-orders/<number>/cancel")
@staff_required(*BUYERS)
def order_cancel(number: str) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        with transaction() as s:
            orders.cancel_purchase_order(s, current_user.actor, number=number, now=utcnow())
        flash(_("%(number)s cancelled.", number=number), "success")
    return redirect(url_for("purchasing.order", number=number))


@bp.post("/purchase-orders/<number>/short-close")
@staff_required(*BUYERS)
def order_short_close(number: str) -> ResponseReturnValue:
    """Close the outstanding rest of an order with a reason (the service audits it)."""
    form = ShortCloseForm()
    if not form.validate_on_submit():
        flash(_("Closing short needs a reason (at most 255 characters)."), "error")
        return redirect(url_for("purchasing.order", number=number))
    with transaction() as s:
        orders.short_close_purchase_order(s, current_user.actor, number=number, reason=form.reason.data or "",
                                          now=utcnow())
    flash(_("%(number)s closed short: the rest is no longer expected. To get it after all, create a new order.",
            number=number), "success")
    return redirect(url_for("purchasing.order", number=number))

