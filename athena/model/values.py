"""Immutable records that cross layers: users, identities, approvals, audit entries, events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from athena.model.enums import ApprovalStatus, AuditOutcome, Role
from athena.model.ids import ApprovalId, EventId, UserId

__all__ = ["Approval", "AuditEntry", "Event", "Identity", "RunBook", "RunRecord", "User"]


@dataclass(frozen=True, slots=True)
class User:
    """A user as others may see it (no secrets)."""

    id: UserId
    username: str
    role: Role
    disabled: bool
    totp_enabled: bool
    locked_until: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is acting: a logged-in user or a named system actor."""

    username: str
    role: Role
    user_id: UserId | None = None
    expires_at: datetime | None = None

    @property
    def is_system(self) -> bool:
        """Return whether this is an automatic system actor, not a person."""
        return self.user_id is None

    @property
    def actor(self) -> str:
        """Return the name written to the audit ledger."""
        return self.username


@dataclass(frozen=True, slots=True)
class Approval:
    """A privileged action waiting for (or decided by) a second person."""

    id: ApprovalId
    action: str
    params: dict[str, Any]
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    status: ApprovalStatus
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the hash-chained audit ledger."""

    seq: int
    ts: datetime
    actor: str
    action: str
    subject: str
    outcome: AuditOutcome
    payload: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""
    signature: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """A published change, read by dashboards and other processes from the outbox."""

    id: EventId
    ts: datetime
    type: str
    subject: str
    payload: dict[str, Any]
    audit_seq: int | None


@dataclass(frozen=True, slots=True)
class RunBook:
    """The book a run ended with: net positions at their final marks, the cash and the NAV's peak."""

    positions: dict[str, Decimal]
    marks: dict[str, Decimal]
    cash: Decimal
    peak_nav: Decimal


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A recorded research run (backtest, sweep, walk-forward): what produced it and where it lives.

    ``symbols`` and ``book`` (a backtest's final book) are None for runs recorded before runs kept them.
    """

    id: str
    kind: str
    strategy: str
    params: dict[str, Any]
    config_hash: str
    data_fingerprint: str
    metrics: dict[str, Any]
    artefacts: dict[str, str]
    status: str
    error: str | None
    created_by: str
    created_at: datetime
    symbols: tuple[str, ...] | None = None
    book: RunBook | None = None
