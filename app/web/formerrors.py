"""Put a service's `ValidationFailed.errors` onto the WTForms fields they name."""
from __future__ import annotations

from typing import Any

from flask import flash
from wtforms import Form
from wtforms.fields import Field, FieldList, FormField

from app.errors import ValidationFailed, translated


def _fields(form: Form | Any) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for f in form:
        out[f.name] = f
        if isinstance(f, FieldList):
            for entry in f.entries:
                if isinstance(entry, FormField):
                    out.update(_fields(entry.form))
                else:
                    out[entry.name] = entry
        elif isinstance(f, FormField):
            out.update(_fields(f.form))
    return out


def apply_errors(form: Form | Any, exc: ValidationFailed, aliases: dict[str, str] | None = None) -> None:
    """Attach each error to its field (by WTForms name, or via `aliases`); flash the rest."""
    fields = _fields(form)
    leftover = []
    for err in exc.data.get("errors", []):
        name = (aliases or {}).get(err["field"], err["field"])
        field = fields.get(name)
        if field is None:
            leftover.append(f"{err['field']}: {translated(err['message'])}")
            continue
        field.errors = [*list(field.errors or []), translated(err["message"])]
    if leftover or not exc.data.get("errors"):
        flash("; ".join(leftover) or translated(exc.detail), "error")
