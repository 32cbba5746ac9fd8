"""The one error tree of Athena, grouped by what the caller must do.

::

    AthenaError
    ├── InvalidInput (ValueError)          fix the input and try again
    │   ├── InvalidConfig                  settings, environment, workspace layout
    │   ├── WeakPassword                   the message states the password rule
    │   ├── UnknownRole
    │   ├── UnknownUser
    │   ├── DuplicateUser
    │   ├── UnknownApproval
    │   ├── ApprovalNotPending
    │   ├── InvalidData                    malformed or inconsistent market data
    │   ├── UnknownStrategy                with "did you mean" suggestions
    │   ├── InvalidParameter               unknown or out-of-range strategy parameter
    │   ├── InvalidOrder                   quantities, prices, symbols of an order
    │   └── UnknownOrder
    ├── NotAllowed (PermissionError)       the identity may not do this; audited
    │   ├── AuthenticationFailed           bad password, unknown user
    │   │   ├── AccountLocked
    │   │   ├── SessionExpired
    │   │   └── InvalidSession             forged, revoked or unknown token
    │   ├── PermissionDenied               the role lacks the permission
    │   ├── TotpRequired                   privileged action without TOTP enrolment or code
    │   ├── InvalidTotp
    │   └── SelfApproval                   a second person must approve
    ├── Unavailable                        retry later
    │   └── StoreUnavailable               the database cannot be reached or is locked
    ├── StrategyError                      user strategy code raised; fix the strategy
    ├── WorkspaceError                     the workspace is missing or not initialised
    │   └── NotInitialised
    └── IntegrityError                     stored state failed a consistency check
        ├── LedgerIntegrityError           the audit chain does not hold
        └── InvalidTransition              an order state change the state machine forbids
"""

from __future__ import annotations


class AthenaError(Exception):
    """Root of every error Athena raises on purpose."""


class InvalidInput(AthenaError, ValueError):
    """The input is wrong; fix it and try again. Nothing was changed."""


class InvalidConfig(InvalidInput):
    """A setting, environment variable or config file is invalid."""


class WeakPassword(InvalidInput):
    """A password does not meet the password rule."""


class UnknownRole(InvalidInput):
    """A role name is not one of the defined roles."""


class UnknownUser(InvalidInput):
    """No user has that name."""


class DuplicateUser(InvalidInput):
    """A user with that name already exists."""


class UnknownApproval(InvalidInput):
    """No approval request has that id."""


class ApprovalNotPending(InvalidInput):
    """The approval request was already decided or has expired."""


class InvalidData(InvalidInput):
    """Market data is malformed or inconsistent."""


class UnknownStrategy(InvalidInput):
    """No strategy is registered under that name or import path."""


class InvalidParameter(InvalidInput):
    """A strategy or job parameter is unknown or out of range."""


class InvalidOrder(InvalidInput):
    """An order's quantity, price, symbol or type is invalid."""


class UnknownOrder(InvalidInput):
    """No order has that id or client order id."""


class NotAllowed(AthenaError, PermissionError):
    """The identity may not do this. Attempts are recorded in the audit ledger."""


class AuthenticationFailed(NotAllowed):
    """The credentials are wrong or the user is unknown or disabled."""


class AccountLocked(AuthenticationFailed):
    """Too many failed logins; the account is locked for a while."""


class SessionExpired(AuthenticationFailed):
    """The session token has expired; log in again."""


class InvalidSession(AuthenticationFailed):
    """The session token is unknown, forged or revoked."""


class PermissionDenied(NotAllowed):
    """The role of the identity lacks the permission for this action."""


class TotpRequired(NotAllowed):
    """The action is privileged: it needs an enrolled TOTP and a current code."""


class InvalidTotp(NotAllowed):
    """The TOTP code is wrong or stale."""


class SelfApproval(NotAllowed):
    """The requester of a privileged action cannot also approve it."""


class Unavailable(AthenaError):
    """A dependency is unavailable; retry later."""


class StoreUnavailable(Unavailable):
    """The database cannot be reached or stayed locked too long."""


class StrategyError(AthenaError):
    """User strategy code raised; the message names the strategy."""

    def __init__(self, strategy: str, message: str) -> None:
        super().__init__(f"strategy {strategy!r} failed: {message}")
        self.strategy = strategy


class WorkspaceError(AthenaError):
    """The workspace directory is missing, unreadable or inconsistent."""


class NotInitialised(WorkspaceError):
    """The workspace has not been initialised; run `athena init`."""


class IntegrityError(AthenaError):
    """Stored state failed a consistency check."""


class LedgerIntegrityError(IntegrityError):
    """The audit ledger's hash chain or signatures do not hold."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"audit ledger broken at sequence {seq}: {reason}")
        self.seq = seq
        self.reason = reason


class InvalidTransition(IntegrityError):
    """An order was asked to move between states the state machine does not connect."""

    def __init__(self, order_id: int, current: str, target: str) -> None:
        super().__init__(f"order {order_id} cannot go from {current} to {target}")
        self.order_id = order_id
        self.current = current
        self.target = target


__all__ = [
    "AccountLocked",
    "ApprovalNotPending",
    "AthenaError",
    "AuthenticationFailed",
    "DuplicateUser",
    "IntegrityError",
    "InvalidConfig",
    "InvalidData",
    "InvalidInput",
    "InvalidOrder",
    "InvalidParameter",
    "InvalidSession",
    "InvalidTotp",
    "InvalidTransition",
    "LedgerIntegrityError",
    "NotAllowed",
    "NotInitialised",
    "PermissionDenied",
    "SelfApproval",
    "SessionExpired",
    "StoreUnavailable",
    "StrategyError",
    "TotpRequired",
    "Unavailable",
    "UnknownApproval",
    "UnknownOrder",
    "UnknownRole",
    "UnknownStrategy",
    "UnknownUser",
    "WeakPassword",
    "WorkspaceError",
]
