"""Exact decimal money, price and quantity values for the OMS, ledger and DCA paths."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["Money", "Price", "Quantity", "to_decimal"]


def to_decimal(value: Decimal | int | str | float, name: str = "value") -> Decimal:
    """Convert ``value`` to a finite Decimal, refusing NaN, infinities and garbage.

    Floats go through ``repr`` so ``0.1`` becomes ``Decimal('0.1')``, not its binary expansion.
    """
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, was {value!r}")
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{name} must be a number, was {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{name} must be finite, was {value!r}")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount, "amount"))
        if not self.currency or not self.currency.isalnum() or not self.currency.isupper():
            raise ValueError(f"currency must be an upper-case code like 'USD', was {self.currency!r}")

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor, "factor"), self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True, slots=True, order=True)
class Price:
    """A strictly positive price."""

    value: Decimal

    def __post_init__(self) -> None:
        value = to_decimal(self.value, "price")
        if value <= 0:
            raise ValueError(f"price must be > 0, was {value}")
        object.__setattr__(self, "value", value)

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True, order=True)
class Quantity:
    """A non-negative quantity of an instrument."""

    value: Decimal

    def __post_init__(self) -> None:
        value = to_decimal(self.value, "quantity")
        if value < 0:
            raise ValueError(f"quantity must be >= 0, was {value}")
        object.__setattr__(self, "value", value)

    def __str__(self) -> str:
        return str(self.value)
