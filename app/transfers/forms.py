from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, IntegerField, SearchField, SelectField, StringField, TextAreaField
from wtforms.fields import FieldList, FormField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation, ValidationError

LINE_ROWS = 8


def quantity_needed_with_sku(form: Form, field: IntegerField) -> None:
    """A line with a SKU needs a quantity (a blank row is simply skipped)."""
    if (form.sku.data or "").strip() and not (field.raw_data and field.raw_data[0].strip()):
        raise StopValidation(_l("Enter a quantity for this SKU."))


class TransferLineForm(Form):
    sku = StringField(_l("SKU"), validators=[Optional(), Length(max=64)])
    quantity = IntegerField(_l("Quantity"), validators=[quantity_needed_with_sku, Optional(),
                                                        NumberRange(min=1, max=10_000_000)])


class TransferForm(FlaskForm):
    source = SelectField(_l("From warehouse"), validators=[DataRequired()])
    dest = SelectField(_l("To warehouse"), validators=[DataRequired()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(TransferLineForm), min_entries=LINE_ROWS, max_entries=200)

    def validate_dest(self, field: SelectField) -> None:
        if field.data and field.data == self.source.data:
            raise ValidationError(_l("Choose a different warehouse than the source."))


class ReceiveLineForm(Form):
    received = IntegerField(_l("Received"), validators=[InputRequired(message=_l("Enter the quantity received.")),
                                                        NumberRange(min=0)])
    note = StringField(_l("Discrepancy note"), validators=[Optional(), Length(max=255)])


class ReceiveForm(FlaskForm):
    lines = FieldList(FormField(ReceiveLineForm), min_entries=0, max_entries=1000)


class ActionForm(FlaskForm):
    """An empty POST form: CSRF only (ship, cancel)."""


class TransferFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Number"), validators=[Optional(), Length(max=40)])
    status = SelectField(_l("Status"), validators=[Optional()], choices=[
        SelectChoice("", _l("All")), SelectChoice("open", _l("Open (draft or in transit)")),
        SelectChoice("in_transit", _l("In transit")), SelectChoice("draft", _l("Draft")),
        SelectChoice("received", _l("Received")), SelectChoice("cancelled", _l("Cancelled")),
    ])
    warehouse = SelectField(_l("Warehouse"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)
