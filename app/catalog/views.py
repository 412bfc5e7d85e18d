"""Product pages: list (search, filters, sort, CSV), detail with stock, ledger, demand, prices."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import role_allows, staff_required
from app.catalog import service
from app.catalog.forms import HotSkuForm, MovementFilterForm, ProductFilterForm
from app.clearance.forms import CloseClearanceForm
from app.clearance.service import open_clearances
from app.db import session as db_session
from app.db import transaction, utcnow
from app.paging import Page, Sort
from app.planning.accuracy import naive_kind
from app.stock.buckets import DEFAULT_BUCKETS, hot_state, set_buckets
from app.stock.models import MAX_BUCKETS
from app.stock.overview import category_choices, warehouse_choices
from app.web.charts import DayValue, demand_bars_option
from app.web.exports import csv_response
from app.web.listing import read_sort

bp = Blueprint("catalog", __name__)


def _product_filter_form() -> tuple[ProductFilterForm, bool]:
    s = db_session()
    form = ProductFilterForm(request.args)
    form.category.choices = [("", _l("All categories")), *category_choices(s)]
    form.warehouse.choices = [("", _l("All warehouses")), *warehouse_choices(s)]
    ok = not request.args or form.validate()
    return form, ok


def _filter_of(form: ProductFilterForm) -> service.ProductFilter:
    return service.ProductFilter(q=form.q.data or None, category_code=form.category.data or None,
                                 warehouse_code=form.warehouse.data or None, sort=form.sort.data or "sku")


@bp.get("/products")
@staff_required()
def products() -> ResponseReturnValue:
    form, ok = _product_filter_form()
    if not ok:
        return render_template("catalog/products.html", form=form, page=Page([], 0, 1, 50), sort=None), 422
    page = service.list_products(db_session(), _filter_of(form), page=form.page.data or 1)
    return render_template("catalog/products.html", form=form, page=page, sort=Sort.parse(form.sort.data or "sku"))


@bp.get("/products.csv")
@staff_required()
def products_csv() -> ResponseReturnValue:
    form, ok = _product_filter_form()
    if not ok:
        return render_template("catalog/products.html", form=form, page=Page([], 0, 1, 50), sort=None), 422
    rows = ((r.sku, r.name, r.category, r.unit, r.on_hand, r.reserved, r.available, r.in_transit, r.on_order,
             r.variant or "") for r in service.iter_products(db_session(), _filter_of(form)))
    header = [_("SKU"), _("Name"), _("Category"), _("Unit"), _("On hand"), _("Reserved"), _("Available"),
              _("In transit"), _("On order"), _("Variant")]
    return csv_response("products.csv", header, rows)


def _movement_form() -> tuple[MovementFilterForm, bool]:
    form = MovementFilterForm(request.args)
    form.warehouse.choices = [("", _l("All warehouses")), *warehouse_choices(db_session())]
    return form, (not request.args or form.validate())


def _movement_filter(form: MovementFilterForm, sort: Sort | None) -> service.MovementFilter:
    return service.MovementFilter(warehouse_code=form.warehouse.data or None, kind=form.kind.data or None,
                                  date_from=form.date_from.data, date_to=form.date_to.data, sort=sort)


def _demand_chart(points: list[Any], granularity: str) -> tuple[list[DayValue], dict[str, Any]]:
    """The demand table's rows and the chart drawn from the same rows."""
    rows = [DayValue(p.start.isoformat() if granularity == "day" else _("week of %(day)s", day=p.start.isoformat()),
                     p.quantity) for p in points]
    return rows, demand_bars_option(rows, name=_("Net demand (units)"))


@bp.get("/products/<sku>")
@staff_required()
def product(sku: str) -> ResponseReturnValue:
    s = db_session()
    today = utcnow().date()
    detail = service.product_detail(s, sku=sku, today=today)
    form, ok = _movement_form()
    status, sort = 200, read_sort(service.MOVEMENT_SORTS)
    if ok:
        movements = service.list_movements(s, product_id=detail.product.id, f=_movement_filter(form, sort),
                                           page=form.page.data or 1)
    else:
        movements, status = Page([], 0, 1, 50), 422
    granularity = form.demand.data if form.demand.data in ("day", "week") else "week"
    points = service.demand_series(s, product_id=detail.product.id, today=today, granularity=granularity,
                                   warehouse_code=(form.warehouse.data or None) if ok else None)
    demand_rows, chart = _demand_chart(points, granularity)
    clearance = open_clearances(s, [detail.product.id]).get(detail.product.id)
    hot = hot_state(s, detail.product.sku)
    return render_template("catalog/product.html", d=detail, form=form, movements=movements, sort=sort,
                           clearance=clearance, close_form=CloseClearanceForm(),
                           can_clear=role_allows("purchasing"),
                           chart=chart, demand_rows=demand_rows, demand_total=sum(p.quantity for p in points),
                           granularity=granularity, today=today, hot=hot, season=naive_kind(),
                           hot_form=HotSkuForm(buckets=hot.buckets if hot.buckets > 1 else DEFAULT_BUCKETS)), status


@bp.post("/products/<sku>/hot")
@staff_required("admin")
def set_hot(sku: str) -> ResponseReturnValue:
    """Put the product in hot-SKU mode with the buckets asked for, or (1 bucket) take it out."""
    form = HotSkuForm()
    if not form.validate_on_submit() or form.buckets.data is None:
        flash(_("Stock buckets must be a whole number from 1 to %(n)s.", n=MAX_BUCKETS), "error")
        return redirect(url_for("catalog.product", sku=sku))
    with transaction() as s:
        state = set_buckets(s, current_user.actor, sku=sku, buckets=form.buckets.data, now=utcnow())
    flash(_("Hot-SKU mode on: %(n)s stock buckets per warehouse.", n=state.buckets) if state.buckets > 1
          else _("Hot-SKU mode off: one stock row per warehouse."), "success")
    return redirect(url_for("catalog.product", sku=sku))


@bp.get("/products/<sku>/movements.csv")
@staff_required()
def movements_csv(sku: str) -> ResponseReturnValue:
    s = db_session()
    product = service.get_product_by_sku(s, sku)
    form, ok = _movement_form()
    if not ok:
        return render_template("error.html", status=422, title=_("Invalid filter"),
                               detail="; ".join(f"{f.label.text}: {e}" for f in form for e in f.errors)), 422
    rows = ((m.occurred_at.isoformat(), m.warehouse_code, m.kind, m.quantity, m.reference_type, m.reference_id,
             m.source, m.note, m.user_email)
            for m in service.iter_movements(s, product_id=product.id,
                                            f=_movement_filter(form, read_sort(service.MOVEMENT_SORTS, export=True))))
    header = [_("Occurred at"), _("Warehouse"), _("Kind"), _("Quantity"), _("Reference type"), _("Reference"),
              _("Source"), _("Note"), _("User")]
    return csv_response(f"movements-{product.sku}.csv", header, rows)


