"""Alerts through Console: raise (and queue notifications), deliver, read, acknowledge, assign, resolve.

Raising stores the alert, its first timeline step and one queued delivery per configured channel
with its audit entry in one transaction, and returns: the caller never waits on the network. A
sender (:class:`athena.alerts.AlertSender` around :meth:`AlertsMixin.deliver_alerts`) takes due
deliveries (audited ``alerts.deliver``), sends them outside any transaction and records each
attempt (audited ``alerts.notify``, a timeline step), retrying with backoff and giving up after
``max_attempts``, so an unreachable webhook or mail server never loses or delays the alert.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from athena.alerts import (
    Alert,
    AlertEvent,
    AlertStatus,
    Delivery,
    DeliveryStatus,
    EventKind,
    QueuedDelivery,
    Severity,
    attempt,
    lease_until,
    next_status,
    notifiers_from,
    retry_at,
)
from athena.auth import Permission
from athena.auth import accounts as acc
from athena.clock import utc
from athena.console._core import ConsoleCore, Done, choice
from athena.errors import AthenaError, InvalidInput
from athena.model import Identity
from athena.store import AlertDeliveryRow, AlertEventRow, AlertRow, UserRow

__all__ = ["AlertsMixin"]


def _event(row: AlertEventRow) -> AlertEvent:
    return AlertEvent(utc(row.ts), EventKind(row.kind), row.actor, row.note, json.loads(row.detail))


def _alerts(s: Session, rows: Sequence[AlertRow]) -> list[Alert]:
    ids = [row.id for row in rows]
    steps: dict[int, list[AlertEvent]] = defaultdict(list)
    if ids:
        query = select(AlertEventRow).where(col(AlertEventRow.alert_id).in_(ids)).order_by(col(AlertEventRow.id))
        for step in s.exec(query):
            steps[step.alert_id].append(_event(step))
    return [Alert(row.id or 0, utc(row.ts), Severity(row.severity), row.source, row.message, json.loads(row.details),
                  AlertStatus(row.status), row.owner, utc(row.updated_at), tuple(steps[row.id or 0])) for row in rows]


_WAITING = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)


class _NothingTaken(AthenaError):
    """Another sender took every due delivery first (rolls the take back, nothing is written)."""


def _queued(row: AlertDeliveryRow) -> QueuedDelivery:
    return QueuedDelivery(row.id or 0, row.alert_id, row.channel, DeliveryStatus(row.status), row.attempts,
                          utc(row.next_at), row.last_error)


def _get(s: Session, alert_id: int) -> AlertRow:
    row = s.get(AlertRow, alert_id)
    if row is None:
        raise InvalidInput(f"no alert {alert_id!r}")
    return row


def _step(s: Session, alert_id: int, now: datetime, kind: EventKind, actor: str, note: str = "",
          detail: dict[str, Any] | None = None) -> None:
    s.add(AlertEventRow(alert_id=alert_id, ts=now, kind=kind.value, actor=actor, note=note,
                        detail=json.dumps(detail or {}, sort_keys=True, default=str)))


class AlertsMixin(ConsoleCore):
    """Console actions and reads on alerts."""

    def raise_alert(self, severity: str, source: str, message: str, details: dict[str, Any] | None = None) -> Alert:
        """Raise an alert (audited, published as ``AlertRaised``) and queue its notifications.

        Nothing is sent here: one delivery per configured channel (when the alert reaches the
        ``min_severity`` of the settings) is queued in the same transaction, for a sender to deliver.

        Parameters
        ----------
        severity
            info, warning or critical.
        source
            What raised it, e.g. ``mandate:global:MAX_DRAWDOWN`` or ``job:backtest``.
        message
            One line for people.
        details
            Extra JSON data, kept with the alert and in the audit payload.

        Returns
        -------
        Alert
            The stored alert; notification outcomes join its timeline as they happen.
        """
        level = choice(Severity, severity, "severity")
        extra = dict(details or {})
        settings = self.workspace.settings.alerts
        channels = ([n.channel for n in notifiers_from(settings)]
                    if level.rank >= Severity(settings.min_severity).rank else [])

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = AlertRow(ts=now, severity=level.value, source=source, message=message,
                           details=json.dumps(extra, sort_keys=True, default=str), status=AlertStatus.OPEN.value,
                           updated_at=now)
            s.add(row)
            s.flush()
            alert_id = row.id or 0
            _step(s, alert_id, now, EventKind.RAISED, who.actor)
            for channel in channels:
                s.add(AlertDeliveryRow(alert_id=alert_id, channel=channel, status=DeliveryStatus.PENDING.value,
                                       attempts=0, next_at=now, created_at=now, updated_at=now))
            s.flush()
            payload = {"severity": level.value, "source": source, "message": message, **extra, "alert_id": alert_id}
            if channels:
                payload["notify"] = channels
            return Done(_alerts(s, [row])[0], payload, ["AlertRaised"])

        return self._write(Permission.ALERTS_RAISE, "alerts.raise", source, work)  # type: ignore[no-any-return]

    def alert_deliveries(self, alert_id: int | None = None) -> list[QueuedDelivery]:
        """Return queued, sent and given-up notifications (of one alert, or all), oldest first."""
        def work(s: Session) -> list[QueuedDelivery]:
            query = select(AlertDeliveryRow)
            if alert_id is not None:
                query = query.where(AlertDeliveryRow.alert_id == alert_id)
            return [_queued(row) for row in s.exec(query.order_by(col(AlertDeliveryRow.id)))]

        return self._read(Permission.EVENTS_READ, "alerts.deliveries", work)

    def deliver_alerts(self, limit: int = 20) -> int:
        """Send the notifications that are due now, recording every attempt; return how many were attempted.

        A sender calls this in a loop (see :class:`athena.alerts.AlertSender`). Due deliveries are
        taken in one audited transaction (``alerts.deliver``) so no other sender sends them too; each
        is then sent outside any transaction and its outcome recorded (``alerts.notify``): sent, due
        again after a backoff, or given up after ``max_attempts``. A sender that dies mid-attempt
        leaves its deliveries leased until the channel timeout plus a margin has passed.

        Parameters
        ----------
        limit
            Most deliveries taken at once.
        """
        if limit < 1:
            raise InvalidInput(f"limit must be >= 1, was {limit}")
        if not self._due_ids(limit):
            return 0
        try:
            taken = self._take(limit)
        except _NothingTaken:
            return 0
        settings = self.workspace.settings.alerts
        notifiers = {notifier.channel: notifier for notifier in notifiers_from(settings)}
        for delivery, alert in taken:
            notifier = notifiers.get(delivery.channel)
            if notifier is None:
                outcome = Delivery(delivery.channel, False, f"channel {delivery.channel!r} is no longer configured")
            elif exhausted := delivery.attempts > settings.max_attempts:
                # Taken again after its sender stopped mid-attempt: it has had all its attempts.
                outcome = Delivery(delivery.channel, False, "its last sender stopped during the final attempt")
            else:
                outcome = attempt(notifier, alert, delivery.key)
            self._record_attempt(delivery, outcome, give_up=notifier is None or exhausted)
        return len(taken)

    def _due_ids(self, limit: int) -> list[int]:
        now = self.workspace.clock.now()
        return self._read(Permission.ALERTS_RAISE, "alerts.due", lambda s: self._due_ids_in(s, now, limit))

    def _take(self, limit: int) -> list[tuple[QueuedDelivery, Alert]]:
        lease_s = self.workspace.settings.alerts.timeout_s

        def work(s: Session, now: datetime, who: Identity) -> Done:
            taken: list[QueuedDelivery] = []
            for delivery_id in self._due_ids_in(s, now, limit):
                won = s.execute(update(AlertDeliveryRow).where(
                    col(AlertDeliveryRow.id) == delivery_id, col(AlertDeliveryRow.status).in_(_WAITING),
                    col(AlertDeliveryRow.next_at) <= now,
                ).values(status=DeliveryStatus.SENDING.value, attempts=col(AlertDeliveryRow.attempts) + 1,
                         # The n-th of a batch is sent after the n-1 before it, each up to the timeout.
                         next_at=lease_until(now, lease_s * (len(taken) + 1)), updated_at=now))
                row = s.get(AlertDeliveryRow, delivery_id, populate_existing=True)
                if won.rowcount == 1 and row is not None:  # type: ignore[attr-defined]
                    taken.append(_queued(row))
            if not taken:
                raise _NothingTaken("no delivery is due")
            alerts = {a.id: a for a in _alerts(s, [_get(s, i) for i in sorted({d.alert_id for d in taken})])}
            payload = {"deliveries": [{"delivery_id": d.id, "alert_id": d.alert_id, "channel": d.channel,
                                       "attempt": d.attempts} for d in taken]}
            return Done([(d, alerts[d.alert_id]) for d in taken], payload, ["AlertDeliveriesTaken"])

        return self._write(Permission.ALERTS_RAISE, "alerts.deliver", "alerts", work)  # type: ignore[no-any-return]

    @staticmethod
    def _due_ids_in(s: Session, now: datetime, limit: int) -> list[int]:
        return [int(i) for i in s.exec(
            select(AlertDeliveryRow.id).where(col(AlertDeliveryRow.status).in_(_WAITING),
                                              col(AlertDeliveryRow.next_at) <= now)
            .order_by(col(AlertDeliveryRow.id)).limit(limit)) if i is not None]

    def _record_attempt(self, delivery: QueuedDelivery, outcome: Delivery, give_up: bool = False) -> None:
        settings = self.workspace.settings.alerts
        ok, detail = outcome.ok, outcome.detail

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = s.get(AlertDeliveryRow, delivery.id)
            if row is None:
                raise InvalidInput(f"no alert delivery {delivery.id!r}")
            number = delivery.attempts
            note, extra = detail, {"channel": delivery.channel, "attempt": number, "delivery_id": delivery.id}
            ours = row.status == DeliveryStatus.SENDING.value and row.attempts == number
            if ok:
                status = DeliveryStatus.SENT
            elif give_up or number >= settings.max_attempts:
                status = DeliveryStatus.FAILED
                note = f"{detail} (gave up after {number} attempt{'s' if number > 1 else ''})"
            else:
                status = DeliveryStatus.PENDING
                again = retry_at(now, number, settings.retry_s)
                extra["retry_at"] = again.isoformat()
                note = f"{detail} (attempt {number} of {settings.max_attempts}; retry at {again:%H:%M:%S} UTC)"
                if ours:
                    row.next_at = again
            if ours:
                row.status, row.last_error, row.updated_at = status.value, "" if ok else detail, now
                s.add(row)
            else:
                # Its lease ran out and another sender took it over: that sender's outcome stands.
                note = f"{detail} (superseded: another sender had taken this delivery over)"
                extra.pop("retry_at", None)
            _step(s, delivery.alert_id, now, EventKind.NOTIFIED if ok else EventKind.NOTIFY_FAILED, who.actor, note,
                  extra)
            s.flush()
            payload = {"alert_id": delivery.alert_id, **extra, "ok": ok, "detail": detail,
                       "status": status.value if ours else "superseded"}
            return Done(None, payload, ["AlertNotified" if ok else "AlertNotifyFailed"])

        self._write(Permission.ALERTS_RAISE, "alerts.notify", f"alert:{delivery.alert_id}", work)

    def alerts(self, status: AlertStatus | str | None = None, severity: Severity | str | None = None,
               limit: int = 200) -> list[Alert]:
        """Return alerts, newest first, optionally only one status and/or severity."""
        wanted = choice(AlertStatus, status, "status") if status else None
        level = choice(Severity, severity, "severity") if severity else None
        if limit < 1:
            raise InvalidInput(f"limit must be >= 1, was {limit}")

        def work(s: Session) -> list[Alert]:
            query = select(AlertRow)
            if wanted is not None:
                query = query.where(AlertRow.status == wanted.value)
            if level is not None:
                query = query.where(AlertRow.severity == level.value)
            return _alerts(s, s.exec(query.order_by(col(AlertRow.id).desc()).limit(limit)).all())

        return self._read(Permission.EVENTS_READ, "alerts.list", work)

    def alert(self, alert_id: int) -> Alert:
        """Return one alert with its whole timeline."""
        return self._read(Permission.EVENTS_READ, "alerts.show", lambda s: _alerts(s, [_get(s, alert_id)])[0])

    def alerts_head(self) -> int:
        """Return the id of the newest timeline step of any alert (it grows whenever an alert changes)."""
        return self._read(Permission.EVENTS_READ, "alerts.head", lambda s: int(
            s.exec(select(func.max(AlertEventRow.id))).one() or 0))

    def alert_assignees(self) -> list[str]:
        """Return the usernames an alert can be assigned to (active accounts), sorted."""
        return self._read(Permission.EVENTS_READ, "alerts.assignees", lambda s: list(s.exec(
            select(UserRow.username).where(UserRow.disabled == False).order_by(col(UserRow.username)))))  # noqa: E712

    def _change(self, alert_id: int, kind: EventKind, action: str, event: str, note: str,
                extra: Callable[[Session, AlertRow, Identity], dict[str, Any]] | None = None) -> Alert:
        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = _get(s, alert_id)
            before = AlertStatus(row.status)
            after = next_status(alert_id, before, kind)
            detail = extra(s, row, who) if extra else {}
            row.status, row.updated_at = after.value, now
            s.add(row)
            _step(s, alert_id, now, kind, who.actor, note, detail)
            s.flush()
            payload = {"alert_id": alert_id, "from": before.value, "to": after.value, "note": note, **detail}
            return Done(_alerts(s, [row])[0], payload, [event])

        return self._write(Permission.ALERTS_MANAGE, action, f"alert:{alert_id}", work)  # type: ignore[no-any-return]

    def acknowledge_alert(self, alert_id: int, note: str = "") -> Alert:
        """Acknowledge an open alert; an alert without owner becomes yours."""
        def take(s: Session, row: AlertRow, who: Identity) -> dict[str, Any]:
            if row.owner is None:
                row.owner = who.username
                return {"owner": who.username}
            return {}

        return self._change(alert_id, EventKind.ACKNOWLEDGED, "alerts.acknowledge", "AlertAcknowledged", note, take)

    def assign_alert(self, alert_id: int, username: str, note: str = "") -> Alert:
        """Make an existing, active user the owner of an open or acknowledged alert."""
        def give(s: Session, row: AlertRow, who: Identity) -> dict[str, Any]:
            user = acc.get_user(s, username)
            if user.disabled:
                raise InvalidInput(f"cannot assign alert {alert_id} to {username!r}: the account is disabled")
            previous, row.owner = row.owner, user.username
            return {"owner": user.username, "previous_owner": previous}

        return self._change(alert_id, EventKind.ASSIGNED, "alerts.assign", "AlertAssigned", note, give)

    def comment_alert(self, alert_id: int, note: str) -> Alert:
        """Add a note to an alert's timeline (any status, resolved ones too) without changing it."""
        if not note.strip():
            raise InvalidInput(f"a comment on alert {alert_id} needs a note, was {note!r}")
        return self._change(alert_id, EventKind.COMMENTED, "alerts.comment", "AlertCommented", note.strip())

    def resolve_alert(self, alert_id: int, note: str = "") -> Alert:
        """Resolve an open or acknowledged alert, saying how in ``note``."""
        return self._change(alert_id, EventKind.RESOLVED, "alerts.resolve", "AlertResolved", note)
