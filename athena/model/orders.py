"""Orders, fills and trading states: the values the OMS, venues and risk engine exchange."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from athena.model.money import to_decimal

__all__ = [
    "DenialReason",
    "FeeCharge",
    "Fill",
    "Order",
    "OrderDenied",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Side",
    "TimeInForce",
    "TradingState",
]

_SYMBOL = re.compile(r"^[A-Z0-9]{2,12}/[A-Z0-9]{2,12}$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class Side(StrEnum):
    """Direction of an order."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """Return +1 for buys and -1 for sells."""
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    """How an order executes."""

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


class TimeInForce(StrEnum):
    """How long an order rests."""

    GTC = "GTC"
    IOC = "IOC"


class OrderStatus(StrEnum):
    """Where an order is in its life; the transition table is in ``athena.execution``."""

    NEW = "new"
    SUBMITTED = "submitted"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    DENIED = "denied"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        """Return whether the order can still trade or be cancelled."""
        return self in _OPEN


_OPEN = frozenset(
    {OrderStatus.NEW, OrderStatus.SUBMITTED, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_CANCEL}
)


class TradingState(StrEnum):
    """Whether new orders may be accepted: globally and per strategy."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


class DenialReason(StrEnum):
    """Stable reason codes for orders refused by policy (not errors)."""

    TRADING_HALTED = "TRADING_HALTED"
    REDUCE_ONLY = "REDUCE_ONLY"
    STRATEGY_HALTED = "STRATEGY_HALTED"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    BELOW_MIN_QUANTITY = "BELOW_MIN_QUANTITY"
    OFF_TICK = "OFF_TICK"
    OFF_LOT = "OFF_LOT"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    NO_MARKET_PRICE = "NO_MARKET_PRICE"
    STALE_PRICE = "STALE_PRICE"
    LIMIT_MAX_GROSS_LEVERAGE = "LIMIT_MAX_GROSS_LEVERAGE"
    LIMIT_MAX_NET_EXPOSURE = "LIMIT_MAX_NET_EXPOSURE"
    LIMIT_MAX_POSITION_NOTIONAL = "LIMIT_MAX_POSITION_NOTIONAL"
    LIMIT_MAX_CONCENTRATION = "LIMIT_MAX_CONCENTRATION"
    LIMIT_MAX_ORDER_NOTIONAL = "LIMIT_MAX_ORDER_NOTIONAL"
    LIMIT_MAX_ORDER_RATE = "LIMIT_MAX_ORDER_RATE"
    LIMIT_MAX_DAILY_LOSS = "LIMIT_MAX_DAILY_LOSS"
    LIMIT_MAX_DRAWDOWN = "LIMIT_MAX_DRAWDOWN"
    LIMIT_PRICE_COLLAR = "LIMIT_PRICE_COLLAR"
    LIMIT_ALLOWED_SYMBOLS = "LIMIT_ALLOWED_SYMBOLS"
    LIMIT_MAX_VAR = "LIMIT_MAX_VAR"
    LIMIT_MAX_VAR_NO_HISTORY = "LIMIT_MAX_VAR_NO_HISTORY"


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a trader or strategy asks for; validated on construction.

    Raises ``ValueError`` (wrapped as ``InvalidOrder`` by the OMS) for a bad symbol,
    non-positive or non-finite quantity or price, or a price that does not fit the type.
    """

    symbol: str
    side: Side
    quantity: Decimal
    type: OrderType = OrderType.MARKET
    price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    client_order_id: str | None = None
    strategy: str | None = None

    def __post_init__(self) -> None:
        if not _SYMBOL.match(self.symbol):
            raise ValueError(f"symbol must look like 'BTC/USDT', was {self.symbol!r}")
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "type", OrderType(self.type))
        object.__setattr__(self, "tif", TimeInForce(self.tif))
        quantity = to_decimal(self.quantity, "quantity")
        if quantity <= 0:
            raise ValueError(f"quantity must be > 0, was {quantity}")
        object.__setattr__(self, "quantity", quantity)
        for name in ("price", "stop_price"):
            value = getattr(self, name)
            if value is not None:
                value = to_decimal(value, name)
                if value <= 0:
                    raise ValueError(f"{name} must be > 0, was {value}")
                object.__setattr__(self, name, value)
        if self.type is OrderType.LIMIT and self.price is None:
            raise ValueError("a limit order needs price")
        if self.type is OrderType.STOP and self.stop_price is None:
            raise ValueError("a stop order needs stop_price")
        if self.type is OrderType.MARKET and (self.price is not None or self.stop_price is not None):
            raise ValueError("a market order takes no price or stop_price")
        if self.client_order_id is not None and not _CLIENT_ID.match(self.client_order_id):
            raise ValueError(f"client_order_id must be 1-64 of A-Z a-z 0-9 _ . : -, was {self.client_order_id!r}")

    def fingerprint(self) -> tuple[object, ...]:
        """Return what makes two requests the same order (for idempotency checks)."""
        return (self.symbol, self.side, self.quantity, self.type, self.price, self.stop_price, self.tif, self.strategy)


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the OMS knows it."""

    id: int
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    tif: TimeInForce
    strategy: str | None
    status: OrderStatus
    filled_quantity: Decimal
    average_price: Decimal | None
    venue: str
    reason: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def remaining(self) -> Decimal:
        """Return the quantity still to fill."""
        return self.quantity - self.filled_quantity


@dataclass(frozen=True, slots=True)
class FeeCharge:
    """The part of a fill's fee a venue charged in one currency, and its value in the quote currency.

    ``value`` is 0 for an amount in a third currency that no price valued (recorded as charged,
    not taken from cash).
    """

    currency: str
    amount: Decimal
    value: Decimal


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of (part of) an order.

    ``fee`` is valued in the quote currency. ``fee_detail`` is what the venue charged, one
    :class:`FeeCharge` per currency in currency order, their values adding up to ``fee``; it is
    empty when the venue did not say (paper fills, whose fee is the quote value). ``fee_currency``
    and ``fee_native`` repeat the charge of a fee charged in one currency, and are None otherwise.
    """

    id: int
    order_id: int
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    ts: datetime
    fee_currency: str | None = None
    fee_native: Decimal | None = None
    fee_detail: tuple[FeeCharge, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderDenied:
    """A policy refusal: the order was recorded as denied with a stable reason code."""

    order_id: int
    client_order_id: str
    reason: DenialReason
    message: str
