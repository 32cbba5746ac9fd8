"""Immutable domain values shared by every layer; imports nothing else of Athena."""

from athena.model.enums import ApprovalStatus, AuditOutcome, Role, TradingMode
from athena.model.holding import Holding, fee_parts
from athena.model.ids import ApprovalId, EventId, SessionToken, UserId
from athena.model.money import Money, Price, Quantity, to_decimal
from athena.model.orders import (
    DenialReason,
    FeeCharge,
    Fill,
    Order,
    OrderDenied,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    TradingState,
)
from athena.model.values import Approval, AuditEntry, Event, Identity, RunBook, RunRecord, User

__all__ = [
    "DenialReason",
    "FeeCharge",
    "Fill",
    "Holding",
    "Order",
    "OrderDenied",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Side",
    "TimeInForce",
    "TradingState",
    "Approval",
    "ApprovalId",
    "ApprovalStatus",
    "AuditEntry",
    "AuditOutcome",
    "Event",
    "EventId",
    "Identity",
    "Money",
    "Price",
    "Quantity",
    "Role",
    "RunBook",
    "RunRecord",
    "SessionToken",
    "TradingMode",
    "User",
    "UserId",
    "fee_parts",
    "to_decimal",
]
