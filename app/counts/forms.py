from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, IntegerField, SelectField, TextAreaField
from wtforms.fields import FieldList, FormField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class OpenCountForm(FlaskForm):
    warehouse = SelectField(_l("Warehouse"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("cycle", _l("Cycle count")),
                                            SelectChoice("full", _l("Full count (year end)"))])
    category = SelectField(_l("Category"), validators=[Optional()])
    skus = TextAreaField(_l("Only these SKUs (optional; one per line or comma-separated)"),
                         validators=[Optional(), Length(max=20_000)])
    top_value = IntegerField(_l("Or only the N with the largest stock value"),
                             validators=[Optional(), NumberRange(min=1, max=1000)])


class CountLineForm(Form):
    counted = IntegerField(_l("Counted"), validators=[Optional(), NumberRange(min=0, max=100_000_000)])


class CountSheetForm(FlaskForm):
    lines = FieldList(FormField(CountLineForm), min_entries=0, max_entries=100_000)


class ActionForm(FlaskForm):
    """CSRF only (approve, cancel)."""


class CountFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()], choices=[
        SelectChoice("", _l("All")), SelectChoice("active", _l("Open or submitted")),
        SelectChoice("open", _l("Open")), SelectChoice("submitted", _l("Submitted")),
        SelectChoice("approved", _l("Approved")), SelectChoice("cancelled", _l("Cancelled")),
    ])
    warehouse = SelectField(_l("Warehouse"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)
