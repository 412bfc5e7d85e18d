"""Staff pages of supplier scorecards (blueprint `scorecards`, under /suppliers/scorecards):
the ranking, one supplier's figures with the events behind them and backup suppliers,
and the admin's weights and thresholds."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import staff_required
from app.db import session as db_session
from app.db import transaction, utcnow
from app.paging import Page
from app.suppliers.scorecards import service
from app.suppliers.scorecards.charts import trend_charts
from app.suppliers.scorecards.forms import InviteForm, ScorecardFilterForm, ScorecardSettingsForm
from app.suppliers.scorecards.scoring import Period
from app.web.listing import read_sort

bp = Blueprint("scorecards", __name__, url_prefix="/suppliers/scorecards", template_folder="templates")
PER_PAGE = 50


def _filters() -> tuple[ScorecardFilterForm, dt.date, int, bool]:
    form = ScorecardFilterForm(request.args)
    ok = form.validate() if request.args else True
    today = utcnow().date()
    month = dt.date.fromisoformat(form.month.data + "-01") if ok and form.month.data else today.replace(day=1)
    window = int(form.window.data) if ok and form.window.data in ("1", "3", "12") else 3
    if ok and not form.month.data:
        form.month.data = f"{month:%Y-%m}"  # the field shows the month the page shows
    if ok and not request.args.get("window"):
        form.window.data = str(window)
    return form, month, window, ok


@bp.get("")
@staff_required()
def index() -> ResponseReturnValue:
    form, month, window, ok = _filters()
    sort = read_sort(service.RANKING_SORTS)
    rows = service.ranking(db_session(), month=month, months=window, today=utcnow().date(), sort=sort) if ok else []
    page_no = form.page.data or 1 if ok else 1
    page = Page(rows[(page_no - 1) * PER_PAGE: page_no * PER_PAGE], len(rows), page_no, PER_PAGE)
    s = db_session()
    settings_form = ScorecardSettingsForm(data=_settings_data(s))
    return render_template("scorecards/ranking.html", form=form, page=page, sort=sort,
                           period=Period.ending(month, window),
                           settings_form=settings_form, rules=service.scorecard_rules(s, as_of=utcnow().date())), \
        200 if ok else 422


def _settings_data(s: Any) -> dict[str, float]:
    rules = service.scorecard_rules(s, as_of=utcnow().date())
    return {"weight_on_time": rules.weights["on_time"], "weight_quality": rules.weights["quality"],
            "weight_price": rules.weights["price"], "threshold_a": rules.thresholds["A"],
            "threshold_b": rules.thresholds["B"], "grace_days": rules.grace_days}


@bp.post("/settings")
@staff_required("admin")
def update_settings() -> ResponseReturnValue:
    form = ScorecardSettingsForm()
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {'; '.join(map(str, errors))}", "error")
        return redirect(_ranking_as_left())
    with transaction() as s:
        service.update_scorecard_settings(
            s, current_user.actor,
            weights={"on_time": form.weight_on_time.data, "quality": form.weight_quality.data,
                     "price": form.weight_price.data},
            thresholds={"A": form.threshold_a.data, "B": form.threshold_b.data}, grace_days=form.grace_days.data or 0,
        )
    flash(_("Scorecard rules saved."), "success")
    return redirect(_ranking_as_left())


def _ranking_as_left() -> str:
    """The ranking with the month, window and sort the admin was looking at (the settings form
    posts to a URL carrying them)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("month", "window", "sort")}
    return url_for("scorecards.index", **args)


@bp.get("/<int:supplier_id>")
@staff_required()
def detail(supplier_id: int) -> ResponseReturnValue:
    form, month, window, ok = _filters()
    s = db_session()
    supplier = service.supplier_or_404(s, supplier_id)
    today = utcnow().date()
    cards = service.supplier_scorecards(s, supplier_id=supplier_id, today=today)
    dd = service.drill_down(s, supplier_id=supplier_id, month=month, months=window, today=today)
    backups = service.backup_suppliers(s, supplier_id=supplier_id, today=today)
    chart, price_chart = trend_charts(cards.monthly)
    return render_template("scorecards/detail.html", supplier=supplier, cards=cards, dd=dd, backups=backups,
                           chart=chart, price_chart=price_chart, form=form, invite_form=InviteForm(),
                           period=dd.card.period), 200 if ok else 422


@bp.post("/<int:supplier_id>/invite")
@staff_required("admin")
def invite(supplier_id: int) -> ResponseReturnValue:
    """Admin: create a portal invitation for this supplier; the link is shown once."""
    from app.auth.invites import invite_path, invite_supplier_user

    form = InviteForm()
    if not form.validate_on_submit():
        flash(_("E-mail: %(e)s", e="; ".join(map(str, form.email.errors)) or _("invalid form")), "error")
        return redirect(url_for("scorecards.detail", supplier_id=supplier_id))
    with transaction() as s:
        supplier = service.supplier_or_404(s, supplier_id)
        user, token = invite_supplier_user(s, current_user.actor, supplier_code=supplier.code,
                                           email=form.email.data or "", now=utcnow())
    flash(_("Invitation for %(email)s (works once, for 72 hours): %(link)s", email=user.email,
            link=request.host_url.rstrip("/") + invite_path(token)), "success")
    return redirect(url_for("scorecards.detail", supplier_id=supplier_id))
