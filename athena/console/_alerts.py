"""Alerts through Console: raise (and notify), read, acknowledge, assign, resolve.

Raising stores the alert and its first timeline step with its audit entry in one transaction;
notifications go out after the commit, and their outcomes are recorded as timeline steps of
their own, so an unreachable webhook or mail server never loses or delays storing the alert.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from athena.alerts import (
    Alert,
    AlertEvent,
    AlertStatus,
    Delivery,
    EventKind,
    Severity,
    deliver,
    next_status,
    notifiers_from,
)
from athena.auth import Permission
from athena.auth import accounts as acc
from athena.clock import utc
from athena.console._core import ConsoleCore, Done, choice
from athena.errors import InvalidInput
from athena.model import Identity
from athena.store import AlertEventRow, AlertRow, UserRow

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
        """Raise an alert (audited, published as ``AlertRaised``), then notify the configured channels.

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
            The stored alert, with the notification outcomes on its timeline.
        """
        level = choice(Severity, severity, "severity")
        extra = dict(details or {})

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = AlertRow(ts=now, severity=level.value, source=source, message=message,
                           details=json.dumps(extra, sort_keys=True, default=str), status=AlertStatus.OPEN.value,
                           updated_at=now)
            s.add(row)
            s.flush()
            alert_id = row.id or 0
            _step(s, alert_id, now, EventKind.RAISED, who.actor)
            s.flush()
            payload = {"severity": level.value, "source": source, "message": message, **extra, "alert_id": alert_id}
            return Done(_alerts(s, [row])[0], payload, ["AlertRaised"])

        alert: Alert = self._write(Permission.ALERTS_RAISE, "alerts.raise", source, work)
        settings = self.workspace.settings.alerts
        outcomes = deliver(alert, notifiers_from(settings), settings.min_severity)
        return self._record_deliveries(alert, outcomes) if outcomes else alert

    def _record_deliveries(self, alert: Alert, outcomes: list[Delivery]) -> Alert:
        def work(s: Session, now: datetime, who: Identity) -> Done:
            for outcome in outcomes:
                kind = EventKind.NOTIFIED if outcome.ok else EventKind.NOTIFY_FAILED
                _step(s, alert.id, now, kind, who.actor, outcome.detail, {"channel": outcome.channel})
            s.flush()
            sent = [{"channel": o.channel, "ok": o.ok, "detail": o.detail} for o in outcomes]
            return Done(_alerts(s, [_get(s, alert.id)])[0], {"alert_id": alert.id, "deliveries": sent},
                        ["AlertNotified"])

        return self._write(Permission.ALERTS_RAISE, "alerts.notify", f"alert:{alert.id}", work)  # type: ignore[no-any-return]

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
