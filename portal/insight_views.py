"""Portal pages that show figures: our stock for their SKUs, their scorecard, CSV exports."""
from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from app.auth.access import current_supplier_id, supplier_required
from app.db import session as db_session
from app.db import utcnow
from app.suppliers.portal import queries as supplier_queries
from app.suppliers.portal.stock_visibility import STOCK_SORTS, supplied_stock
from app.suppliers.scorecards import service as scorecard_service
from app.suppliers.scorecards.charts import trend_charts
from app.web.exports import csv_response
from app.web.listing import page_arg, read_sort
from portal.blueprint import bp


@bp.get("/stock")
@supplier_required
def stock() -> ResponseReturnValue:
    q = (request.args.get("q") or "").strip()[:100] or None
    sort = read_sort(STOCK_SORTS)
    page = supplied_stock(db_session(), supplier_id=current_supplier_id(), today=utcnow().date(), q=q, sort=sort,
                          page=page_arg())
    return render_template("portal/stock.html", page=page, q=q, sort=sort)


@bp.get("/scorecard")
@supplier_required
def scorecard() -> ResponseReturnValue:
    cards = scorecard_service.supplier_scorecards(db_session(), supplier_id=current_supplier_id(),
                                                  today=utcnow().date())
    chart, price_chart = trend_charts(cards.monthly)
    return render_template("portal/scorecard.html", cards=cards, chart=chart, price_chart=price_chart)


@bp.get("/scorecard.csv")
@supplier_required
def scorecard_csv() -> ResponseReturnValue:
    cards = scorecard_service.supplier_scorecards(db_session(), supplier_id=current_supplier_id(),
                                                  today=utcnow().date())
    rows: list[tuple[str, Any]] = [("month", c) for c in cards.monthly]
    rows += [(f"rolling_{w}m", c) for w, c in cards.rolling.items() if w > 1]
    fields = ["lines_evaluated", "lines_on_time", "on_time_rate", "lines_in_full", "in_full_rate",
              "lead_time_mean_days", "lead_time_std_days", "inspected", "accepted", "quality_rate",
              "defects_per_million", "price_index", "response_hours_mean", "overall", "standing",
              "lead_time_median_days", "lead_time_p10_days", "lead_time_p90_days"]
    return csv_response("scorecard.csv", ["window", "period", *fields],
                        [[kind, c.period.label, *[getattr(c, f) for f in fields]] for kind, c in rows])


@bp.get("/orders.csv")
@supplier_required
def orders_csv() -> ResponseReturnValue:
    rows = supplier_queries.supplier_order_lines_csv(db_session(), supplier_id=current_supplier_id())
    header = ["po_number", "po_status", "sent_at", "line_no", "sku", "product", "quantity", "unit_price", "currency",
              "promised_date", "line_status", "confirmed_quantity", "confirmed_date", "received_quantity",
              "accepted_quantity", "rejected_quantity", "variant"]
    return csv_response("purchase-orders.csv", header, rows)
