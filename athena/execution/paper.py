"""The paper venue: fills against the latest mark price, with fees and slippage.

Market orders fill at once at the mark, moved against the taker by ``slippage_bps``; limit
orders fill when the mark reaches their price (at their price); stop orders become market
orders when the mark crosses the stop. IOC orders that cannot fill at once are cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from athena.execution.oms import record_fill, transition
from athena.model import OrderStatus, OrderType, Side, TimeInForce, to_decimal
from athena.store import MarkRow, OrderRow

__all__ = ["PaperVenue"]

_BPS = Decimal("0.0001")


@dataclass(frozen=True)
class PaperVenue:
    """Simulated matching with a taker fee rate and slippage in basis points."""

    name: str = "paper"
    fee_rate: Decimal = Decimal("0.001")
    slippage_bps: Decimal = Decimal("1")

    def set_mark(self, s: Session, symbol: str, price: Decimal | float | str, now: datetime) -> int:
        """Record the latest price of ``symbol`` and match resting orders; return fills made."""
        value = to_decimal(price, "price")
        if value <= 0:
            raise ValueError(f"mark price must be > 0, was {value}")
        s.merge(MarkRow(symbol=symbol, price=value, ts=now))
        s.flush()
        resting = s.exec(select(OrderRow).where(
            OrderRow.symbol == symbol, OrderRow.venue == self.name,
            col(OrderRow.status).in_([OrderStatus.OPEN.value, OrderStatus.PARTIALLY_FILLED.value]),
        ).order_by(col(OrderRow.id)))
        return sum(self._match(s, row, value, now) for row in resting.all())

    def execute(self, s: Session, row: OrderRow, now: datetime) -> None:
        """Acknowledge a SUBMITTED order and fill what the current mark allows."""
        transition(s, row, OrderStatus.OPEN, now)
        mark = s.get(MarkRow, row.symbol)
        filled = self._match(s, row, mark.price, now) if mark is not None else 0
        if not filled and row.tif == TimeInForce.IOC.value:
            transition(s, row, OrderStatus.CANCELLED, now, "IOC order could not fill at once")

    def _match(self, s: Session, row: OrderRow, mark: Decimal, now: datetime) -> int:
        side = Side(row.side)
        kind = OrderType(row.type)
        if kind is OrderType.LIMIT and row.price is not None:
            crosses = mark <= row.price if side is Side.BUY else mark >= row.price
            price = row.price
        else:
            if kind is OrderType.STOP and row.stop_price is not None:
                if not (mark >= row.stop_price if side is Side.BUY else mark <= row.stop_price):
                    return 0
            crosses = True
            price = mark * (1 + side.sign * self.slippage_bps * _BPS)
        if not crosses:
            return 0
        quantity = row.quantity - row.filled_quantity
        record_fill(s, row, quantity, price, (price * quantity * self.fee_rate), now)
        return 1
