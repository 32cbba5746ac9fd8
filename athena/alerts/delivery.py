"""The delivery queue's rules and its sender: when to retry, when to give up, and the thread that drains it.

Raising an alert only queues one delivery per configured channel in the raising transaction.
A sender (a background thread of a long-lived process: ``athena engine`` runs one) takes due
deliveries, sends them outside any transaction and records every attempt. A failed attempt is
retried after ``retry_s``, doubling each time up to :data:`MAX_BACKOFF_S`; after
``max_attempts`` failures the delivery is given up. A taken delivery is leased: if its sender
dies mid-attempt, another sender takes it again once the lease has expired.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType

__all__ = ["MAX_BACKOFF_S", "AlertSender", "DeliveryStatus", "QueuedDelivery", "lease_until", "retry_at"]

log = logging.getLogger(__name__)

#: The longest wait between two attempts of one delivery.
MAX_BACKOFF_S = 300.0
#: Seconds a taken delivery stays leased beyond the channel timeout.
LEASE_MARGIN_S = 30.0


class DeliveryStatus(StrEnum):
    """Where a queued notification is: waiting, being sent, sent, or given up."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class QueuedDelivery:
    """One notification of one alert on one channel, as the queue holds it."""

    id: int
    alert_id: int
    channel: str
    status: DeliveryStatus
    attempts: int
    next_at: datetime
    last_error: str

    @property
    def key(self) -> str:
        """Return the key a receiver sees with every attempt of this delivery (to drop repeats)."""
        return f"athena-alert-{self.alert_id}-delivery-{self.id}"


def retry_at(now: datetime, attempts: int, retry_s: float) -> datetime:
    """Return when to try again after ``attempts`` failed attempts (1 -> ``retry_s``, doubling, capped).

    Parameters
    ----------
    now
        When the last attempt failed.
    attempts
        Attempts made so far (at least 1).
    retry_s
        Wait after the first failure.

    Returns
    -------
    datetime
        ``now + min(retry_s * 2 ** (attempts - 1), MAX_BACKOFF_S)``.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, was {attempts}")
    return now + timedelta(seconds=min(retry_s * 2 ** (attempts - 1), MAX_BACKOFF_S))


def lease_until(now: datetime, timeout_s: float) -> datetime:
    """Return until when a delivery taken at ``now`` belongs to its sender."""
    return now + timedelta(seconds=timeout_s + LEASE_MARGIN_S)


class AlertSender:
    """Drain the delivery queue in a background thread until stopped.

    Parameters
    ----------
    drain
        Send every due delivery and return how many were attempted (``Console.deliver_alerts``).
    interval_s
        Seconds to wait when nothing was due before looking again.

    Examples
    --------
    >>> with AlertSender(ws.system("alert-sender").deliver_alerts):  # doctest: +SKIP
    ...     engine.run()
    """

    def __init__(self, drain: Callable[[], int], interval_s: float = 0.5) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, was {interval_s}")
        self._drain, self.interval_s = drain, interval_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Return whether the sender thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> AlertSender:
        """Start the thread (idempotent); return the sender."""
        if not self.running:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="athena-alert-sender", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop after the attempt in progress (if any) and wait for the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                attempted = self._drain()
            except Exception:  # noqa: BLE001 - a failed drain (database busy, restart) must not end delivery
                log.exception("alert delivery failed; retrying")
                attempted = 0
            if not attempted:
                self._wake.wait(self.interval_s)
                self._wake.clear()

    def __enter__(self) -> AlertSender:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
