"""Returns to supplier: list (CSV), detail, ship, close."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import role_allows, staff_required
from app.db import session as db_session
from app.db import transaction, utcnow
from app.purchasing import queries, returns
from app.purchasing.forms import ActionForm, ReturnFilterForm
from app.purchasing.web import RECEIVERS, bp
from app.web.listing import Listing, export_listing, read_listing, render_listing


def _listing(*, export: bool = False) -> tuple[Listing[ReturnFilterForm], queries.ReturnFilter]:
    listing = read_listing(ReturnFilterForm(request.args), queries.RETURN_SORTS, export=export)
    form = listing.form
    return listing, queries.ReturnFilter(status=form.status.data or None, q=form.q.data or None,
                                         supplier_code=request.args.get("supplier") or None, sort=listing.sort)


@bp.get("/returns", endpoint="returns")
@staff_required()
def returns_list() -> ResponseReturnValue:
    listing, f = _listing()
    return render_listing("purchasing/returns.html", listing,
                          lambda: queries.list_returns(db_session(), f, page=listing.page))


@bp.get("/returns.csv")
@staff_required()
def returns_csv() -> ResponseReturnValue:
    listing, f = _listing(export=True)
    def rows() -> Any:
        return ((r.number, r.supplier_code, r.supplier_name, r.warehouse_code, r.status, r.created_at.isoformat(),
                 r.shipped_at.isoformat() if r.shipped_at else "", r.receipt_number, r.po_number, r.lines, r.units)
                for r in queries.iter_returns(db_session(), f))
    header = [_("Return"), _("Supplier code"), _("Supplier"), _("Warehouse"), _("Status"), _("Created at"),
              _("Shipped at"), _("Receipt"), _("PO"), _("Lines"), _("Units")]
    return export_listing(listing, "supplier-returns.csv", header, rows)


@bp.get("/returns/<number>")
@staff_required()
def return_detail(number: str) -> ResponseReturnValue:
    ret, receipt = queries.return_detail(db_session(), number)
    return render_template("purchasing/return.html", ret=ret, receipt=receipt, action=ActionForm(),
                           can_ship=role_allows(*RECEIVERS))


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
