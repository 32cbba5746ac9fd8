"""Average-cost accounting of one symbol in one book, one fill at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from athena.model.orders import FeeCharge

__all__ = ["Holding", "fee_parts"]

_ZERO = Decimal(0)


def fee_parts(symbol: str, fee: Decimal, detail: Sequence[FeeCharge] = ()) -> tuple[Decimal, Decimal]:
    """Return the part of a fill's fee paid from cash and the part paid in ``symbol``'s base currency.

    Parameters
    ----------
    symbol : str
        The fill's symbol, ``BASE/QUOTE``.
    fee : Decimal
        The fee valued in the quote currency, as the fill keeps it.
    detail : sequence of FeeCharge
        What the venue charged, per currency (empty: the quote value is all we know).

    Returns
    -------
    tuple of Decimal
        ``(cash, coins)``: the values of the amounts charged in the quote or a third currency,
        paid from cash, and the amount charged in the base currency, which never reaches (or
        leaves with) the position. Without ``detail``, ``(fee, 0)``.
    """
    if not detail:
        return fee, _ZERO
    base = symbol.partition("/")[0]
    coins = sum((charge.amount for charge in detail if charge.currency == base), _ZERO)
    return sum((charge.value for charge in detail if charge.currency != base), _ZERO), coins


@dataclass(frozen=True, slots=True)
class Holding:
    """What the fills of one symbol in one book add up to.

    A fill that adds to the position moves its average price; one that reduces it realises
    ``(price - average) * closed quantity`` (sign-adjusted); one that flips it closes the old
    position and opens the remainder at the fill price. ``cash_flow`` is the cash the fills
    took: the sum of ``signed quantity * price + fee``; ``fees`` is the fees paid from cash.

    A fee charged in the base currency (Binance takes a buy's fee from the coins bought) is not
    paid from cash: the position moves by ``signed quantity - base fee`` (a buy of 1 with a fee of
    0.001 adds 0.999; a sell of 1 with a fee of 0.001 removes 1.001) and the cash moves by
    ``signed quantity * price`` only. The fill's cash is spread over the coins that moved, so the
    fee is part of the cost, as an accountant books it: 0.999 coins bought for 1 x 100 have an
    average price of 100 / 0.999; selling 1 for 100 with 1.001 coins leaving realises
    ``100 - 1.001 * average``. Such a fee is therefore in ``average_price`` or ``realized_pnl``
    and not in ``fees``, so ``realized + unrealized - fees`` stays the change of the book's value.
    """

    quantity: Decimal = _ZERO
    average_price: Decimal = _ZERO
    realized_pnl: Decimal = _ZERO
    fees: Decimal = _ZERO
    cash_flow: Decimal = _ZERO

    def apply(self, signed_quantity: Decimal, price: Decimal, fee: Decimal, base_fee: Decimal = _ZERO) -> Holding:
        """Return the holding after one fill of ``signed_quantity`` (negative sells) at ``price``.

        Parameters
        ----------
        signed_quantity : Decimal
            The executed quantity, negative for a sell.
        price : Decimal
            The fill price.
        fee : Decimal
            The fee paid from cash, in the quote currency.
        base_fee : Decimal, default 0
            The fee charged in the base currency (see the class docstring); see :func:`fee_parts`.

        Raises
        ------
        ValueError
            When ``base_fee`` is negative, or not below the quantity of a buy.
        """
        if base_fee < 0 or (signed_quantity > 0 and base_fee >= signed_quantity):
            raise ValueError(f"a base-currency fee must be >= 0 and below a bought quantity, was base_fee={base_fee} "
                             f"quantity={signed_quantity}")
        moved = signed_quantity - base_fee
        value = signed_quantity * price
        unit = value / moved if base_fee else price
        held, average, realized = self.quantity, self.average_price, self.realized_pnl
        total = held + moved
        if held == 0 or (held > 0) == (moved > 0):
            average = (average * abs(held) + abs(value)) / abs(total)
        else:
            closed = min(abs(moved), abs(held))
            realized += (unit - average) * closed * (1 if held > 0 else -1)
            if total == 0:
                average = _ZERO
            elif (total > 0) != (held > 0):
                average = unit
        return Holding(total, average, realized, self.fees + fee, self.cash_flow + value + fee)
