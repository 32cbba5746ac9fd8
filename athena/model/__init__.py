"""Immutable domain values shared by every layer; imports nothing else of Athena."""

from athena.model.enums import ApprovalStatus, AuditOutcome, Role, TradingMode
from athena.model.ids import ApprovalId, EventId, SessionToken, UserId
from athena.model.money import Money, Price, Quantity, to_decimal
from athena.model.values import Approval, AuditEntry, Event, Identity, User

__all__ = [
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
    "SessionToken",
    "TradingMode",
    "User",
    "UserId",
    "to_decimal",
]
