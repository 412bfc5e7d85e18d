from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Regexp

KIND_CHOICES = [
    SelectChoice("products", _l("Products")), SelectChoice("supplier_prices", _l("Supplier price lists")),
    SelectChoice("opening_stock", _l("Opening stock")), SelectChoice("sales", _l("Sales history")),
]


class UploadForm(FlaskForm):
    kind = SelectField(_l("What the file holds"), choices=KIND_CHOICES)
    file = FileField(_l("CSV file (UTF-8)"), validators=[FileRequired(message=_l("Choose a CSV file."))])


class ConfirmForm(FlaskForm):
    kind = SelectField(choices=KIND_CHOICES)
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])
