"""Money is integer minor units plus a currency, and refuses to mix currencies."""

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from shopdesk.money import CurrencyMismatch, Money


def test_arithmetic_in_one_currency():
    assert Money(1290, "TWD") + Money(10, "TWD") == Money(1300, "TWD")
    assert Money(500, "USD") - Money(501, "USD") == Money(-1, "USD")
    assert Money(333, "USD") * 3 == Money(999, "USD")
    assert Money(1000, "USD") * Decimal("0.95") == Money(950, "USD")
    assert -Money(5, "EUR") == Money(-5, "EUR")
    assert Money(1, "USD") < Money(2, "USD")


@pytest.mark.parametrize("operation", [
    lambda: Money(1, "USD") + Money(1, "TWD"),
    lambda: Money(1, "USD") - Money(1, "EUR"),
    lambda: Money(1, "USD") < Money(1, "JPY"),
])
def test_mixing_currencies_is_refused(operation):
    with pytest.raises(CurrencyMismatch, match="cannot combine"):
        operation()


def test_floats_and_bad_currencies_are_refused():
    with pytest.raises(TypeError, match="minor units"):
        Money(12.5, "USD")
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(1, "usd")
    with pytest.raises(TypeError):
        Money(1, "USD") * 1.1


def test_decimal_conversion_follows_the_currencys_minor_unit():
    assert Money.from_decimal("12.99", "usd") == Money(1299, "USD")
    assert Money.from_decimal("1290", "JPY") == Money(1290, "JPY")
    assert Money.from_decimal("0.125", "USD") == Money(12, "USD")  # half to even
    assert Money(1299, "USD").to_decimal() == Decimal("12.99")


def test_formatting_follows_the_locale():
    assert Money(129000, "USD").format("en_US") == "$1,290.00"
    assert Money(129000, "EUR").format("de_DE") == "1.290,00\xa0€"
    assert Money(129000, "TWD").format("zh_Hant_TW") == "$1,290.00"
    assert Money(1290, "JPY").format("ja_JP") == "￥1,290"


@given(st.integers(-10**12, 10**12), st.integers(-10**12, 10**12), st.sampled_from(["USD", "TWD", "JPY"]))
def test_addition_and_subtraction_round_trip(a, b, currency):
    assert (Money(a, currency) + Money(b, currency)) - Money(b, currency) == Money(a, currency)
