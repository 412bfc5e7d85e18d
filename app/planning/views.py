"""Planning pages: forecast runs (start, watch, list) and replenishment suggestions (filter,
edit, approve into draft POs / transfers, reject), and a per-SKU forecast chart."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from app.admin.forms import ActionForm
from app.auth.access import role_allows, staff_required
from app.db import session as db_session
from app.db import transaction, utcnow
from app.errors import ValidationFailed
from app.planning import accuracy, coverage, decisions, policy, queries, service, workers
from app.planning.forms import STATUS_LABELS, StartRunForm, SuggestionDecisionForm, SuggestionFilterForm
from app.planning.models import RunStatus
from app.planning.reasons import reason_lines
from app.planning.schemas import RunStatusOut
from app.stock import overview as stock_overview
from app.web.charts import ForecastDay, forecast_option
from app.web.listing import read_sort

bp = Blueprint("planning", __name__, url_prefix="/planning")
bp.add_app_template_filter(reason_lines, "reason_lines")
PLANNERS = ("purchasing",)  # admin always passes


def _filter_form() -> SuggestionFilterForm:
    s = db_session()
    form = SuggestionFilterForm(request.args)
    form.warehouse.choices = [("", _l("All warehouses")), *stock_overview.warehouse_choices(s)]
    form.supplier.choices = [("", _l("All suppliers")), *queries.supplier_choices(s)]
    form.category.choices = [("", _l("All categories")), *stock_overview.category_choices(s)]
    form.status.choices = list(STATUS_LABELS.items())
    return form


def _render_suggestions(decision: SuggestionDecisionForm | None = None, status: int = 200) -> ResponseReturnValue:
    form = _filter_form()
    sort = read_sort(queries.SUGGESTION_SORTS)
    if request.args and not form.validate():
        status = 422
        page = stock_overview.Page[Any](rows=[], total=0, page=1, per_page=50)
    else:
        page = queries.suggestions_page(
            db_session(), warehouse_code=form.warehouse.data or None, supplier_code=form.supplier.data or None,
            category_code=form.category.data or None, within_days=form.within.data,
            status=form.status.data or "open", sort=sort, page=form.page.data or 1)
    if decision is None:
        decision = SuggestionDecisionForm(data={"rows": [{"id": r.suggestion.id, "quantity": r.suggestion.quantity}
                                                         for r in page.rows]})
    rows = list(zip(page.rows, decision.rows, strict=False))
    groups = queries.group_rows(rows, queries.unit_values(db_session(), page.rows, on=utcnow().date()))
    can_decide = role_allows(*PLANNERS) and (form.status.data or "open") == "open"
    scores = accuracy.for_suggestions(db_session(), [r.suggestion for r in page.rows])
    return render_template("planning/suggestions.html", form=form, page=page, sort=sort, decision=decision, rows=rows,
                           groups=groups, scores=scores, season=accuracy.naive_kind(),
                           can_decide=can_decide, start_form=_start_form(),
                           busy=service.runs_blocking(db_session())), status


def _start_form() -> StartRunForm:
    form = StartRunForm()
    form.warehouse.choices = [("", _l("All warehouses")), *stock_overview.warehouse_choices(db_session())]
    return form


@bp.get("/suggestions")
@staff_required()
def suggestions() -> ResponseReturnValue:
    return _render_suggestions()


@bp.post("/suggestions")
@staff_required(*PLANNERS)
def decide() -> ResponseReturnValue:
    """Approve, reject or save the quantities of the selected rows (one transaction)."""
    form = SuggestionDecisionForm()
    if not form.validate():
        return _render_suggestions(form, 422)
    actor, user_id, now = current_user.actor, current_user.user_id, utcnow()
    with transaction() as s:
        if form.approve.data:
            result = decisions.approve_suggestions(s, actor, quantities=form.chosen(), user_id=user_id, now=now)
            message = _approved_message(result)
        elif form.reject.data:
            count = decisions.reject_suggestions(s, actor, ids=list(form.chosen()), reason=form.reason.data or "",
                                                 user_id=user_id, now=now)
            message = _("Rejected %(n)s suggestion(s).", n=count)
        else:
            count = decisions.save_quantities(s, actor, quantities=form.all_quantities())
            message = _("Saved %(n)s changed quantity(ies).", n=count)
    flash(message, "success")
    args: dict[str, Any] = request.args.to_dict()
    return redirect(url_for("planning.suggestions", **args))


def _worker_warning(show: bool = True) -> str | None:
    """The warning the run pages show when no `forecast worker` has been seen for 5 minutes."""
    if not show or not workers.worker_status(db_session(), now=utcnow()).missing:
        return None
    return _("No forecast worker has picked up runs for 5 minutes — start `make forecast-worker`.")


def _run_status(run_id: int) -> RunStatusOut:
    s = db_session()
    found = service.get_run(s, run_id)
    return RunStatusOut.of(found, queries.run_progress(s, found), workers.worker_status(s, now=utcnow()))


def _links(docs: list[tuple[str, str]]) -> Markup:
    return Markup(", ").join(Markup('<a href="{}">{}</a>').format(url, number) for url, number in docs) or Markup("—")


def _approved_message(result: decisions.ApprovalResult) -> Markup:
    """The flash after approval: each new draft linked, and what to do with it next."""
    pos = [(url_for("purchasing.order", number=po.number), po.number) for po in result.purchase_orders]
    trs = [(url_for("transfers.detail", transfer_id=t.id), t.number) for t in result.transfers]
    text = Markup(escape(_("Approved: %(pos)s draft purchase order(s) (%(po_numbers)s) and %(trs)s draft "  # noqa: S704 (escaped first)
                           "transfer(s) (%(tr_numbers)s).", pos=len(pos), trs=len(trs), po_numbers="\x00",
                           tr_numbers="\x01")))
    text = Markup(text.replace("\x00", _links(pos)).replace("\x01", _links(trs)))  # noqa: S704 (_links escapes)
    steps = []
    if pos:
        steps.append(_("Next: open each purchase order, check prices and dates, then send it to the supplier."))
    if trs:
        steps.append(_("Open each transfer, check it, then ship it from the source warehouse."))
    return text + Markup(" ") + escape(" ".join(steps))


@bp.get("/runs")
@staff_required()
def runs() -> ResponseReturnValue:
    sort = read_sort(queries.RUN_SORTS)
    page = queries.runs_page(db_session(), page=request.args.get("page", 1, type=int) or 1, sort=sort)
    return render_template("planning/runs.html", page=page, sort=sort, start_form=_start_form(),
                           busy=service.runs_blocking(db_session()),
                           can_run=role_allows(*PLANNERS), worker_warning=_worker_warning())


@bp.post("/runs")
@staff_required(*PLANNERS)
def start_run() -> ResponseReturnValue:
    """Queue a run for the worker (never run inside the request)."""
    form = _start_form()
    if not form.validate():
        page = queries.runs_page(db_session())
        return render_template("planning/runs.html", page=page, sort=None, start_form=form, can_run=True,
                               busy=service.runs_blocking(db_session()), worker_warning=_worker_warning()), 422
    with transaction() as s:
        run = service.request_run(s, current_user.actor, horizon_days=form.horizon.data or 28,
                                  warehouse_code=form.warehouse.data or None, requested_by_id=current_user.user_id,
                                  now=utcnow())
        run_id = run.id
    flash(_("Forecast run #%(id)s requested.", id=run_id), "success")
    return redirect(url_for("planning.run", run_id=run_id))


@bp.get("/runs/<int:run_id>")
@staff_required()
def run(run_id: int) -> ResponseReturnValue:
    status = _run_status(run_id)
    found = service.get_run(db_session(), run_id)
    warning = _worker_warning(status.worker_missing and found.status == RunStatus.QUEUED.value)
    quality = held = None
    if found.status == RunStatus.SUCCEEDED.value:
        quality = accuracy.run_accuracy(db_session(), run_id)
        held = coverage.interval_coverage(db_session(), found, today=utcnow().date())
    return render_template("planning/run.html", run=found, status=status, worker_warning=warning, quality=quality,
                           coverage=held, min_days=coverage.MIN_DAYS)


@bp.get("/runs/<int:run_id>/status")
@staff_required()
def run_status(run_id: int) -> ResponseReturnValue:
    body = _run_status(run_id).model_dump_json()
    return Response(body, mimetype="application/json", headers={"Cache-Control": "no-store"})


@bp.get("/series/<int:product_id>/<int:warehouse_id>")
@staff_required()
def series(product_id: int, warehouse_id: int) -> ResponseReturnValue:
    detail = queries.series_detail(db_session(), product_id=product_id, warehouse_id=warehouse_id)
    if detail is None:
        abort(404)
    suggestion = detail.suggestion
    note = None
    if suggestion is not None and suggestion.status in ("open", "approved"):
        note = _("Suggested %(kind)s: %(qty)s (%(status)s)", kind=_(suggestion.kind), qty=suggestion.quantity,
                 status=_(suggestion.status))
    days = [ForecastDay(p.ds, p.yhat, p.yhat_lo_80 or p.yhat, p.yhat_hi_80 or p.yhat, p.yhat_lo_95 or p.yhat,
                        p.yhat_hi_95 or p.yhat) for p in detail.points]
    position = None if suggestion is None else (
        suggestion.on_hand + suggestion.in_transit + suggestion.on_order - suggestion.reserved)
    chart = forecast_option(
        detail.history, days, reorder_point=suggestion.reorder_point if suggestion is not None else None,
        position=position, day_label=lambda d: str(format_date(d, "medium")),
        names={"history": _("demand"), "forecast": _("forecast"), "band80": _("%(pct)s%% interval", pct=80),
               "band95": _("%(pct)s%% interval", pct=95), "position": _("projected stock position (no new orders)"),
               "reorder": _("reorder point"), "today": _("forecast starts"), "demand_axis": _("units per day"),
               "stock_axis": _("units in stock")},
    )
    planned = accuracy.for_suggestions(db_session(), [suggestion]).get(suggestion.id) if suggestion else None
    return render_template("planning/series.html", detail=detail, chart=chart, days=days, note=note, position=position,
                           scores=accuracy.latest_for_product(db_session(), product_id=product_id)
                           .get(warehouse_id, accuracy.NO_FORECAST), suggestion_scores=planned,
                           season=accuracy.naive_kind())


def _render_policy(errors: dict[str, str] | None = None, raw: dict[str, str] | None = None,
                   status: int = 200) -> ResponseReturnValue:
    s = db_session()
    return render_template("planning/policy.html", costs=policy.stock_cost(s, today=utcnow().date()),
                           targets=policy.target_fill_rates(s), others=policy.OTHERS,
                           alternatives=policy.ALTERNATIVES, errors=errors or {}, raw=raw or {},
                           can_edit=role_allows(*PLANNERS), action_form=ActionForm()), status


@bp.get("/policy")
@staff_required()
def policy_page() -> ResponseReturnValue:
    """Target fill rate per category and the expected stock value each costs."""
    return _render_policy()


@bp.post("/policy")
@staff_required(*PLANNERS)
def save_policy() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    raw = {k: v for k, v in request.form.items() if k.startswith("target.")}
    try:
        with transaction() as s:
            policy.set_target_fill_rates(s, current_user.actor, raw=raw)
    except ValidationFailed as exc:
        return _render_policy({e["field"]: e["message"] for e in exc.data["errors"]}, raw, 422)
    flash(_("Target fill rates saved; the next forecast run plans with them."), "success")
    return redirect(url_for("planning.policy_page"))
