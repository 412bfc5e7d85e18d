"""CSV import pages: upload → preview (first rows, every error by row and column) → confirm."""
from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import role_allows, staff_required
from app.db import session as db_session
from app.db import transaction, utcnow
from app.errors import ValidationFailed, translated
from app.imports import service
from app.imports.forms import ConfirmForm, UploadForm
from app.imports.parse import MAX_BYTES

bp = Blueprint("imports", __name__, url_prefix="/import")

# Who may import what (admin may import everything).
ROLES_BY_KIND = {"products": ("purchasing",), "supplier_prices": ("purchasing",), "opening_stock": ("warehouse",),
                 "sales": ()}
PREVIEW_ROWS = 10


def _allowed(kind: str) -> bool:
    return role_allows(*ROLES_BY_KIND.get(kind, ()))


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    # Previews that were never confirmed: drop them after a day.
    cutoff = time.time() - 86400
    for stale in path.glob("*.csv"):
        if stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
    return path


@bp.get("/")
@staff_required("purchasing", "warehouse")
def index() -> ResponseReturnValue:
    return render_template("imports/upload.html", form=UploadForm(), columns=service.COLUMNS)


@bp.post("/")
@staff_required("purchasing", "warehouse")
def upload() -> ResponseReturnValue:
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("imports/upload.html", form=form, columns=service.COLUMNS), 422
    kind = form.kind.data or ""
    if not _allowed(kind):
        abort(403)
    data = form.file.data.read(MAX_BYTES + 1)  # one byte more than allowed is enough to refuse it
    checked = service.preview_import(db_session(), kind=kind, data=data, now=utcnow())
    token = None
    if not checked.errors:
        # Keep the exact bytes for the confirm step (the preview itself wrote nothing).
        token = secrets.token_hex(16)
        (_upload_dir() / f"{token}.csv").write_bytes(data)
    confirm = ConfirmForm(formdata=None, kind=kind, token=token or "")
    return render_template("imports/preview.html", kind=kind, checked=checked, rows=checked.parsed.rows[:PREVIEW_ROWS],
                           filename=form.file.data.filename, confirm=confirm), 422 if checked.errors else 200


@bp.post("/confirm")
@staff_required("purchasing", "warehouse")
def confirm() -> ResponseReturnValue:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    kind = form.kind.data or ""
    if not _allowed(kind):
        abort(403)
    path = _upload_dir() / f"{form.token.data}.csv"
    if not path.exists():
        flash(_("That upload has expired; upload the file again."), "error")
        return redirect(url_for("imports.index"))
    try:
        with transaction() as s:
            result = service.run_import(s, current_user.actor, kind=kind, data=path.read_bytes(), now=utcnow())
    except ValidationFailed as exc:
        flash(translated(exc.detail), "error")
        return redirect(url_for("imports.index"))
    finally:
        path.unlink(missing_ok=True)
    flash(_("Imported %(rows)s rows (%(written)s written, %(skipped)s already imported before).",
            rows=result.rows, written=result.written, skipped=result.skipped), "success")
    return redirect(url_for("imports.index"))
