"""Forms of the planning pages: start a run, filter suggestions, decide on them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.planning.decisions import MAX_QUANTITY
from app.planning.models import SuggestionStatus


class StartRunForm(FlaskForm):
    horizon = IntegerField(_l("Horizon (days)"), validators=[InputRequired(), NumberRange(min=1, max=365)],
                           default=28)
    warehouse = SelectField(_l("Warehouse"), validators=[Optional()], validate_choice=True)


STATUS_LABELS = {SuggestionStatus.OPEN.value: _l("Open"), SuggestionStatus.APPROVED.value: _l("Approved"),
                 SuggestionStatus.REJECTED.value: _l("Rejected"), SuggestionStatus.SUPERSEDED.value: _l("Superseded")}


class SuggestionFilterForm(FlaskForm):
    """GET filter form: no CSRF (it changes nothing). Choices are set by the view."""

    class Meta:
        csrf = False

    warehouse = SelectField(_l("Warehouse"), validators=[Optional()], validate_choice=True)
    supplier = SelectField(_l("Supplier"), validators=[Optional()], validate_choice=True)
    category = SelectField(_l("Category"), validators=[Optional()], validate_choice=True)
    within = IntegerField(_l("Stock-out within (days)"), validators=[Optional(), NumberRange(min=0, max=3650)])
    status = SelectField(_l("Status"), default=SuggestionStatus.OPEN.value, validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class SuggestionRowForm(Form):
    """One table row: its id, whether it is selected, and the (editable) quantity."""

    id = HiddenField(validators=[DataRequired()])
    selected = BooleanField(_l("Select"))
    quantity = IntegerField(_l("Quantity"), validators=[InputRequired(), NumberRange(min=0, max=MAX_QUANTITY)])


class SuggestionDecisionForm(FlaskForm):
    rows = FieldList(FormField(SuggestionRowForm), min_entries=0, max_entries=200)
    reason = StringField(_l("Reason for rejecting"), validators=[Length(max=255)])
    approve = SubmitField(_l("Approve selected"))
    reject = SubmitField(_l("Reject selected"))
    save = SubmitField(_l("Save quantities"))

    def validate_reason(self, field: StringField) -> None:
        from wtforms.validators import ValidationError

        if self.reject.data and not (field.data or "").strip():
            raise ValidationError(_l("required to reject"))

    def chosen(self) -> dict[int, int]:
        """Selected rows: id → quantity."""
        return {int(row.form.id.data): int(row.form.quantity.data) for row in self.rows
                if row.form.selected.data and str(row.form.id.data).isdigit()}

    def all_quantities(self) -> dict[int, int]:
        return {int(row.form.id.data): int(row.form.quantity.data) for row in self.rows
                if str(row.form.id.data).isdigit()}
