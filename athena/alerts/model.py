"""The alert value, its timeline, and the rules of its life cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from athena.errors import InvalidInput

__all__ = ["Alert", "AlertEvent", "AlertStatus", "EventKind", "Severity", "next_status"]


class Severity(StrEnum):
    """How urgent an alert is, least to most."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Return 0 for info, 1 for warning, 2 for critical."""
        return list(Severity).index(self)


class AlertStatus(StrEnum):
    """Where an alert is in its life: open, acknowledged by someone, or resolved."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class EventKind(StrEnum):
    """What happened on an alert's timeline."""

    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    COMMENTED = "commented"
    RESOLVED = "resolved"
    NOTIFIED = "notified"
    NOTIFY_FAILED = "notify_failed"


_MOVES: dict[EventKind, tuple[frozenset[AlertStatus], AlertStatus | None]] = {
    EventKind.ACKNOWLEDGED: (frozenset({AlertStatus.OPEN}), AlertStatus.ACKNOWLEDGED),
    EventKind.ASSIGNED: (frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED}), None),
    EventKind.COMMENTED: (frozenset(AlertStatus), None),
    EventKind.RESOLVED: (frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED}), AlertStatus.RESOLVED),
}


def next_status(alert_id: int, status: AlertStatus, kind: EventKind) -> AlertStatus:
    """Return the status after a person's ``kind`` step, or raise InvalidInput when it is not allowed.

    Parameters
    ----------
    alert_id
        The alert, named in the error message.
    status
        Its current status.
    kind
        The step: acknowledged, assigned, commented or resolved.

    Returns
    -------
    AlertStatus
        The status after the step (unchanged for assign and comment).
    """
    if kind not in _MOVES:
        raise InvalidInput(f"{kind.value} is not a step a person takes on an alert")
    allowed, target = _MOVES[kind]
    if status not in allowed:
        verb = {EventKind.ACKNOWLEDGED: "acknowledge", EventKind.ASSIGNED: "assign",
                EventKind.RESOLVED: "resolve"}.get(kind, kind.value)
        raise InvalidInput(f"cannot {verb} alert {alert_id}: it is already {status.value}")
    return target or status


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One step on an alert's timeline: who did what, when, with an optional note."""

    ts: datetime
    kind: EventKind
    actor: str
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert and its timeline (oldest step first)."""

    id: int
    ts: datetime
    severity: Severity
    source: str
    message: str
    details: dict[str, Any]
    status: AlertStatus
    owner: str | None
    updated_at: datetime
    events: tuple[AlertEvent, ...] = ()

    def age_s(self, now: datetime) -> float:
        """Return seconds since the alert was raised."""
        return (now - self.ts).total_seconds()

    def as_json(self) -> dict[str, Any]:
        """Return the alert as plain JSON data (what notifiers send)."""
        return {
            "id": self.id,
            "ts": self.ts.isoformat(),
            "severity": self.severity.value,
            "source": self.source,
            "message": self.message,
            "details": self.details,
            "status": self.status.value,
            "owner": self.owner,
        }
