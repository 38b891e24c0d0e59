"""Money: integer minor units plus an ISO 4217 currency. Never floats.

Arithmetic refuses to mix currencies, because adding TWD to USD is always a bug.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from babel.numbers import format_currency, get_currency_precision


class CurrencyMismatch(ValueError):
    pass


@dataclass(frozen=True, order=False)
class Money:
    """An amount in integer minor units of an ISO 4217 currency; format it with the ``money`` filter."""

    amount: int  # minor units, as many as ISO 4217 gives the currency (cents for USD)
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"Money amount must be an int of minor units, got {self.amount!r}")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"currency must be an ISO 4217 code such as 'USD', got {self.currency!r}")

    @classmethod
    def from_decimal(cls, value, currency: str) -> "Money":
        """Money.from_decimal("12.99", "USD") == Money(1299, "USD"); rounds half to even."""
        currency = currency.upper()
        exponent = Decimal(1).scaleb(-get_currency_precision(currency))
        minor = Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_EVEN).scaleb(get_currency_precision(currency))
        return cls(int(minor), currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency.upper())

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-get_currency_precision(self.currency))

    def _same(self, other) -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other):
        other = self._same(other)
        return other if other is NotImplemented else Money(self.amount + other.amount, self.currency)

    def __sub__(self, other):
        other = self._same(other)
        return other if other is NotImplemented else Money(self.amount - other.amount, self.currency)

    def __neg__(self):
        return Money(-self.amount, self.currency)

    def __mul__(self, factor):
        if isinstance(factor, bool) or not isinstance(factor, (int, Decimal)):
            return NotImplemented
        value = Decimal(self.amount) * factor
        return Money(int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)), self.currency)

    __rmul__ = __mul__

    def _compare(self, other, op):
        other = self._same(other)
        return other if other is NotImplemented else op(self.amount, other.amount)

    def __lt__(self, other):
        return self._compare(other, int.__lt__)

    def __le__(self, other):
        return self._compare(other, int.__le__)

    def __gt__(self, other):
        return self._compare(other, int.__gt__)

    def __ge__(self, other):
        return self._compare(other, int.__ge__)

    def __bool__(self):
        return self.amount != 0

    def format(self, locale: str = "en") -> str:
        """Localised text, e.g. Money(129000, "TWD").format("zh_Hant_TW") == "$1,290.00"."""
        return format_currency(self.to_decimal(), self.currency, locale=locale)

    def __str__(self):
        return f"{self.to_decimal()} {self.currency}"
