"""Alerts through Console on SQLite and PostgreSQL: raise, read, acknowledge, assign, resolve, notify."""

from __future__ import annotations

from pathlib import Path

import pytest

from athena.alerts import AlertStatus, EventKind
from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.config import AlertSettings, Settings
from athena.console import Console
from athena.errors import InvalidInput, UnknownUser
from athena.model import Role
from athena.testing import ADMIN_PASSWORD
from athena.testing.workspaces import TEST_SECURITY
from athena.workspace import Workspace
from tests.alerts.conftest import Hook

PASSWORD = "Risk-Passw0rd-77"


@pytest.fixture
def desk(workspace: Workspace) -> dict[str, Console]:
    admin = workspace.login("admin", ADMIN_PASSWORD)
    admin.add_user("rita", Role.RISK, PASSWORD)
    admin.add_user("ted", Role.TRADER, PASSWORD)
    return {"admin": admin, "rita": workspace.login("rita", PASSWORD), "bot": workspace.system("risk-monitor")}


def _entries(console: Console, subject: str) -> list[tuple[str, str]]:
    return [(e.actor, e.action) for e in console.audit(AuditFilter(subject=subject, newest_first=False))]


def test_raise_when_called_stores_alert_with_audit_entry_and_event(desk: dict[str, Console]) -> None:
    alert = desk["bot"].raise_alert("critical", "mandate:global:MAX_DRAWDOWN", "drawdown 12%", {"level": "BREACH"})

    assert (alert.status, alert.owner, alert.details) == (AlertStatus.OPEN, None, {"level": "BREACH"})
    assert [(e.kind, e.actor) for e in alert.events] == [(EventKind.RAISED, "system:risk-monitor")]
    entry = desk["admin"].audit(AuditFilter(action="alerts.raise", limit=1))[0]
    assert entry.subject == "mandate:global:MAX_DRAWDOWN"
    assert entry.payload == {"severity": "critical", "source": "mandate:global:MAX_DRAWDOWN",
                             "message": "drawdown 12%", "level": "BREACH", "alert_id": alert.id}
    raised = [e for e in desk["admin"].events_since(0) if e.type == "AlertRaised"]
    assert len(raised) == 1 and raised[0].payload["alert_id"] == alert.id
    assert desk["rita"].alert(alert.id) == alert


def test_raise_when_severity_unknown_raises_invalid_input_and_stores_nothing(desk: dict[str, Console]) -> None:
    with pytest.raises(InvalidInput, match="severity must be one of info, warning, critical, was 'loud'"):
        desk["bot"].raise_alert("loud", "x", "y")
    assert desk["admin"].alerts() == []


def test_lifecycle_when_acknowledged_assigned_resolved_keeps_timeline_and_ledger(desk: dict[str, Console]) -> None:
    alert = desk["bot"].raise_alert("warning", "job:backtest", "job failed")
    rita = desk["rita"]

    acked = rita.acknowledge_alert(alert.id, "looking")
    assert (acked.status, acked.owner) == (AlertStatus.ACKNOWLEDGED, "rita")
    assigned = rita.assign_alert(alert.id, "ted", "yours")
    assert (assigned.status, assigned.owner) == (AlertStatus.ACKNOWLEDGED, "ted")
    done = rita.resolve_alert(alert.id, "re-ran the job")

    assert (done.status, done.owner) == (AlertStatus.RESOLVED, "ted")
    assert [(e.kind, e.actor, e.note) for e in done.events] == [
        (EventKind.RAISED, "system:risk-monitor", ""),
        (EventKind.ACKNOWLEDGED, "rita", "looking"),
        (EventKind.ASSIGNED, "rita", "yours"),
        (EventKind.RESOLVED, "rita", "re-ran the job"),
    ]
    assert _entries(rita, f"alert:{alert.id}") == [
        ("rita", "alerts.acknowledge"), ("rita", "alerts.assign"), ("rita", "alerts.resolve")]
    types = [e.type for e in rita.events_since(0) if e.type.startswith("Alert")]
    assert types == ["AlertRaised", "AlertAcknowledged", "AlertAssigned", "AlertResolved"]


@pytest.mark.parametrize("step", ["resolve", "acknowledge", "assign"])
def test_step_when_alert_resolved_refuses_and_changes_nothing(desk: dict[str, Console], step: str) -> None:
    rita = desk["rita"]
    alert = rita.resolve_alert(desk["bot"].raise_alert("info", "x", "y").id)
    head = rita.alerts_head()
    seq = rita.verify_audit().entries

    with pytest.raises(InvalidInput, match=f"cannot {step} alert {alert.id}: it is already resolved"):
        {"resolve": lambda: rita.resolve_alert(alert.id),
         "acknowledge": lambda: rita.acknowledge_alert(alert.id),
         "assign": lambda: rita.assign_alert(alert.id, "ted")}[step]()

    assert rita.alert(alert.id) == alert
    assert rita.alerts_head() == head
    assert rita.verify_audit().entries == seq
    assert [e.action for e in rita.audit(AuditFilter(subject=f"alert:{alert.id}"))] == ["alerts.resolve"]


def test_acknowledge_when_already_acknowledged_refuses(desk: dict[str, Console]) -> None:
    alert = desk["bot"].raise_alert("info", "x", "y")
    desk["rita"].acknowledge_alert(alert.id)
    with pytest.raises(InvalidInput, match="already acknowledged"):
        desk["admin"].acknowledge_alert(alert.id)


def test_assign_when_user_unknown_or_disabled_refuses(desk: dict[str, Console]) -> None:
    alert = desk["bot"].raise_alert("info", "x", "y")
    with pytest.raises(UnknownUser, match="no user named 'nobody'"):
        desk["rita"].assign_alert(alert.id, "nobody")
    desk["admin"].disable_user("ted")
    with pytest.raises(InvalidInput, match="'ted': the account is disabled"):
        desk["rita"].assign_alert(alert.id, "ted")
    assert desk["rita"].alert(alert.id).owner is None
    assert "ted" not in desk["rita"].alert_assignees()


def test_step_when_alert_unknown_refuses(desk: dict[str, Console]) -> None:
    with pytest.raises(InvalidInput, match="no alert 999"):
        desk["rita"].resolve_alert(999)
    with pytest.raises(InvalidInput, match="no alert 999"):
        desk["rita"].alert(999)


def test_alerts_when_filtered_by_status_and_severity_returns_newest_first(desk: dict[str, Console]) -> None:
    bot, rita = desk["bot"], desk["rita"]
    first = bot.raise_alert("info", "a", "one")
    second = bot.raise_alert("critical", "b", "two")
    third = bot.raise_alert("critical", "c", "three")
    rita.resolve_alert(third.id)

    assert [a.id for a in rita.alerts()] == [third.id, second.id, first.id]
    assert [a.id for a in rita.alerts(status="open")] == [second.id, first.id]
    assert [a.id for a in rita.alerts(severity="critical")] == [third.id, second.id]
    assert [a.id for a in rita.alerts(status="open", severity="CRITICAL")] == [second.id]
    assert [a.id for a in rita.alerts(limit=1)] == [third.id]
    with pytest.raises(InvalidInput, match="status must be one of open, acknowledged, resolved"):
        rita.alerts(status="closed")


def test_raise_when_below_min_severity_sends_nothing(tmp_path: Path, clock: SimulatedClock, hook: Hook) -> None:
    settings = Settings.from_env(tmp_path / "ws", security=TEST_SECURITY,
                                 alerts=AlertSettings(webhook_url=hook.url, min_severity="critical"))
    ws, _ = Workspace.init(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    bot = ws.system("risk-monitor")
    alert = bot.raise_alert("warning", "engine", "slow")
    assert bot.deliver_alerts() == 0
    assert [e.kind for e in bot.alert(alert.id).events] == [EventKind.RAISED] and hook.requests == []
    assert bot.alert_deliveries() == []
    ws.close()


def test_comment_when_alert_resolved_adds_note_and_keeps_status(desk: dict[str, Console]) -> None:
    rita = desk["rita"]
    alert = rita.resolve_alert(desk["bot"].raise_alert("info", "x", "y").id, "done")

    commented = rita.comment_alert(alert.id, "  root cause: stale feed  ")

    assert commented.status is AlertStatus.RESOLVED
    assert (commented.events[-1].kind, commented.events[-1].note) == (EventKind.COMMENTED, "root cause: stale feed")
    assert _entries(rita, f"alert:{alert.id}")[-1] == ("rita", "alerts.comment")


def test_comment_when_note_empty_refuses(desk: dict[str, Console]) -> None:
    alert = desk["bot"].raise_alert("info", "x", "y")
    with pytest.raises(InvalidInput, match=f"a comment on alert {alert.id} needs a note"):
        desk["rita"].comment_alert(alert.id, "   ")
    assert len(desk["rita"].alert(alert.id).events) == 1
