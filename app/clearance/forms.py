from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

ACTION_CHOICES = [SelectChoice("markdown", _l("Markdown (price cut)")),
                  SelectChoice("transfer_back", _l("Transfer back to the cloud warehouse")),
                  SelectChoice("return_to_supplier", _l("Return to the supplier"))]


class ClearanceForm(FlaskForm):
    """Mark one SKU for clearance (the slow movers page shows one per row)."""

    sku = HiddenField(validators=[DataRequired()])
    action = SelectField(_l("How"), choices=ACTION_CHOICES, validators=[DataRequired()])
    target_date = DateField(_l("Cleared by"), validators=[DataRequired()])
    markdown_pct = IntegerField(_l("Markdown %"), validators=[Optional(), NumberRange(1, 99)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=255)])


class CloseClearanceForm(FlaskForm):
    outcome = HiddenField(validators=[DataRequired()])
