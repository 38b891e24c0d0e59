"""Small pure rules the engine and the price writers share: rounding, markup, margin.

Everything here works on integer minor units; percentages are Decimals. No database.
"""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from functools import lru_cache

from babel.numbers import get_currency_precision

# The store setting ``rounding``: what the last step of every price does.
ROUNDING_RULES = {
    "none": "no rounding",
    "0.99": "up to the next price ending in .99",
    "0.95": "up to the next price ending in .95",
    "whole": "to the nearest whole unit (half up)",
    "0.05": "to the nearest 0.05 (half up)",
}
ROUNDING_LABELS = {"0.99": "rounding .99", "0.95": "rounding .95", "whole": "rounding to whole units",
                   "0.05": "rounding to 0.05"}


@lru_cache(maxsize=None)
def precision(currency: str) -> int:
    """Decimals of the currency's minor unit (2 for USD, 0 for JPY), from babel, cached."""
    return get_currency_precision(currency)


def minor_per_unit(currency: str) -> int:
    """100 for USD and TWD, 1 for JPY: how many minor units make one whole unit."""
    return 10 ** precision(currency)


def rounded(price: int, rule: str, currency: str) -> int:
    """The price after the store's rounding rule; currencies without minor units only round
    to whole units, which they already are."""
    unit = minor_per_unit(currency)
    if rule == "none" or unit == 1 or price <= 0:
        return price
    if rule in ("0.99", "0.95"):
        ending = unit * (99 if rule == "0.99" else 95) // 100
        whole = price // unit
        candidate = whole * unit + ending
        return candidate if candidate >= price else candidate + unit
    step = unit if rule == "whole" else unit * 5 // 100
    return int((Decimal(price) / step).quantize(Decimal(1), ROUND_HALF_UP)) * step


def marked_up(cost: int, markup_percent: Decimal) -> int:
    """Cost plus a markup, rounded half up to a minor unit."""
    return int((Decimal(cost) * (100 + Decimal(markup_percent)) / 100).quantize(Decimal(1), ROUND_HALF_UP))


def minimum_price(cost: int, min_margin_percent) -> int:
    """The margin guard's floor: unit cost × (1 + minimum margin), rounded up to a minor unit."""
    return int((Decimal(cost) * (100 + Decimal(min_margin_percent)) / 100).quantize(Decimal(1), ROUND_CEILING))


def margin_percent(price: int | None, cost: int | None) -> Decimal | None:
    """Gross margin at ``price``: (price - cost) / price, in percent with one decimal.
    None when the price is zero or the cost is unknown (a cost of 0 counts as unknown)."""
    if not price or not cost:
        return None
    return (Decimal(price - cost) * 100 / Decimal(price)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def percent_text(value: Decimal) -> str:
    """5 → "5", 2.50 → "2.5": percentages as people write them."""
    text = format(Decimal(value).normalize(), "f")
    return text


def amount_text(minor: int, currency: str) -> str:
    """1290 USD → "12.90", 1290 JPY → "1,290": an amount for trail labels, without symbol."""
    places = precision(currency)
    return f"{Decimal(minor).scaleb(-places):,.{places}f}"


def to_minor(text: str, currency: str) -> int:
    """"12.90" USD → 1290; raises ValueError for text that is not an amount with at most the
    currency's decimals."""
    value = Decimal(str(text).strip().replace(",", ""))
    if not value.is_finite():
        raise ValueError("not a number")
    scaled = value.scaleb(get_currency_precision(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"at most {get_currency_precision(currency)} decimals")
    return int(scaled)
