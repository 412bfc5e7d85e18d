"""Supplier pages: list (CSV), detail with price list and open POs, add/edit a price."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import role_allows, staff_required
from app.db import session as db_session
from app.db import transaction, utcnow
from app.errors import ValidationFailed
from app.paging import Page
from app.suppliers import service
from app.suppliers.forms import PriceForm, PriceListFilterForm, SupplierFilterForm
from app.suppliers.models import SupplierPrice
from app.web.forms import apply_errors
from app.web.listing import Listing, export_listing, read_listing, read_sort, render_listing

bp = Blueprint("suppliers", __name__)

PRICE_EDITORS = ("purchasing",)


def _filter(listing: Listing[SupplierFilterForm]) -> service.SupplierFilter:
    form = listing.form
    return service.SupplierFilter(q=form.q.data or None, active=form.active.data or None, sort=listing.sort)


@bp.get("/suppliers")
@staff_required()
def index() -> ResponseReturnValue:
    listing = read_listing(SupplierFilterForm(request.args), service.SUPPLIER_SORTS)
    return render_listing("suppliers/index.html", listing,
                          lambda: service.list_suppliers(db_session(), _filter(listing), page=listing.page))


@bp.get("/suppliers.csv")
@staff_required()
def index_csv() -> ResponseReturnValue:
    listing = read_listing(SupplierFilterForm(request.args), service.SUPPLIER_SORTS, export=True)
    header = [_("Code"), _("Name"), _("E-mail"), _("Country"), _("Currency"), _("Active"), _("Products"),
              _("Open orders")]
    return export_listing(listing, "suppliers.csv", header, lambda: (
        (r.code, r.name, r.email, r.country, r.currency, "yes" if r.is_active else "no", r.products, r.open_orders)
        for r in service.iter_suppliers(db_session(), _filter(listing))))


@bp.get("/suppliers/<code>")
@staff_required()
def detail(code: str) -> ResponseReturnValue:
    s = db_session()
    supplier = service.get_supplier(s, code)
    form = PriceListFilterForm(request.args)
    ok = not request.args or form.validate()
    sort = read_sort(service.PRICE_SORTS)
    prices = (service.list_prices(s, supplier_id=supplier.id, today=utcnow().date(), q=form.q.data or None,
                                  sort=sort, page=form.page.data or 1) if ok else Page([], 0, 1, 50))
    orders, orders_total = service.open_orders(s, supplier_id=supplier.id)
    can_edit = role_allows(*PRICE_EDITORS)
    return render_template("suppliers/detail.html", supplier=supplier, form=form, prices=prices, sort=sort, orders=orders,
                           orders_total=orders_total, can_edit=can_edit), 200 if ok else 422


def _price_input(form: PriceForm) -> service.PriceInput:
    return service.PriceInput(
        sku=form.sku.data or "", unit_price=form.unit_price.data, moq=form.moq.data, pack_size=form.pack_size.data,
        lead_time_days=form.lead_time_days.data, valid_from=form.valid_from.data, valid_to=form.valid_to.data,
        is_preferred=bool(form.is_preferred.data),
    )


def _save(code: str, form: PriceForm, price_id: int | None) -> ResponseReturnValue | None:
    try:
        with transaction() as s:
            supplier = service.get_supplier(s, code)
            price = service.save_price(s, current_user.actor, supplier_id=supplier.id, data=_price_input(form),
                                       price_id=price_id)
            sku = form.sku.data
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return None
    flash(_("Price for %(sku)s saved.", sku=sku) + (" " + _("It is now the preferred supplier.")
                                                    if price.is_preferred else ""), "success")
    return redirect(url_for("suppliers.detail", code=code, q=sku))


@bp.route("/suppliers/<code>/prices/new", methods=["GET", "POST"])
@staff_required(*PRICE_EDITORS)
def price_new(code: str) -> ResponseReturnValue:
    supplier = service.get_supplier(db_session(), code)
    form = PriceForm()
    if request.method == "GET":
        form.valid_from.data = utcnow().date()
        form.sku.data = request.args.get("sku", "")
    if form.validate_on_submit():
        done = _save(code, form, None)
        if done is not None:
            return done
    status = 422 if request.method == "POST" else 200
    return render_template("suppliers/price_form.html", supplier=supplier, form=form, price=None), status


@bp.route("/suppliers/<code>/prices/<int:price_id>/edit", methods=["GET", "POST"])
@staff_required(*PRICE_EDITORS)
def price_edit(code: str, price_id: int) -> ResponseReturnValue:
    s = db_session()
    supplier = service.get_supplier(s, code)
    price = s.get(SupplierPrice, price_id)
    if price is None or price.supplier_id != supplier.id:
        return render_template("error.html", status=404, title=_("Not found"), detail=_("No such price.")), 404
    form = PriceForm(obj=price) if request.method == "GET" else PriceForm()
    if request.method == "GET":
        form.sku.data = price.product.sku
    if form.validate_on_submit():
        done = _save(code, form, price_id)
        if done is not None:
            return done
    status = 422 if request.method == "POST" else 200
    return render_template("suppliers/price_form.html", supplier=supplier, form=form, price=price), status
