"""Supplier list filter and the price form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SearchField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.web.forms import FixedChoices


class SupplierFilterForm(FixedChoices, FlaskForm):
    class Meta:
        csrf = False

    fixed_choices = {"active": [("", _l("All")), ("yes", _l("Active")), ("no", _l("Inactive"))]}

    q = SearchField(_l("Code or name"), validators=[Optional(), Length(max=100)])
    active = SelectField(_l("Active"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class PriceListFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("SKU or name"), validators=[Optional(), Length(max=100)])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class PriceForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[InputRequired(), Length(max=64)])
    unit_price = DecimalField(_l("Unit price"), places=4, validators=[InputRequired(), NumberRange(min=0)])
    moq = IntegerField(_l("Minimum order quantity"), default=1, validators=[InputRequired(), NumberRange(min=1)])
    pack_size = IntegerField(_l("Pack size"), default=1, validators=[InputRequired(), NumberRange(min=1)])
    lead_time_days = IntegerField(_l("Lead time (days)"), default=7, validators=[InputRequired(), NumberRange(min=0, max=365)])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_to = DateField(_l("Valid to"), validators=[Optional()])
    is_preferred = BooleanField(_l("Preferred supplier for this product"))

    def validate_valid_to(self, field: DateField) -> None:
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("must be on or after Valid from"))
