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
    scope = SelectField(_l("What to count"), default="warehouse", choices=[
        SelectChoice("warehouse", _l("Everything in the warehouse")),
        SelectChoice("category", _l("One category")),
        SelectChoice("skus", _l("SKUs I pick")),
        SelectChoice("top_value", _l("The SKUs with the largest value at risk")),
    ])
    category = SelectField(_l("Category"), validators=[Optional()])
    skus = TextAreaField(_l("SKUs"), validators=[Optional(), Length(max=20_000)],
                         description=_l("One per line, or separated by commas or spaces."))
    top_value = IntegerField(_l("How many SKUs (largest value at risk)"), default=20,
                             validators=[Optional(), NumberRange(min=1, max=500)])

    def sku_list(self) -> list[str]:
        return (self.skus.data or "").replace(",", " ").split()


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
