from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SearchField, SelectField
from wtforms.validators import Length, NumberRange, Optional

from app.errors import translated


class StockFilterForm(FlaskForm):
    """GET filter form: no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    q = SearchField(_l("SKU or name"), validators=[Optional(), Length(max=100)])
    warehouse = SelectField(_l("Warehouse"), validators=[Optional()], validate_choice=True)
    category = SelectField(_l("Category"), validators=[Optional()], validate_choice=True)
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


def apply_errors(form: FlaskForm, errors: list[dict[str, str]]) -> list[str]:
    """Attach a service's field errors ({"field", "message"}) to the form's fields.

    Field names use WTForms' own names (e.g. "lines-0-quantity"). Returns the messages
    that name no field of the form (show them as a flash).
    """
    fields = {f.name: f for f in _all_fields(form)}
    leftover = []
    for err in errors:
        f = fields.get(err.get("field", ""))
        if f is None:
            leftover.append(translated(err.get("message", "")))
        else:
            f.errors = [*list(f.errors or []), translated(err.get("message", ""))]
    return leftover


def _all_fields(form: object) -> list:
    out = []
    for f in form:  # type: ignore[attr-defined]
        if f.type == "FieldList":
            for entry in f.entries:
                out.extend(_all_fields(entry.form) if hasattr(entry, "form") else [entry])
        elif f.type == "FormField":
            out.extend(_all_fields(f.form))
        else:
            out.append(f)
    return out


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
