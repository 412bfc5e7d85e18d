"""Returns to supplier: list (CSV), detail, ship, close."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.session import staff_required
from app.db import session as db_session
from app.db import transaction, utcnow
from app.paging import Page
from app.purchasing import queries, returns
from app.purchasing.forms import ActionForm, ReturnFilterForm
from app.purchasing.views import RECEIVERS, bp, can
from app.web.exports import csv_response


def _filter() -> tuple[ReturnFilterForm, bool, queries.ReturnFilter]:
    form = ReturnFilterForm(request.args)
    ok = not request.args or form.validate()
    return form, ok, queries.ReturnFilter(status=form.status.data or None, q=form.q.data or None,
                                          supplier_code=request.args.get("supplier") or None)


@bp.get("/returns", endpoint="returns")
@staff_required()
def returns_list() -> ResponseReturnValue:
    form, ok, f = _filter()
    page = queries.list_returns(db_session(), f, page=form.page.data or 1) if ok else Page([], 0, 1, 50)
    return render_template("purchasing/returns.html", form=form, page=page), 200 if ok else 422


@bp.get("/returns.csv")
@staff_required()
def returns_csv() -> ResponseReturnValue:
    form, ok, f = _filter()
    if not ok:
        return render_template("purchasing/returns.html", form=form, page=Page([], 0, 1, 50)), 422
    rows = ((r.number, r.supplier_code, r.supplier_name, r.warehouse_code, r.status, r.created_at.isoformat(),
             r.shipped_at.isoformat() if r.shipped_at else "", r.receipt_number, r.po_number, r.lines, r.units)
            for r in queries.iter_returns(db_session(), f))
    header = [_("Return"), _("Supplier code"), _("Supplier"), _("Warehouse"), _("Status"), _("Created at"),
              _("Shipped at"), _("Receipt"), _("PO"), _("Lines"), _("Units")]
    return csv_response("supplier-returns.csv", header, rows)


@bp.get("/returns/<number>")
@staff_required()
def return_detail(number: str) -> ResponseReturnValue:
    ret, receipt = queries.return_detail(db_session(), number)
    return render_template("purchasing/return.html", ret=ret, receipt=receipt, action=ActionForm(),
                           can_ship=can(*RECEIVERS))


@bp.post("/returns/<number>/ship")
@staff_required(*RECEIVERS)
def return_ship(number: str) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        with transaction() as s:
            returns.ship_return(s, current_user.actor, number=number, now=utcnow())
        flash(_("Return %(number)s shipped to the supplier.", number=number), "success")
    return redirect(url_for("purchasing.return_detail", number=number))


@bp.post("/returns/<number>/close")
@staff_required(*RECEIVERS)
def return_close(number: str) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        with transaction() as s:
            returns.close_return(s, current_user.actor, number=number, now=utcnow())
        flash(_("Return %(number)s closed.", number=number), "success")
    return redirect(url_for("purchasing.return_detail", number=number))
