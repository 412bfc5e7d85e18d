"""Count pages: list (+ CSV), open a count, the blind count sheet, review and approval."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.auth.access import role_allows, staff_required
from app.catalog.models import Category
from app.counts import service
from app.counts.forms import ActionForm, CountFilterForm, CountSheetForm, OpenCountForm
from app.db import session as db_session
from app.db import transaction, utcnow
from app.errors import N_, ValidationFailed
from app.stock.models import Warehouse
from app.web.forms import apply_errors
from app.web.listing import Listing, export_listing, read_listing, render_listing

bp = Blueprint("counts", __name__, url_prefix="/counts")
WRITE_ROLES = ("warehouse",)


def _warehouses() -> list[Warehouse]:
    return list(db_session().scalars(select(Warehouse).where(Warehouse.is_active.is_(True)).order_by(Warehouse.code)))


def _listing(*, export: bool = False) -> Listing[CountFilterForm]:
    form = CountFilterForm(request.args)
    form.warehouse.choices = [("", _l("All warehouses"))] + [(w.code, f"{w.code} — {w.local_name}") for w in _warehouses()]
    return read_listing(form, service.COUNT_SORTS, export=export)


def _filtered(listing: Listing[CountFilterForm], per_page: int | None) -> Any:
    form = listing.form
    ids = {w.code: w.id for w in _warehouses()}
    return service.list_counts(db_session(), status=form.status.data or None,
                               warehouse_id=ids.get(form.warehouse.data or ""), page=listing.page,
                               per_page=per_page, sort=listing.sort)


@bp.get("/")
@staff_required()
def index() -> ResponseReturnValue:
    listing = _listing()
    return render_listing("counts/index.html", listing, lambda: _filtered(listing, 50),
                          can_write=role_allows(*WRITE_ROLES))


@bp.get("/export.csv")
@staff_required()
def export() -> ResponseReturnValue:
    listing = _listing(export=True)
    return export_listing(listing, "counts.csv", ["number", "kind", "status", "warehouse", "category", "lines", "counted",
                                                  "created_at", "approved_at", "scope"],
                          lambda: ([r.number, r.kind, r.status, r.warehouse_code, r.category, r.lines, r.counted,
                                    r.created_at.isoformat(), r.approved_at and r.approved_at.isoformat(), r.scope]
                                   for r in _filtered(listing, None).rows))


def _scope_args(form: OpenCountForm, categories: dict[str, int]) -> dict[str, Any]:
    """The service's scope arguments for the scope chosen; a scope's missing input is a field error."""
    scope = form.scope.data
    if scope == "warehouse" and form.category.data:
        scope = "category"  # a category chosen narrows "everything" (and keeps older clients working)
    if scope == "category":
        if not form.category.data:
            raise ValidationFailed("category", [{"field": "category", "message": N_("choose a category")}])
        return {"category_id": categories[form.category.data]}
    if scope == "skus":
        if not form.sku_list():
            raise ValidationFailed("skus", [{"field": "skus", "message": N_("enter at least one SKU")}])
        return {"skus": form.sku_list()}
    if scope == "top_value":
        return {"top_value": form.top_value.data or 20}
    return {}


@bp.route("/new", methods=["GET", "POST"])
@staff_required(*WRITE_ROLES)
def new() -> ResponseReturnValue:
    warehouses = _warehouses()
    form = OpenCountForm()
    form.warehouse.choices = [(w.code, f"{w.code} — {w.local_name}") for w in warehouses]
    categories = list(db_session().scalars(select(Category).order_by(Category.name)))
    form.category.choices = [("", _l("All categories"))] + [(c.code, c.local_name) for c in categories]
    if request.method == "GET" and request.args.get("warehouse"):
        form.warehouse.data = request.args["warehouse"]
    status = 200
    if form.validate_on_submit():
        try:
            scope = _scope_args(form, {c.code: c.id for c in categories})
            with transaction() as s:
                count = service.open_count(
                    s, current_user.actor, warehouse_id={w.code: w.id for w in warehouses}[form.warehouse.data],
                    kind=form.kind.data or "cycle", **scope,
                )
            flash(_("Count %(number)s opened with %(n)s lines.", number=count.number, n=len(count.lines)), "success")
            return redirect(url_for("counts.detail", count_id=count.id))
        except ValidationFailed as exc:
            apply_errors(form, exc)
        status = 422
    elif request.method == "POST":
        status = 422
    skus = service.sku_choices(db_session())
    return render_template("counts/new.html", form=form, sku_choices=skus), status


def _render(count_id: int, sheet: CountSheetForm | None = None, status: int = 200) -> ResponseReturnValue:
    count = service.get_count(db_session(), count_id)
    if count.status == "open":
        if sheet is None:
            sheet = CountSheetForm()
            for ln in count.lines:
                sheet.lines.append_entry({"counted": ln.counted_quantity})
        # Blind count: the template for an open count never receives the system quantities.
        lines = [(ln.product.sku, ln.product.name, ln.product.unit) for ln in count.lines]
        return render_template("counts/sheet.html", count=count, lines=lines, sheet=sheet,
                               action_form=ActionForm(), can_write=role_allows(*WRITE_ROLES), own_submission=False), status
    return render_template("counts/review.html", count=count, review=service.review_summary(count),
                           action_form=ActionForm(), can_write=role_allows(*WRITE_ROLES),
                           own_submission=service.approval_blocked_for(db_session(), count, current_user.actor)), status


@bp.get("/<int:count_id>")
@staff_required()
def detail(count_id: int) -> ResponseReturnValue:
    return _render(count_id)


@bp.post("/<int:count_id>/sheet")
@staff_required(*WRITE_ROLES)
def save_sheet(count_id: int) -> ResponseReturnValue:
    count = service.get_count(db_session(), count_id)
    sheet = CountSheetForm()
    if not sheet.validate_on_submit() or len(sheet.lines.entries) != len(count.lines):
        return _render(count_id, sheet, 422)
    counted = {ln.id: e.form.counted.data for ln, e in zip(count.lines, sheet.lines.entries, strict=True)}
    submit = request.form.get("action") == "submit"
    try:
        with transaction() as s:
            service.record_counts(s, current_user.actor, count_id=count_id, counted=counted, submit=submit,
                                  now=utcnow())
    except ValidationFailed as exc:
        apply_errors(sheet, exc)
        return _render(count_id, sheet, 422)
    flash(_("Count submitted for review.") if submit else _("Counted quantities saved."), "success")
    return redirect(url_for("counts.detail", count_id=count_id))


@bp.post("/<int:count_id>/approve")
@staff_required(*WRITE_ROLES)
def approve(count_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    with transaction() as s:
        count = service.approve_count(s, current_user.actor, count_id=count_id, now=utcnow())
    flash(_("Count %(number)s approved; stock corrected.", number=count.number), "success")
    return redirect(url_for("counts.detail", count_id=count_id))


@bp.post("/<int:count_id>/cancel")
@staff_required(*WRITE_ROLES)
def cancel(count_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    with transaction() as s:
        count = service.cancel_count(s, current_user.actor, count_id=count_id)
    flash(_("Count %(number)s cancelled.", number=count.number), "success")
    return redirect(url_for("counts.detail", count_id=count_id))
