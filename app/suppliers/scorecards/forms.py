"""Forms of the scorecard pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp


class ScorecardFilterForm(FlaskForm):
    """GET filter: no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    month = StringField(_l("Month"), validators=[Optional(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$",
                                                                    message=_l("Use YYYY-MM."))])
    window = SelectField(_l("Window"), choices=[SelectChoice("1", _l("Month")), SelectChoice("3", _l("Rolling 3 months")),
                                                SelectChoice("12", _l("Rolling 12 months"))], default="3")
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class ScorecardSettingsForm(FlaskForm):
    weight_on_time = IntegerField(_l("Weight: on time"), validators=[DataRequired(), NumberRange(min=0, max=100)])
    weight_quality = IntegerField(_l("Weight: quality"), validators=[DataRequired(), NumberRange(min=0, max=100)])
    weight_price = IntegerField(_l("Weight: price"), validators=[DataRequired(), NumberRange(min=0, max=100)])
    threshold_a = IntegerField(_l("Standing A from"), validators=[DataRequired(), NumberRange(min=0, max=100)])
    threshold_b = IntegerField(_l("Standing B from"), validators=[DataRequired(), NumberRange(min=0, max=100)])
    grace_days = IntegerField(_l("On-time grace (days)"), validators=[Optional(), NumberRange(min=0, max=30)])


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254),
                                                Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Not an e-mail address."))])
