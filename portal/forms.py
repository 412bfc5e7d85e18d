"""Portal forms (Flask-WTF: CSRF on every one)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional


class ConfirmLineForm(Form):
    """One row of the confirmation table (no CSRF of its own: the outer form has it)."""

    line_id = HiddenField(validators=[DataRequired()])
    include = BooleanField(_l("Confirm"), default=True)
    quantity = IntegerField(_l("Confirmed quantity"), validators=[Optional(), NumberRange(min=1, max=10_000_000)])
    ship_date = DateField(_l("Promised date"), validators=[Optional()])


class ConfirmLinesForm(FlaskForm):
    lines = FieldList(FormField(ConfirmLineForm), min_entries=0, max_entries=500)


class ConfirmAllForm(FlaskForm):
    """Confirm every open line as ordered (a button)."""


class RejectLineForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=255)])


class ShipmentLineForm(Form):
    line_id = HiddenField(validators=[DataRequired()])
    quantity = IntegerField(_l("Quantity to ship"), default=0,
                            validators=[InputRequired(), NumberRange(min=0, max=10_000_000)])


class ShipmentNoticeForm(FlaskForm):
    ship_date = DateField(_l("Ship date"), validators=[DataRequired()])
    expected_date = DateField(_l("Expected arrival"), validators=[DataRequired()])
    carrier = StringField(_l("Carrier"), validators=[Optional(), Length(max=80)])
    tracking_number = StringField(_l("Tracking number"), validators=[Optional(), Length(max=80)])
    lines = FieldList(FormField(ShipmentLineForm), min_entries=0, max_entries=500)


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("Repeat password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])
