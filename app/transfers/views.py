"""Transfer pages: list (+ CSV), new, detail, ship, receive, cancel."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.auth.access import role_allows, staff_required
from app.db import session as db_session
from app.db import transaction, utcnow
from app.errors import ValidationFailed
from app.stock.models import Warehouse
from app.transfers import lookup, service
from app.transfers.forms import LINE_ROWS, ActionForm, ReceiveForm, TransferFilterForm, TransferForm
from app.web.filters import label
from app.web.forms import apply_errors
from app.web.listing import Listing, export_listing, read_listing, render_listing

bp = Blueprint("transfers", __name__, url_prefix="/transfers")

WRITE_ROLES = ("warehouse",)


def _warehouses() -> list[Warehouse]:
    return list(db_session().scalars(select(Warehouse).where(Warehouse.is_active.is_(True)).order_by(Warehouse.kind,
                                                                                                      Warehouse.code)))


def _filtered(listing: Listing[TransferFilterForm], per_page: int | None) -> Any:
    form = listing.form
    codes = {w.code: w.id for w in _warehouses()}
    return service.list_transfers(
        db_session(), status=form.status.data or None, warehouse_id=codes.get(form.warehouse.data or ""),
        q=form.q.data or None, page=listing.page, per_page=per_page, sort=listing.sort,
    )


def _listing(*, export: bool = False) -> Listing[TransferFilterForm]:
    form = TransferFilterForm(request.args)
    form.warehouse.choices = [("", _l("All warehouses"))] + [(w.code, f"{w.code} — {w.local_name}") for w in _warehouses()]
    return read_listing(form, service.TRANSFER_SORT_KEYS, export=export)


@bp.get("/")
@staff_required()
def index() -> ResponseReturnValue:
    listing = _listing()
    return render_listing("transfers/index.html", listing, lambda: _filtered(listing, 50),
                          can_write=role_allows(*WRITE_ROLES))


@bp.get("/export.csv")
@staff_required()
def export() -> ResponseReturnValue:
    listing = _listing(export=True)
    return export_listing(listing, "transfers.csv", ["number", "status", "from", "to", "lines", "quantity",
                                                     "created_at", "shipped_at", "received_at"],
                          lambda: ([r.number, r.status, r.source_code, r.dest_code, r.line_count, r.total_quantity,
                                    r.created_at.isoformat(), r.shipped_at and r.shipped_at.isoformat(),
                                    r.received_at and r.received_at.isoformat()] for r in _filtered(listing, None).rows))


@bp.route("/new", methods=["GET", "POST"])
@staff_required(*WRITE_ROLES)
def new() -> ResponseReturnValue:
    warehouses = _warehouses()
    form = TransferForm()
    choices = [(w.code, f"{w.code} — {w.local_name} ({label(w.kind)})") for w in warehouses]
    form.source.choices = choices
    form.dest.choices = choices
    if request.method == "GET":
        _prefill(form, warehouses)
    ids = {w.code: w.id for w in warehouses}
    status = 200
    if request.method == "POST":
        # Every problem at once: the warehouses, each SKU, each quantity, in one answer.
        valid = form.validate_on_submit()
        entered = [(i, (e.form.sku.data or "").strip(), e.form.quantity.data) for i, e in enumerate(form.lines.entries)]
        entered = [(i, sku, qty) for i, sku, qty in entered if sku]
        products = service.resolve_products(db_session(), [sku for _i, sku, _q in entered])
        unknown = [(i, sku) for i, sku, _q in entered if sku not in products]
        for i, sku in unknown:
            form.lines.entries[i].form.sku.errors = [*form.lines.entries[i].form.sku.errors,
                                                    _("Unknown SKU %(sku)s.", sku=sku)]
        if not entered:
            flash(_("Add at least one line."), "error")
        if valid and entered and not unknown:
            try:
                with transaction() as s:
                    transfer = service.create_transfer(
                        s, current_user.actor, source_warehouse_id=ids[form.source.data],
                        dest_warehouse_id=ids[form.dest.data], notes=form.notes.data,
                        lines=[service.TransferLineInput(products[sku], qty or 0) for _i, sku, qty in entered],
                    )
                flash(_("Transfer %(number)s created as a draft.", number=transfer.number), "success")
                return redirect(url_for("transfers.detail", transfer_id=transfer.id))
            except ValidationFailed as exc:
                # The service numbers lines in the order given: map back to form rows.
                remap = {f"lines-{n}-{col}": f"lines-{i}-{col}" for n, (i, _s, _q) in enumerate(entered)
                         for col in ("sku", "quantity")}
                apply_errors(form, exc, remap)
        status = 422
    source_id = ids.get(form.source.data or "")
    available = lookup.available_by_sku(db_session(), skus=[e.form.sku.data or "" for e in form.lines.entries],
                                        warehouse_id=source_id) if source_id else {}
    return render_template("transfers/new.html", form=form, available=available), status


@bp.get("/sku-search")
@staff_required(*WRITE_ROLES)
def sku_search() -> ResponseReturnValue:
    """SKUs matching ?q= (SKU or name), with what ?source=CODE has available: the form's lookup."""
    q = (request.args.get("q") or "").strip()[:64]
    source = next((w for w in _warehouses() if w.code == request.args.get("source")), None)
    matches = lookup.sku_matches(db_session(), q=q, warehouse_id=source.id if source else None) if q else []
    return jsonify({"source": source.code if source else None,
                    "matches": [{"sku": m.sku, "name": m.name, "variant": m.variant, "available": m.available}
                                for m in matches]})


def _prefill(form: TransferForm, warehouses: list[Warehouse]) -> None:
    """Prefill from query args: ?source=CODE&dest=CODE&sku=A&qty=5&sku=B&qty=3 (links from alerts)."""
    codes = {w.code for w in warehouses}
    if request.args.get("source") in codes:
        form.source.data = request.args["source"]
    elif any(w.kind == "cloud" for w in warehouses):
        form.source.data = next(w.code for w in warehouses if w.kind == "cloud")
    if request.args.get("dest") in codes:
        form.dest.data = request.args["dest"]
    else:  # never the source: the first forward warehouse, else any other one
        others = [w for w in warehouses if w.code != form.source.data]
        form.dest.data = next((w.code for w in others if w.kind == "forward"), others[0].code if others else None)
    skus, qtys = request.args.getlist("sku"), request.args.getlist("qty")
    while len(form.lines.entries) < min(len(skus), 200):
        form.lines.append_entry()
    for entry, sku, qty in zip(form.lines.entries, skus, qtys + [""] * len(skus), strict=False):
        entry.form.sku.data = sku[:64]
        entry.form.quantity.data = int(qty) if qty.isdigit() else None
    assert len(form.lines.entries) >= LINE_ROWS  # noqa: S101 (narrowing: the loop above appended them)


@bp.get("/<int:transfer_id>")
@staff_required()
def detail(transfer_id: int) -> ResponseReturnValue:
    transfer = service.get_transfer(db_session(), transfer_id)
    receive_form = ReceiveForm()
    if transfer.status == "shipped":
        for ln in transfer.lines:
            receive_form.lines.append_entry({"received": ln.shipped_quantity, "note": ""})
    return render_template("transfers/detail.html", transfer=transfer, action_form=ActionForm(),
                           receive_form=receive_form, can_write=role_allows(*WRITE_ROLES),
                           available=_available_at_source(transfer))


def _available_at_source(transfer: Any) -> dict[str, int]:
    """For a draft: what the source has available per SKU now (shipping checks it again)."""
    if transfer.status != "draft":
        return {}
    return lookup.available_by_sku(db_session(), skus=[ln.product.sku for ln in transfer.lines],
                                   warehouse_id=transfer.source_warehouse_id)


@bp.post("/<int:transfer_id>/ship")
@staff_required(*WRITE_ROLES)
def ship(transfer_id: int) -> ResponseReturnValue:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction() as s:
        transfer = service.ship_transfer(s, current_user.actor, transfer_id=transfer_id, now=utcnow())
    flash(_("Transfer %(number)s shipped: the goods are in transit.", number=transfer.number), "success")
    return redirect(url_for("transfers.detail", transfer_id=transfer_id))


@bp.post("/<int:transfer_id>/cancel")
@staff_required(*WRITE_ROLES)
def cancel(transfer_id: int) -> ResponseReturnValue:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction() as s:
        transfer = service.cancel_transfer(s, current_user.actor, transfer_id=transfer_id)
    flash(_("Transfer %(number)s cancelled.", number=transfer.number), "success")
    return redirect(url_for("transfers.detail", transfer_id=transfer_id))


@bp.post("/<int:transfer_id>/receive")
@staff_required(*WRITE_ROLES)
def receive(transfer_id: int) -> ResponseReturnValue:
    transfer = service.get_transfer(db_session(), transfer_id)
    form = ReceiveForm()
    if form.validate_on_submit() and len(form.lines.entries) == len(transfer.lines):
        receipts = {ln.id: service.LineReceipt(e.form.received.data or 0, e.form.note.data)
                    for ln, e in zip(transfer.lines, form.lines.entries, strict=True)}
        try:
            with transaction() as s:
                done = service.receive_transfer(s, current_user.actor, transfer_id=transfer_id, receipts=receipts,
                                                now=utcnow())
            flash(_("Transfer %(number)s received.", number=done.number), "success")
            return redirect(url_for("transfers.detail", transfer_id=transfer_id))
        except ValidationFailed as exc:
            apply_errors(form, exc)
    transfer = service.get_transfer(db_session(), transfer_id)
    return render_template("transfers/detail.html", transfer=transfer, action_form=ActionForm(),
                           receive_form=form, can_write=role_allows(*WRITE_ROLES)), 422
