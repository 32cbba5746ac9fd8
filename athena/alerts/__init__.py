"""Alerts and incidents: the alert model, its life cycle, and the notifiers that page people.

An alert is raised (by the risk monitor, the job runner, an operator), then acknowledged,
assigned and resolved by people, each step on its timeline. Notifiers (webhook, SMTP) tell
the outside world; a failed delivery is recorded on the timeline and never loses the alert.
This package is engine-level: Console stores alerts and calls the notifiers.
"""

from athena.alerts.model import (
    Alert,
    AlertEvent,
    AlertStatus,
    EventKind,
    Severity,
    next_status,
)
from athena.alerts.notifiers import (
    Delivery,
    Notifier,
    SmtpNotifier,
    WebhookNotifier,
    deliver,
    notifiers_from,
    sign,
)

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertStatus",
    "Delivery",
    "EventKind",
    "Notifier",
    "Severity",
    "SmtpNotifier",
    "WebhookNotifier",
    "deliver",
    "next_status",
    "notifiers_from",
    "sign",
]
