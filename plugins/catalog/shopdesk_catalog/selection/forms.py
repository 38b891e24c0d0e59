"""The forms of the product selection pages.

Money is typed in the store currency's major units ("12.90") and kept as minor units; an
amount with more decimals than the currency has is refused rather than rounded.
"""

from decimal import Decimal

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..imports.values import BadValue, parse_money


class MoneyField(DecimalField):
    """A price in major units; ``minor()`` gives the integer minor units for ``currency``."""

    currency = "USD"

    def minor(self) -> int | None:
        if self.data is None:
            return None
        return parse_money(str(self.data), self.currency)

    def pre_validate(self, form):
        super().pre_validate(form)
        if self.data is not None:
            try:
                self.minor()
            except BadValue as exc:
                raise ValidationError(str(exc)) from exc


def _money(label):
    return MoneyField(label, validators=[Optional(), NumberRange(min=0, max=Decimal(10**10))])


class CandidateForm(FlaskForm):
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=200)])
    category_id = SelectField(lazy_gettext("Category"), coerce=int, default=0)
    supplier = StringField(lazy_gettext("Supplier"), validators=[Length(max=200)])
    expected_demand = IntegerField(lazy_gettext("Expected demand (units a month)"),
                                   validators=[Optional(), NumberRange(min=0, max=10**9)])
    search_interest = IntegerField(lazy_gettext("Search interest (0–100)"),
                                   validators=[Optional(), NumberRange(min=0, max=100)])
    feedback_rating = DecimalField(lazy_gettext("Customer rating (0–5)"), places=2,
                                   validators=[Optional(), NumberRange(min=0, max=5)])
    feedback_count = IntegerField(lazy_gettext("Number of reviews"), default=0,
                                  validators=[Optional(), NumberRange(min=0, max=10**9)])
    supplier_cost = _money(lazy_gettext("Supplier cost"))
    competitor_price = _money(lazy_gettext("Competitor price"))
    target_price = _money(lazy_gettext("Target price"))
    notes = TextAreaField(lazy_gettext("Notes"), validators=[Length(max=20000)], render_kw={"rows": 4})
    submit = SubmitField(lazy_gettext("Save candidate"))

    def setup(self, currency: str, categories: dict[int, str]):
        ordered = sorted(categories.items(), key=lambda item: item[1].casefold())
        self.category_id.choices = [SelectChoice(0, "—")] + [SelectChoice(cid, path) for cid, path in ordered]
        for field in (self.supplier_cost, self.competitor_price, self.target_price):
            field.currency = currency
        return self

    def data_for_service(self) -> dict:
        rating = self.feedback_rating.data
        return {
            "name": self.name.data.strip(),
            "category_id": self.category_id.data or None,
            "supplier": (self.supplier.data or "").strip(),
            "expected_demand": self.expected_demand.data,
            "search_interest": self.search_interest.data,
            "feedback_rating": None if rating is None else Decimal(rating).quantize(Decimal("0.01")),
            "feedback_count": self.feedback_count.data or 0,
            "supplier_cost": self.supplier_cost.minor(),
            "competitor_price": self.competitor_price.minor(),
            "target_price": self.target_price.minor(),
            "notes": self.notes.data or "",
        }


class PromoteForm(FlaskForm):
    sku = StringField(lazy_gettext("SKU"), validators=[DataRequired(), Length(max=64)])
    name = StringField(lazy_gettext("Product name"), validators=[DataRequired(), Length(max=200)])
    price = _money(lazy_gettext("Price"))
    submit = SubmitField(lazy_gettext("Promote to a draft product"))


class RejectForm(FlaskForm):
    reason = StringField(lazy_gettext("Reason"), validators=[Length(max=500)])
    submit = SubmitField(lazy_gettext("Reject"))
