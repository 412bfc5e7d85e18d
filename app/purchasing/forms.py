"""Forms of the purchasing pages: PO filter and editor, receiving, returns, action buttons."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.purchasing.models import POStatus, ReturnStatus
from app.web.filters import LABELS
from app.web.forms import FixedChoices

BLANK_LINES = 5


class OrderFilterForm(FixedChoices, FlaskForm):
    class Meta:
        csrf = False

    fixed_choices = {"status": [("", _l("All statuses")), *[(s.value, LABELS.get(s.value, s.value)) for s in POStatus]]}

    q = SearchField(_l("PO number or supplier"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), validators=[Optional()])
    supplier = SelectField(_l("Supplier"), validators=[Optional()], validate_choice=True)
    warehouse = SelectField(_l("Deliver to"), validators=[Optional()], validate_choice=True)
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class POLineForm(Form):
    sku = StringField(_l("SKU"), validators=[Optional(), Length(max=64)])
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(min=1, max=10_000_000)])
    unit_price = DecimalField(_l("Unit price"), places=4, validators=[Optional(), NumberRange(min=0)])
    promised_date = DateField(_l("Promised date"), validators=[Optional()])


class OrderForm(FlaskForm):
    supplier = SelectField(_l("Supplier"), validators=[InputRequired()], validate_choice=True)
    warehouse = SelectField(_l("Deliver to"), validators=[InputRequired()], validate_choice=True, coerce=int)
    notes = TextAreaField(_l("Notes for the supplier"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(POLineForm), min_entries=BLANK_LINES, max_entries=200)


class ReceiveLineForm(Form):
    line_id = HiddenField()
    received = IntegerField(_l("Received now"), default=0, validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    rejected = IntegerField(_l("Rejected"), default=0, validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    reason = SelectField(_l("Reason"), validators=[Optional()], validate_choice=True)


class ReceiveForm(FlaskForm):
    notice = HiddenField()
    notes = TextAreaField(_l("Receiving notes"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(ReceiveLineForm), max_entries=200)


class ActionForm(FlaskForm):
    """A bare form for action buttons (send, cancel, ship, close): CSRF only."""


class ShortCloseForm(FlaskForm):
    reason = StringField(_l("Why the rest will not come"), validators=[DataRequired(), Length(max=255)])


class ReturnFilterForm(FixedChoices, FlaskForm):
    class Meta:
        csrf = False

    fixed_choices = {"status": [("", _l("All statuses")), *[(s.value, LABELS.get(s.value, s.value)) for s in ReturnStatus]]}

    q = SearchField(_l("Return or PO number"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)
