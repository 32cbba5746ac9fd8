"""The paper venue: fills against the feed's prices, with fees, slippage, latency and participation.

Market orders fill at the mark, moved against the taker by ``slippage_bps``; limit orders fill
when the mark reaches their price (at their price); stop orders become market orders when the
mark crosses the stop. IOC orders cancel what they cannot fill at their first chance.

With the defaults an order fills at once when it is accepted. ``latency_ms`` keeps an accepted
order SUBMITTED until that much time has passed and the next price arrives, as an order on its
way to an exchange is. ``participation`` caps what the orders of a symbol may fill on one tick
at that share of the tick's traded volume (shared in arrival order), so a large order fills over
several ticks, as PARTIALLY_FILLED in between; orders then wait for the next tick to fill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from athena.config import TradingSettings
from athena.execution.marks import last_mark
from athena.execution.oms import PAPER_VENUE, record_fill, transition
from athena.model import OrderStatus, OrderType, Side, TimeInForce, to_decimal
from athena.store import InstrumentRow, MarkRow, OrderRow

__all__ = ["PaperVenue"]

_BPS = Decimal("0.0001")
_RESTING = [OrderStatus.OPEN.value, OrderStatus.PARTIALLY_FILLED.value]


@dataclass(frozen=True)
class PaperVenue:
    """Simulated matching: taker fee rate, slippage in basis points, latency and volume participation."""

    name: str = PAPER_VENUE
    fee_rate: Decimal = Decimal("0.001")
    slippage_bps: Decimal = Decimal("1")
    latency_ms: int = 0
    participation: Decimal | None = None

    @classmethod
    def from_settings(cls, trading: TradingSettings) -> PaperVenue:
        """Return the paper venue a workspace's settings describe."""
        return cls(fee_rate=trading.fee_rate, slippage_bps=trading.slippage_bps, latency_ms=trading.latency_ms,
                   participation=trading.participation)

    @property
    def fills_on_ticks(self) -> bool:
        """Return whether orders wait for the next price instead of filling when accepted."""
        return self.latency_ms > 0 or self.participation is not None

    def set_mark(self, s: Session, symbol: str, price: Decimal | float | str, now: datetime,
                 volume: Decimal | None = None) -> int:
        """Record the latest price of ``symbol`` and match the orders it reaches; return fills made.

        ``volume`` is what traded on the market since the previous price; with ``participation``
        set, orders fill at most that share of it, and nothing without it.
        """
        value = to_decimal(price, "price")
        if value <= 0:
            raise ValueError(f"mark price must be > 0, was {value}")
        s.merge(MarkRow(symbol=symbol, price=value, ts=now))
        s.flush()
        arrived = s.exec(select(OrderRow).where(
            OrderRow.symbol == symbol, OrderRow.venue == self.name, OrderRow.status == OrderStatus.SUBMITTED.value,
            col(OrderRow.created_at) <= now - timedelta(milliseconds=self.latency_ms)))
        for row in arrived.all():
            transition(s, row, OrderStatus.OPEN, now)
        resting = s.exec(select(OrderRow).where(
            OrderRow.symbol == symbol, OrderRow.venue == self.name, col(OrderRow.status).in_(_RESTING),
        ).order_by(col(OrderRow.id)))
        available = None if self.participation is None else self.participation * (volume or Decimal(0))
        fills = 0
        for row in resting.all():
            filled = self._match(s, row, value, now, available)
            if available is not None:
                available -= filled
            fills += filled > 0
            if row.tif == TimeInForce.IOC.value and OrderStatus(row.status).is_open:
                transition(s, row, OrderStatus.CANCELLED, now, "IOC order could not fill in full at once")
        return fills

    def execute(self, s: Session, row: OrderRow, now: datetime) -> None:
        """Take a SUBMITTED order: acknowledge and fill it now, or leave it for the next prices."""
        if self.latency_ms > 0:
            return
        transition(s, row, OrderStatus.OPEN, now)
        if self.participation is not None:
            return
        mark = last_mark(s, row.symbol)
        filled = self._match(s, row, mark[0], now, None) if mark is not None else Decimal(0)
        if not filled and row.tif == TimeInForce.IOC.value:
            transition(s, row, OrderStatus.CANCELLED, now, "IOC order could not fill at once")

    def _match(self, s: Session, row: OrderRow, mark: Decimal, now: datetime, available: Decimal | None) -> Decimal:
        side = Side(row.side)
        kind = OrderType(row.type)
        if kind is OrderType.LIMIT and row.price is not None:
            if not (mark <= row.price if side is Side.BUY else mark >= row.price):
                return Decimal(0)
            price = row.price
        else:
            if kind is OrderType.STOP and row.stop_price is not None and not row.filled_quantity:
                if not (mark >= row.stop_price if side is Side.BUY else mark <= row.stop_price):
                    return Decimal(0)
            price = mark * (1 + side.sign * self.slippage_bps * _BPS)
        quantity = row.quantity - row.filled_quantity
        if available is not None:
            quantity = min(quantity, _lots(available, s, row.symbol))
        if quantity <= 0:
            return Decimal(0)
        record_fill(s, row, quantity, price, price * quantity * self.fee_rate, now)
        return quantity


def _lots(quantity: Decimal, s: Session, symbol: str) -> Decimal:
    instrument = s.get(InstrumentRow, symbol)
    if instrument is None or instrument.lot_size <= 0:
        return quantity
    return (quantity // instrument.lot_size) * instrument.lot_size
