from __future__ import annotations

from decimal import Decimal

import pytest

from athena.model import Money, Price, Quantity, to_decimal


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "abc", None, True, "NaN"])
def test_to_decimal_when_not_finite_number_raises(bad: object) -> None:
    with pytest.raises(ValueError, match="value"):
        to_decimal(bad)  # type: ignore[arg-type]


def test_to_decimal_when_float_keeps_short_repr() -> None:
    assert to_decimal(0.1) == Decimal("0.1")


def test_money_when_added_is_exact() -> None:
    total = Money(Decimal("0.1"), "USD") + Money(Decimal("0.2"), "USD")
    assert total == Money(Decimal("0.3"), "USD")


def test_money_when_currencies_differ_refuses() -> None:
    with pytest.raises(ValueError, match="USD with EUR"):
        Money(Decimal(1), "USD") + Money(Decimal(1), "EUR")


def test_price_when_not_positive_raises() -> None:
    with pytest.raises(ValueError, match="price must be > 0, was 0"):
        Price(Decimal(0))


def test_quantity_when_negative_raises() -> None:
    with pytest.raises(ValueError, match="quantity must be >= 0, was -1"):
        Quantity(Decimal(-1))


def test_values_when_assigned_are_immutable() -> None:
    price = Price(Decimal("1.5"))
    with pytest.raises(AttributeError):
        price.value = Decimal(2)  # type: ignore[misc]
