"""The alerts page: one tab per kind, each row linking to the action that resolves it."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.alerts import service
from app.alerts.classify import last_full_months
from app.alerts.forms import ResolveForm
from app.auth.access import role_allows, staff_required
from app.clearance.forms import ClearanceForm, CloseClearanceForm
from app.clearance.service import default_target_date
from app.db import session as db_session
from app.db import transaction, utcnow
from app.paging import Page
from app.settings.service import get_setting
from app.web.dashboard_chart import month_label
from app.web.exports import csv_response
from app.web.listing import page_arg, read_sort

bp = Blueprint("alerts", __name__, url_prefix="/alerts")
PER_PAGE = 50

# Pages owned by the purchasing module; links appear when those endpoints exist.
PO_NEW_ENDPOINT = "purchasing.order_new"
PO_DETAIL_ENDPOINT = "purchasing.order"


def action_url(kind: str, row: Any) -> tuple[str, str] | None:
    """(label, url) of the action that resolves an alert row, if the user may take it."""
    if kind in ("low_stock", "stock_out"):
        if row.warehouse_kind == "forward" and role_allows("warehouse"):
            args: dict[str, Any] = {"dest": row.warehouse_code, "sku": row.sku, "qty": row.suggested_quantity}
            if row.replenish_from:
                args["source"] = row.replenish_from
            return _("Create transfer"), url_for("transfers.new", **args)
        if PO_NEW_ENDPOINT in current_app.view_functions and role_allows("purchasing"):
            return _("Create purchase order"), url_for(PO_NEW_ENDPOINT, warehouse=row.warehouse_code, sku=row.sku,
                                                       qty=row.suggested_quantity)
        return None
    if kind == "slow_mover":
        return _("See product"), url_for("catalog.product", sku=row.sku)
    if kind == "overstock":
        return _("See stock"), url_for("web.stock_overview", q=row.sku)
    if kind == "late_po":
        if PO_DETAIL_ENDPOINT in current_app.view_functions:
            return _("Open purchase order"), url_for(PO_DETAIL_ENDPOINT, number=row.number)
        return None
    if kind == "stored" and row.warehouse_code and role_allows("warehouse"):
        return _("Open a count"), url_for("counts.new", warehouse=row.warehouse_code)
    return None


def _kind() -> str:
    kind = request.args.get("kind", "low_stock")
    if kind not in service.KINDS:
        abort(404)
    return kind


@bp.get("/")
@staff_required()
def index() -> ResponseReturnValue:
    kind = _kind()
    page_no, sort = page_arg(), read_sort(service.ALERT_SORTS[kind])
    board = service.alert_board(db_session(), today=utcnow().date())
    rows = board.rows(kind, sort)
    page = Page(rows[(page_no - 1) * PER_PAGE: page_no * PER_PAGE], len(rows), page_no, PER_PAGE)
    today = utcnow().date()
    clearance_form = ClearanceForm(formdata=None, target_date=default_target_date(today), action="markdown")
    return render_template("alerts/index.html", kind=kind, counts=board.counts(), page=page, sort=sort,
                           action_url=action_url,
                           resolve_form=ResolveForm(), can_resolve=role_allows("warehouse"),
                           slow_mover_units=get_setting(db_session(), "slow_mover_monthly_units"),
                           clearance_form=clearance_form, close_form=CloseClearanceForm(),
                           can_clear=role_allows("purchasing"), today=today,
                           slow_months=[month_label(start) for start, _end in last_full_months(today)])


EXPORT_COLUMNS = {
    "stock": ["kind", "sku", "name", "warehouse", "available", "in_transit", "on_order", "avg_daily_demand",
              "days_of_cover", "threshold", "suggested_quantity"],
    "slow_mover": ["sku", "name", "on_hand", "sales_month_1", "sales_month_2", "sales_month_3", "warehouses",
                   "stock_value", "last_sale", "turnover_days", "clearance", "clearance_target_date"],
    "late_po": ["number", "supplier", "warehouse", "due_date", "days_late", "open_units"],
    "stored": ["kind", "message", "sku", "warehouse", "created_at"],
}


@bp.get("/export.csv")
@staff_required()
def export() -> ResponseReturnValue:
    kind = _kind()
    rows = service.alert_board(db_session(), today=utcnow().date()).rows(
        kind, read_sort(service.ALERT_SORTS[kind], export=True))
    if kind == "slow_mover":
        data = ([r.sku, r.name, r.on_hand, *r.monthly_sales, " ".join(f"{w.code}:{w.on_hand}" for w in r.warehouses),
                 r.stock_value, r.last_sale.isoformat() if r.last_sale else "", r.turnover_days,
                 r.clearance.action if r.clearance else "",
                 r.clearance.target_date.isoformat() if r.clearance else ""] for r in rows)
    elif kind == "late_po":
        data = ([r.number, r.supplier, r.warehouse_code, r.due_date.isoformat(), r.days_late, r.open_units]
                for r in rows)
    elif kind == "stored":
        data = ([r.kind, r.message, r.sku, r.warehouse_code, r.created_at.isoformat()] for r in rows)
    else:
        data = ([r.kind, r.sku, r.name, r.warehouse_code, r.available, r.in_transit, r.on_order, r.avg_daily_demand,
                 None if r.days_of_cover is None else round(r.days_of_cover, 1), round(r.threshold or 0, 1),
                 r.suggested_quantity] for r in rows)
    columns = EXPORT_COLUMNS.get(kind, EXPORT_COLUMNS["stock"])
    return csv_response(f"alerts-{kind}.csv", columns, data)


@bp.post("/<int:alert_id>/resolve")
@staff_required("warehouse")
def resolve(alert_id: int) -> ResponseReturnValue:
    if not ResolveForm().validate_on_submit():
        abort(400)
    with transaction() as s:
        service.resolve_alert(s, current_user.actor, alert_id=alert_id, now=utcnow())
    flash(_("Alert resolved."), "success")
    # back to the list as it was (its sort and page ride on the form's action URL)
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("sort", "page")}
    return redirect(url_for("alerts.index", kind="stored", **args))
