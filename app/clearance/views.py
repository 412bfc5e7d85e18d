"""Clearance of slow movers: mark a SKU (from Alerts → Slow movers), close it (from the product page)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import staff_required
from app.clearance import service
from app.clearance.forms import ClearanceForm, CloseClearanceForm
from app.db import transaction, utcnow
from app.errors import ValidationFailed, translated
from app.web.errors import same_origin_path

bp = Blueprint("clearance", __name__, url_prefix="/clearance")


@bp.post("/")
@staff_required("purchasing")
def mark() -> Any:
    form = ClearanceForm()
    back = same_origin_path(request.referrer) or url_for("alerts.index", kind="slow_mover")
    if not form.validate_on_submit():
        flash(" · ".join(f"{getattr(form, k).label.text}: {e}" for k, errs in form.errors.items() for e in errs), "error")
        return redirect(back)
    try:
        with transaction() as s:
            service.mark_for_clearance(s, current_user.actor, sku=form.sku.data, action=form.action.data,
                                       target_date=form.target_date.data, today=utcnow().date(),
                                       markdown_pct=form.markdown_pct.data, note=form.note.data)
    except ValidationFailed as exc:
        flash(" · ".join(translated(e["message"]) for e in exc.data["errors"]), "error")
        return redirect(back)
    flash(_("%(sku)s is marked for clearance.", sku=form.sku.data), "success")
    return redirect(back)


@bp.post("/<int:clearance_id>/close")
@staff_required("purchasing")
def close(clearance_id: int) -> Any:
    form = CloseClearanceForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction() as s:
        row = service.close_clearance(s, current_user.actor, clearance_id=clearance_id, outcome=form.outcome.data,
                                      now=utcnow())
    flash(_("Clearance done.") if row.status == "done" else _("Clearance cancelled."), "success")
    return redirect(same_origin_path(request.referrer) or url_for("alerts.index", kind="slow_mover"))
