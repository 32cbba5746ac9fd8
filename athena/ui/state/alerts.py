"""What the Alerts page shows: the inbox with filters, one alert's timeline, and the steps people take."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import param

from athena.alerts import Alert, AlertStatus, Severity
from athena.auth import Permission
from athena.ui.state.base import PageState

__all__ = ["COLUMNS", "AlertsState", "age_text"]

COLUMNS = ["id", "severity", "source", "message", "status", "owner", "age"]
ALL = "all"


def age_text(seconds: float) -> str:
    """Return an age as people read it: ``42s``, ``12m``, ``3h``, ``2d``."""
    value = max(0, int(seconds))
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "m")):
        if value >= size:
            return f"{value // size}{unit}"
    return f"{value}s"


def _row(alert: Alert, now: datetime | None) -> dict[str, Any]:
    return {
        "id": alert.id,
        "severity": alert.severity.value,
        "source": alert.source,
        "message": alert.message,
        "status": alert.status.value,
        "owner": alert.owner or "",
        "age": age_text(alert.age_s(now)) if now else "",
    }


class AlertsState(PageState):
    """The alert inbox, newest first, following every change while the page is open."""

    live = True

    status = param.Selector[str](
        default=ALL, objects=[ALL, *(s.value for s in AlertStatus)], doc="Show only alerts in this status."
    )
    severity = param.Selector[str](
        default=ALL, objects=[ALL, *(s.value for s in Severity)], doc="Show only alerts of this severity."
    )
    limit = param.Integer(default=200, bounds=(1, 5_000), doc="How many of the newest matching alerts to show.")
    alerts = param.List(default=[], item_type=Alert, doc="Alerts matching the filters, newest first.")
    selected_id = param.Integer(default=None, allow_None=True, doc="Id of the alert shown with its timeline.")
    note = param.String(default="", doc="Note recorded on the timeline with the next step taken.")
    assignee = param.Selector[str](default="", objects=[""], doc="User the selected alert is assigned to.")
    head = param.Integer(default=0, doc="Newest timeline step seen; a higher one means some alert changed.")
    now = param.Date(default=None, allow_None=True, doc="Time the ages are measured from (10 s steps).")

    @property
    def can_manage(self) -> bool:
        """Return whether the role may acknowledge, assign and resolve alerts."""
        return self.session.can(Permission.ALERTS_MANAGE)

    @property
    def selected(self) -> Alert | None:
        """Return the alert chosen for the details panel, if it is loaded."""
        return next((a for a in self.alerts if a.id == self.selected_id), None)

    def _tick(self) -> None:
        workspace = self.session.workspace
        if workspace is not None:
            now = workspace.clock.now()
            self.now = now.replace(second=now.second // 10 * 10, microsecond=0)

    @param.depends("status", "severity", "limit", watch=True)
    def refresh(self) -> None:
        """Reload the alerts matching the filters and the users they can be assigned to."""
        if self.session.console is None:
            return
        console = self.console
        head = self.run(console.alerts_head)
        found = self.run(lambda: console.alerts(status=None if self.status == ALL else self.status,
                                                severity=None if self.severity == ALL else self.severity,
                                                limit=self.limit))
        users = self.run(console.alert_assignees)
        if head is None or found is None or users is None:
            return
        self._tick()
        self.param.assignee.objects = ["", *users]
        if self.assignee not in users:
            self.assignee = ""
        self.param.update(alerts=found, head=head)
        if self.selected_id is not None and self.selected is None:
            self.selected_id = None

    def poll(self) -> int:
        """Reload when any alert changed since the last look (by any process); return 1 if so, else 0."""
        if self.session.console is None:
            return 0
        self._tick()
        head = self.run(self.console.alerts_head)
        if head is None or head == self.head:
            return 0
        self.refresh()
        return 1

    def frame(self) -> pd.DataFrame:
        """Return the loaded alerts as the inbox table."""
        now = self.now if isinstance(self.now, datetime) else None
        return pd.DataFrame([_row(a, now) for a in self.alerts], columns=COLUMNS)

    def _target(self) -> int | None:
        if self.selected_id is None:
            self.say("Select an alert first.", "warning")
        return self.selected_id

    def _after(self, result: Alert | None) -> Alert | None:
        if result is not None:
            self.note = ""
        self.refresh()
        return result

    def acknowledge(self) -> Alert | None:
        """Acknowledge the selected alert with the note; it becomes yours if nobody owns it."""
        alert_id, note = self._target(), self.note.strip()
        if alert_id is None:
            return None
        return self._after(self.run(lambda: self.console.acknowledge_alert(alert_id, note),
                                    f"Alert {alert_id} acknowledged."))

    def assign(self) -> Alert | None:
        """Assign the selected alert to the chosen user, with the note."""
        alert_id, user, note = self._target(), self.assignee, self.note.strip()
        if alert_id is None:
            return None
        if not user:
            self.say("Pick the user to assign the alert to.", "warning")
            return None
        return self._after(self.run(lambda: self.console.assign_alert(alert_id, user, note),
                                    f"Alert {alert_id} assigned to {user}."))

    def comment(self) -> Alert | None:
        """Add the note to the selected alert's timeline."""
        alert_id, note = self._target(), self.note
        if alert_id is None:
            return None
        return self._after(self.run(lambda: self.console.comment_alert(alert_id, note),
                                    f"Comment added to alert {alert_id}."))

    def resolve(self) -> Alert | None:
        """Resolve the selected alert, recording the note as how."""
        alert_id, note = self._target(), self.note.strip()
        if alert_id is None:
            return None
        return self._after(self.run(lambda: self.console.resolve_alert(alert_id, note),
                                    f"Alert {alert_id} resolved."))
