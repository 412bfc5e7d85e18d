from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length, Regexp

from app.web.forms import FixedChoices


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(), Length(max=254), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Not an e-mail address.")),
    ])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class LanguageForm(FixedChoices, FlaskForm):
    fixed_choices = {"locale": [("en", "English"), ("zh", "中文")]}

    locale = SelectField(_l("Language"))
