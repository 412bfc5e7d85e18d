"""Forms of the catalog pages: filters (GET: no CSRF, they change nothing) and hot-SKU mode (POST)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SearchField, SelectField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from app.stock.models import MAX_BUCKETS, MovementKind
from app.web.filters import LABELS
from app.web.forms import FixedChoices


class HotSkuForm(FlaskForm):
    """Hot-SKU mode of one product (admins): stock buckets per warehouse, 1 = off."""

    buckets = IntegerField(_l("Stock buckets per warehouse"), validators=[NumberRange(min=1, max=MAX_BUCKETS)])


class ProductFilterForm(FixedChoices, FlaskForm):
    class Meta:
        csrf = False

    fixed_choices = {"sort": [
        ("sku", _l("SKU")), ("-sku", _l("SKU (Z to A)")), ("name", _l("Name")), ("-name", _l("Name (Z to A)")),
        ("on_hand", _l("On hand (most first)")),
        ("available", _l("Available (most first)")), ("on_order", _l("On order (most first)")),
    ]}

    q = SearchField(_l("SKU, name or style number"), validators=[Optional(), Length(max=100)])
    category = SelectField(_l("Category"), validators=[Optional()], validate_choice=True)
    warehouse = SelectField(_l("Warehouse"), validators=[Optional()], validate_choice=True)
    sort = SelectField(_l("Sort by"), validators=[Optional()], default="sku")
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class MovementFilterForm(FixedChoices, FlaskForm):
    class Meta:
        csrf = False

    fixed_choices = {
        "kind": [("", _l("All kinds")), *[(k.value, LABELS.get(k.value, k.value.replace("_", " "))) for k in MovementKind]],
        "demand": [("week", _l("week")), ("day", _l("day"))],
    }

    warehouse = SelectField(_l("Warehouse"), validators=[Optional()], validate_choice=True)
    kind = SelectField(_l("Movement kind"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    demand = SelectField(_l("Demand per"), validators=[Optional()], default="week")
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("must be on or after the From date"))
