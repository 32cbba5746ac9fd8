"""The Alerts page as an object: live inbox, filters, timeline, and the steps by role."""

from __future__ import annotations

from collections.abc import Callable

from athena.alerts import AlertStatus, EventKind
from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.model import Role
from athena.ui.state import ShellState
from athena.ui.state.alerts import age_text


def _raise(admin: Console, severity: str = "critical", source: str = "mandate:global", message: str = "breach") -> int:
    return admin.workspace.system("risk-monitor").raise_alert(severity, source, message).id


def test_poll_when_alert_raised_elsewhere_shows_it_in_one_poll(
    log_in: Callable[[Role], ShellState], admin: Console
) -> None:
    shell = log_in(Role.VIEWER)
    shell.page = "Alerts"
    alerts = shell.alerts
    assert alerts.live and alerts.frame().empty

    alert_id = _raise(admin)
    shell.poll()

    frame = alerts.frame()
    assert list(frame["id"]) == [alert_id]
    assert frame.iloc[0][["severity", "source", "status", "owner", "age"]].tolist() == [
        "critical", "mandate:global", "open", "", "0s"]


def test_poll_when_nothing_changed_does_not_reload(log_in: Callable[[Role], ShellState], admin: Console) -> None:
    alerts = log_in(Role.VIEWER).alerts
    _raise(admin)
    assert alerts.poll() == 1
    loaded = alerts.alerts
    assert alerts.poll() == 0
    assert alerts.alerts is loaded


def test_age_when_clock_moves_counts_from_raise(
    log_in: Callable[[Role], ShellState], admin: Console, clock: SimulatedClock
) -> None:
    alerts = log_in(Role.VIEWER).alerts
    _raise(admin)
    clock.advance(125)
    alerts.poll()
    assert alerts.frame().iloc[0]["age"] == "2m"
    assert [age_text(s) for s in (5, 3_600, 90_000)] == ["5s", "1h", "1d"]


def test_filters_when_set_reload_matching_alerts(log_in: Callable[[Role], ShellState], admin: Console) -> None:
    alerts = log_in(Role.RISK).alerts
    info = _raise(admin, "info", "a")
    crit = _raise(admin, "critical", "b")
    admin.resolve_alert(info)

    alerts.severity = "critical"
    assert list(alerts.frame()["id"]) == [crit]
    alerts.param.update(severity="all", status="resolved")
    assert list(alerts.frame()["id"]) == [info]
    alerts.status = "all"
    assert list(alerts.frame()["id"]) == [crit, info]


def test_ack_assign_resolve_when_risk_records_timeline_and_ledger(
    log_in: Callable[[Role], ShellState], admin: Console
) -> None:
    alerts = log_in(Role.RISK).alerts
    alert_id = _raise(admin)
    alerts.refresh()
    alerts.selected_id = alert_id
    assert alerts.can_manage
    assert "risk9" in alerts.param.assignee.objects and "admin" in alerts.param.assignee.objects

    alerts.note = "looking"
    assert alerts.acknowledge() is not None
    assert alerts.note == "" and alerts.message == f"Alert {alert_id} acknowledged."
    alerts.param.update(assignee="admin", note="yours")
    alerts.assign()
    alerts.note = "limit raised"
    alerts.resolve()

    selected = alerts.selected
    assert selected is not None
    assert (selected.status, selected.owner) == (AlertStatus.RESOLVED, "admin")
    assert [(e.kind, e.actor, e.note) for e in selected.events][1:] == [
        (EventKind.ACKNOWLEDGED, "risk9", "looking"), (EventKind.ASSIGNED, "risk9", "yours"),
        (EventKind.RESOLVED, "risk9", "limit raised")]
    assert [e.action for e in admin.audit(AuditFilter(subject=f"alert:{alert_id}", newest_first=False))] == [
        "alerts.acknowledge", "alerts.assign", "alerts.resolve"]


def test_resolve_when_already_resolved_warns_and_changes_nothing(
    log_in: Callable[[Role], ShellState], admin: Console
) -> None:
    alerts = log_in(Role.RISK).alerts
    alert_id = _raise(admin)
    admin.resolve_alert(alert_id)
    alerts.refresh()
    alerts.selected_id = alert_id
    before = admin.verify_audit().entries

    assert alerts.resolve() is None

    assert alerts.level == "warning" and "already resolved" in alerts.message
    assert admin.verify_audit().entries == before


def test_step_when_nothing_selected_or_no_assignee_asks_for_it(
    log_in: Callable[[Role], ShellState], admin: Console
) -> None:
    alerts = log_in(Role.RISK).alerts
    assert alerts.acknowledge() is None and alerts.message == "Select an alert first."
    alerts.selected_id = _raise(admin)
    assert alerts.assign() is None and alerts.message == "Pick the user to assign the alert to."


def test_acknowledge_when_viewer_is_refused_and_audited(log_in: Callable[[Role], ShellState], admin: Console) -> None:
    alerts = log_in(Role.VIEWER).alerts
    alerts.selected_id = _raise(admin)
    assert not alerts.can_manage

    assert alerts.acknowledge() is None

    assert alerts.level == "danger" and "may not alerts.acknowledge" in alerts.message
    denied = admin.audit(AuditFilter(action="alerts.acknowledge", limit=1))[0]
    assert (denied.actor, denied.outcome.value) == ("viewer9", "denied")


def test_pages_when_viewer_logged_in_include_alerts(log_in: Callable[[Role], ShellState]) -> None:
    assert "Alerts" in log_in(Role.VIEWER).pages()


def test_comment_when_risk_adds_note_to_timeline(log_in: Callable[[Role], ShellState], admin: Console) -> None:
    alerts = log_in(Role.RISK).alerts
    alerts.selected_id = _raise(admin)
    alerts.note = "seen again at 10:02"

    alerts.comment()

    selected = alerts.selected
    assert selected is not None and selected.events[-1].note == "seen again at 10:02"
    assert alerts.message == f"Comment added to alert {selected.id}." and alerts.note == ""
