"""Staff pages shared across domains: the dashboard (home) and the stock overview."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import public, staff_required
from app.db import session as db_session
from app.db import utcnow
from app.stock import overview
from app.web.forms import StockFilterForm
from app.web.listing import read_sort

bp = Blueprint("web", __name__)


@bp.get("/")
@public("redirects to the dashboard or the portal (each requires its login)")
def index() -> ResponseReturnValue:
    if getattr(current_user, "kind", None) == "supplier":
        return redirect(url_for("portal.home"))
    return redirect(url_for("web.dashboard"))


@bp.get("/dashboard")
@staff_required()
def dashboard() -> ResponseReturnValue:
    from app.alerts.service import alert_board
    from app.purchasing.changes import open_changes
    from app.stock.turnover import demand_and_stock, turnover
    from app.transfers.service import list_transfers
    from app.web.dashboard_chart import demand_stock_chart

    s = db_session()
    today = utcnow().date()
    months, chart = demand_stock_chart(demand_and_stock(s, today=today), today=today)
    return render_template(
        "dashboard.html", turnover=turnover(s, today=today), counts=alert_board(s, today=today).counts(),
        open_transfers=list_transfers(s, status="open", per_page=1).total,
        in_transit=list_transfers(s, status="in_transit", per_page=1).total, chart=chart, months=months,
        supplier_changes=open_changes(s),
    )


@bp.get("/stock")
@staff_required()
def stock_overview() -> ResponseReturnValue:
    s = db_session()
    form = StockFilterForm(request.args)
    form.warehouse.choices = [("", _l("All warehouses")), *overview.warehouse_choices(s)]
    form.category.choices = [("", _l("All categories")), *overview.category_choices(s)]
    status, sort = 200, read_sort(overview.STOCK_SORTS)
    if request.args and not form.validate():
        status = 422
        page = overview.Page[overview.StockRow](rows=[], total=0, page=1, per_page=50)
    else:
        page = overview.stock_overview(
            s, q=form.q.data or None, warehouse_code=form.warehouse.data or None,
            category_code=form.category.data or None, sort=sort, page=form.page.data or 1,
        )
    return render_template("stock/overview.html", form=form, page=page, sort=sort), status
