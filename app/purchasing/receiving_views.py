"""Receiving pages: the queue of POs awaiting goods (CSV) and receiving one with inspection."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import role_allows, staff_required
from app.db import session as db_session
from app.db import transaction, utcnow
from app.errors import ValidationFailed
from app.purchasing import queries, receiving
from app.purchasing.forms import ReceiveForm
from app.purchasing.orders import get_order
from app.purchasing.web import RECEIVERS, bp, order_filter, order_listing
from app.settings.service import get_setting
from app.web.forms import apply_errors
from app.web.listing import export_listing, render_listing


@bp.get("/receiving", endpoint="receiving")
@staff_required()
def receiving_queue() -> ResponseReturnValue:
    listing = order_listing(queries.RECEIVING_SORTS)
    return render_listing("purchasing/receiving.html", listing,
                          lambda: queries.receiving_queue(db_session(), order_filter(listing), page=listing.page),
                          can_receive=role_allows(*RECEIVERS))


@bp.get("/receiving.csv")
@staff_required()
def receiving_csv() -> ResponseReturnValue:
    listing = order_listing(queries.RECEIVING_SORTS, export=True)
    def rows() -> Any:
        return ((r.order.number, r.order.supplier_code, r.order.supplier_name, r.order.warehouse_code, r.order.status,
                 r.order.next_promised.isoformat() if r.order.next_promised else "", r.order.ordered, r.order.accepted,
                 r.order.outstanding, " ".join(n.number for n in r.notices))
                for r in queries.iter_receiving_queue(db_session(), order_filter(listing)))
    header = [_("PO"), _("Supplier code"), _("Supplier"), _("Deliver to"), _("Status"), _("Earliest promised date"),
              _("Ordered"), _("Accepted"), _("Outstanding"), _("Open shipment notices")]
    return export_listing(listing, "receiving.csv", header, rows)


def _receive_form(po: Any, notice: Any) -> ReceiveForm:
    s = db_session()
    reasons = [("", _l("— reason —")), *[(r, _(r)) for r in get_setting(s, "inspection_reasons")]]
    if request.method == "POST":
        form = ReceiveForm()
    else:
        prefill = receiving.prefill_quantities(s, po, notice)
        form = ReceiveForm(data={
            "notice": str(notice.id) if notice else "",
            "lines": [{"line_id": str(ln.id), "received": prefill.get(ln.id, 0), "rejected": 0, "reason": ""}
                      for ln in po.lines],
        })
    for entry in form.lines.entries:
        entry.form.reason.choices = reasons
    return form


@bp.route("/receiving/<number>", methods=["GET", "POST"])
@staff_required(*RECEIVERS)
def receive(number: str) -> ResponseReturnValue:
    s = db_session()
    po = get_order(s, number)
    if po.status not in receiving.RECEIVABLE:
        flash(_("%(number)s is %(status)s; it is not awaiting goods.", number=po.number,
                status=_(po.status.replace("_", " "))), "error")
        return redirect(url_for("purchasing.order", number=number))
    raw_notice = request.form.get("notice") if request.method == "POST" else request.args.get("notice")
    notice_id = int(raw_notice) if raw_notice and raw_notice.isdigit() else None
    notice = receiving.receivable_notice(s, po, notice_id)
    form = _receive_form(po, notice)
    if form.validate_on_submit():
        inputs = [
            receiving.ReceiveLineInput(index=i, po_line_id=int(e.form.line_id.data or 0), received=e.form.received.data or 0,
                                       rejected=e.form.rejected.data or 0, reason=e.form.reason.data or None)
            for i, e in enumerate(form.lines.entries)
        ]
        try:
            with transaction() as ts:
                result = receiving.receive_purchase_order(ts, current_user.actor, number=number, lines=inputs,
                                                          now=utcnow(), notice_id=notice_id, notes=form.notes.data)
                receipt_no = result.receipt.number
                return_no = result.supplier_return.number if result.supplier_return else None
                po_status = result.receipt.purchase_order.status
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Receipt %(receipt)s recorded; %(po)s is now %(status)s.", receipt=receipt_no, po=number,
                    status=_(po_status.replace("_", " "))), "success")
            if return_no:
                flash(_("Rejected goods are on return %(ret)s, ready to ship back.", ret=return_no), "warning")
            return redirect(url_for("purchasing.order", number=number))
    lines_by_id = {str(ln.id): ln for ln in po.lines}
    tolerance = get_setting(s, "over_receipt_tolerance_pct")
    return render_template("purchasing/receive.html", po=po, form=form, notice=notice, lines_by_id=lines_by_id,
                           notices=receiving.notices_of(s, po), tolerance=tolerance,
                           max_acceptable=receiving.max_acceptable), 422 if request.method == "POST" else 200
