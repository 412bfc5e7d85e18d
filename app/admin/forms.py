from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, PasswordField, SearchField, SelectField, StringField
from wtforms.fields import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, Regexp

from app.auth.models import Role, Scope

ROLE_CHOICES = [SelectChoice(r.value, r.value) for r in Role]


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(), Length(max=254), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Not an e-mail address."))])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=10, max=200)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class ActiveForm(FlaskForm):
    active = BooleanField(_l("Active"))


class ApiClientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    scopes = SelectMultipleField(_l("Scopes"), choices=[SelectChoice(s.value, s.value) for s in Scope],
                                 validators=[DataRequired()])
    webhook_url = StringField(_l("Webhook URL (optional)"), validators=[
        Optional(), Length(max=500), URL(require_tld=False, message=_l("Enter an http:// or https:// URL."))])


class ActionForm(FlaskForm):
    """CSRF only (revoke)."""


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = SearchField(_l("Actor"), validators=[Optional(), Length(max=100)])
    entity = SelectField(_l("Entity"), validators=[Optional()])
    entity_id = StringField(_l("Entity id"), validators=[Optional(), Length(max=64)])
    action = SearchField(_l("Action"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class MasterDataForm(FlaskForm):
    """A category's or warehouse's names; `kind` and `code` say which."""

    kind = SelectField(_l("Kind"), choices=[SelectChoice("category", _l("Category")),
                                            SelectChoice("warehouse", _l("Warehouse"))])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    name_zh = StringField(_l("Chinese name"), validators=[Optional(), Length(max=120)])
