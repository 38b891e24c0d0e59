"""Forms through the plugin's marshmallow schema: the page and the API validate alike.

``load_form(NoteSchema)`` loads ``request.form`` with the schema the API uses, so a field is
checked once, in one place; what is refused becomes a :class:`Refusal` (422, each field
named) that ``on_refusal`` turns back into the form with the user's input. Amounts are typed
in major units (``"1,200.50"``): :class:`MajorUnits` reads them in the reader's locale into
integer minor units of the currency, refusing more decimals than the currency has.
"""

from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields

from .refusals import Refusal


def _flat(messages, prefix="") -> dict:
    """marshmallow's nested messages as ``{"lines.0.sku": [...]}``."""
    flat = {}
    for name, value in (messages.items() if isinstance(messages, dict) else [("_schema", messages)]):
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flat(value, key + "."))
        else:
            flat[key] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return flat


def refusal_from(error: ValidationError, status: int = 422) -> Refusal:
    """A marshmallow ValidationError as a Refusal naming every field."""
    errors = _flat(error.messages)
    first = next(iter(errors.items()), ("input", ["invalid"]))
    message = f"{first[0]}: {' '.join(first[1])}" if len(errors) == 1 else \
        "Invalid input: " + ", ".join(sorted(errors))
    return Refusal(status, "validation_error", message, errors)


def load_form(schema, data=None, *, partial=False, **extra) -> dict:
    """``data`` (``request.form`` by default, blank fields left out) plus ``extra`` loaded by
    ``schema`` (a class or an instance); a refusal names each field at fault."""
    from flask import request

    form = request.form if data is None else data
    if hasattr(form, "to_dict"):
        many = [name for name in form if len(form.getlist(name)) > 1]
        values = {name: (form.getlist(name) if name in many else form[name]) for name in form}
    else:
        values = dict(form)
    values = {name: value for name, value in values.items() if value != "" and name != "csrf_token"}
    values.update(extra)
    instance = schema() if isinstance(schema, type) else schema
    try:
        return instance.load(values, partial=partial, unknown="exclude")
    except ValidationError as exc:
        raise refusal_from(exc) from None


def parse_major(text, currency: str, locale: str | None = None) -> int:
    """``"1,200.50"`` USD → 120050; ``"1200"`` TWD → 1200. Raises ValueError with a message a
    person understands for text that is not an amount or has more decimals than the currency."""
    from babel.numbers import NumberFormatError, get_currency_precision, parse_decimal

    from ..i18n import format_locale

    raw = str(text).strip()
    places = get_currency_precision(currency)
    try:
        value = parse_decimal(raw, locale=locale or format_locale(), strict=False)
    except (NumberFormatError, InvalidOperation):
        raise ValueError(f"'{raw[:40]}' is not an amount: write it like 1200 or 1,200.50.") from None
    if not value.is_finite() or abs(value) >= Decimal(10) ** 13:
        raise ValueError(f"'{raw[:40]}' is not an amount this store can hold.")
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency} has {places} decimal place(s); '{raw[:40]}' has more.")
    return int(scaled)


class MajorUnits(fields.Field):
    """An amount typed in major units, loaded as integer minor units.

    ``currency`` is a code or a callable giving one (``lambda: current_store().currency``);
    ``minimum`` (minor units) refuses smaller amounts. Dumps minor units as major-unit text.
    """

    def __init__(self, currency, *, minimum: int | None = 0, **kwargs):
        super().__init__(**kwargs)
        self.currency, self.minimum = currency, minimum

    def _currency(self) -> str:
        return self.currency() if callable(self.currency) else self.currency

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Enter an amount.")
        try:
            minor = parse_major(value, self._currency())
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if self.minimum is not None and minor < self.minimum:
            raise ValidationError("Must not be negative." if self.minimum == 0 else "Too small.")
        return minor

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        from babel.numbers import get_currency_precision

        places = get_currency_precision(self._currency())
        return f"{Decimal(value).scaleb(-places):.{places}f}"
