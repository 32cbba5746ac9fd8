"""Alerts and incidents: the alert model, its life cycle, and the notifiers that page people.

An alert is raised (by the risk monitor, the job runner, an operator), then acknowledged,
assigned and resolved by people, each step on its timeline. Notifiers (webhook, SMTP) tell
the outside world; Console queues one delivery per channel with the alert, and a sender thread
sends them with retries, each attempt on the timeline, so a dead receiver never delays or loses
the alert. This package is engine-level: Console stores alerts and records deliveries.
"""

from athena.alerts.delivery import AlertSender, DeliveryStatus, QueuedDelivery, lease_until, retry_at
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
    attempt,
    notifiers_from,
    sign,
)

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertSender",
    "AlertStatus",
    "Delivery",
    "DeliveryStatus",
    "EventKind",
    "Notifier",
    "QueuedDelivery",
    "Severity",
    "SmtpNotifier",
    "WebhookNotifier",
    "attempt",
    "lease_until",
    "next_status",
    "notifiers_from",
    "retry_at",
    "sign",
]
