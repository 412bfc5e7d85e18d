"""What the purchasing pages share: the blueprint, who may buy and receive, the order-list
request (filter form, sort, page) of the PO list and the receiving queue.

The pages are in views.py (POs), receiving_views.py and return_views.py; the app factory
imports them, which puts their routes on `bp`.
"""
from __future__ import annotations

from collections.abc import Collection

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from app.db import session as db_session
from app.purchasing import queries
from app.purchasing.forms import OrderFilterForm
from app.stock.overview import warehouse_choices
from app.suppliers import service as suppliers
from app.web.listing import Listing, read_listing

bp = Blueprint("purchasing", __name__)

BUYERS = ("purchasing",)
RECEIVERS = ("warehouse",)


def order_listing(sortable: Collection[str], *, export: bool = False) -> Listing[OrderFilterForm]:
    """The filter form (with its choices), sort (one of `sortable`) and page of an order list request."""
    s = db_session()
    form = OrderFilterForm(request.args)
    form.supplier.choices = [("", _l("All suppliers")), *suppliers.supplier_choices(s)]
    form.warehouse.choices = [("", _l("All warehouses")), *warehouse_choices(s)]
    return read_listing(form, sortable, export=export)


def order_filter(listing: Listing[OrderFilterForm]) -> queries.OrderFilter:
    form = listing.form
    return queries.OrderFilter(status=form.status.data or None, supplier_code=form.supplier.data or None,
                               warehouse_code=form.warehouse.data or None, q=form.q.data or None, sort=listing.sort)
