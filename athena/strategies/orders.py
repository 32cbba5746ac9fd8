"""Research-side order values seen by strategies: orders, fills, positions (float64)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

__all__ = ["Fill", "Order", "OrderStatus", "OrderType", "Position"]


class OrderType(StrEnum):
    """How an order is priced."""

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the strategy sees it.

    ``size`` is signed (positive buys, negative sells); ``None`` means all-in: at fill time, spend
    all free cash (``weight`` caps it to a fraction of equity); ``close`` orders flatten the position.
    """

    id: int
    symbol: str
    side: int
    type: OrderType
    size: float | None
    limit: float | None
    stop: float | None
    weight: float | None
    close: bool
    submitted: pd.Timestamp
    tag: str | None
    status: OrderStatus = OrderStatus.OPEN


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution: a signed size at a price, with its commission."""

    order_id: int
    symbol: str
    size: float
    price: float
    commission: float
    time: pd.Timestamp
    bar: int


@dataclass(frozen=True, slots=True)
class Position:
    """The open position of one symbol: signed size and average entry price (NaN when flat)."""

    symbol: str
    size: float
    avg_price: float

    @property
    def is_long(self) -> bool:
        """Return whether the position is long."""
        return self.size > 0

    @property
    def is_short(self) -> bool:
        """Return whether the position is short."""
        return self.size < 0

    def __bool__(self) -> bool:
        return self.size != 0
