"""The web layer's form toolkit: the one form-error helper, fixed choices, the stock filter."""
from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, IntegerField, SearchField, SelectField
from wtforms.fields import Field, FieldList, FormField
from wtforms.validators import Length, NumberRange, Optional

from app.errors import ValidationFailed, translated


class StockFilterForm(FlaskForm):
    """GET filter form: no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    q = SearchField(_l("SKU or name"), validators=[Optional(), Length(max=100)])
    warehouse = SelectField(_l("Warehouse"), validators=[Optional()], validate_choice=True)
    category = SelectField(_l("Category"), validators=[Optional()], validate_choice=True)
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


def _fields(form: Form | Any) -> dict[str, Field]:
    """Every field of `form` by its WTForms name, nested FieldList/FormField entries included."""
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
    """The one way a view shows a service's `ValidationFailed` on a form.

    Each error ({"field", "message"}) is attached to the field it names — by WTForms name
    (e.g. "lines-0-quantity") or through `aliases` (service name → form field name). The
    messages that name no field of the form are flashed together; an error without field
    errors flashes its detail.
    """
    fields = _fields(form)
    errors = exc.data.get("errors") or []
    leftover = []
    for err in errors:
        name = err.get("field", "")
        field = fields.get((aliases or {}).get(name, name))
        if field is None:
            leftover.append(f"{name}: {translated(err.get('message', ''))}" if name else translated(err.get("message", "")))
            continue
        field.errors = [*list(field.errors or []), translated(err.get("message", ""))]
    if leftover or not errors:
        flash("; ".join(leftover) or translated(exc.detail), "error")


class FixedChoices:
    """Mixin: sets the choices named in `fixed_choices` on each new form.

    WTForms 3.3 deprecates (value, label) tuples passed to a SelectField's constructor;
    assigning them after construction is the supported way across 3.x.
    """

    fixed_choices: dict[str, list[tuple[str, object]]] = {}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in self.fixed_choices.items():
            getattr(self, name).choices = list(choices)
