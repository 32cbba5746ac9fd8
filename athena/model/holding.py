"""Average-cost accounting of one symbol in one book, one fill at a time."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Holding"]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Holding:
    """What the fills of one symbol in one book add up to.

    A fill that adds to the position moves its average price; one that reduces it realises
    ``(price - average) * closed quantity`` (sign-adjusted); one that flips it closes the old
    position and opens the remainder at the fill price. ``cash_flow`` is the cash the fills
    took: the sum of ``signed quantity * price + fee``.
    """

    quantity: Decimal = _ZERO
    average_price: Decimal = _ZERO
    realized_pnl: Decimal = _ZERO
    fees: Decimal = _ZERO
    cash_flow: Decimal = _ZERO

    def apply(self, signed_quantity: Decimal, price: Decimal, fee: Decimal) -> Holding:
        """Return the holding after one fill of ``signed_quantity`` (negative sells) at ``price``."""
        held, average, realized = self.quantity, self.average_price, self.realized_pnl
        total = held + signed_quantity
        if held == 0 or (held > 0) == (signed_quantity > 0):
            average = (average * abs(held) + price * abs(signed_quantity)) / abs(total)
        else:
            closed = min(abs(signed_quantity), abs(held))
            realized += (price - average) * closed * (1 if held > 0 else -1)
            if total == 0:
                average = _ZERO
            elif (total > 0) != (held > 0):
                average = price
        return Holding(total, average, realized, self.fees + fee, self.cash_flow + signed_quantity * price + fee)
