"""Enumerations of the domain."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ApprovalStatus", "AuditOutcome", "Role", "TradingMode"]


class Role(StrEnum):
    """What a user may do; the permission matrix in ``athena.auth`` maps each to permissions."""

    VIEWER = "VIEWER"
    QUANT = "QUANT"
    TRADER = "TRADER"
    RISK = "RISK"
    ADMIN = "ADMIN"


class TradingMode(StrEnum):
    """Whether orders go to simulated (paper) or real (live) venues."""

    PAPER = "paper"
    LIVE = "live"


class ApprovalStatus(StrEnum):
    """Life of a two-person approval request."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class AuditOutcome(StrEnum):
    """Whether an audited action took effect or was refused."""

    OK = "ok"
    DENIED = "denied"
