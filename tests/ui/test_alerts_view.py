"""The Alerts page as Panel objects: what each role may press, and that pressing goes through Console."""

from __future__ import annotations

from typing import Any

import panel as pn

from athena.alerts import AlertStatus
from athena.audit import AuditFilter
from athena.console import Console
from athena.model import Role
from athena.ui.state import AlertsState, ShellState
from athena.ui.views import AlertsView

PASSWORD = "User-Passw0rd-9"


def _view(admin: Console, role: Role) -> tuple[AlertsView, AlertsState]:
    shell = ShellState(admin.workspace)
    admin.add_user("someone", role, PASSWORD)
    shell.session.param.update(username="someone", password=PASSWORD)
    assert shell.session.login()
    state = shell.alerts
    state.refresh()
    return AlertsView(state=state), state


def _buttons(view: AlertsView) -> dict[str, Any]:
    return {b.label: b for b in view.__panel__().select(pn.widgets.Button)}


def test_buttons_when_viewer_stay_disabled_even_with_selection(admin: Console) -> None:
    alert = admin.raise_alert("critical", "engine", "feed stalled")
    view, state = _view(admin, Role.VIEWER)
    state.selected_id = alert.id

    assert {label: b.disabled for label, b in _buttons(view).items()} == {
        "Acknowledge": True, "Assign": True, "Comment": True, "Resolve": True}


def test_acknowledge_when_risk_presses_goes_through_console_and_updates_buttons(admin: Console) -> None:
    alert = admin.raise_alert("critical", "engine", "feed stalled")
    view, state = _view(admin, Role.RISK)
    buttons = _buttons(view)
    assert buttons["Acknowledge"].disabled
    view._table.selection = [0]
    assert state.selected_id == alert.id and not buttons["Acknowledge"].disabled

    buttons["Acknowledge"].clicks += 1

    assert admin.alert(alert.id).status is AlertStatus.ACKNOWLEDGED
    assert buttons["Acknowledge"].disabled and not buttons["Resolve"].disabled
    assert admin.audit(AuditFilter(action="alerts.acknowledge", limit=1))[0].actor == "someone"
    assert ">acknowledged<" in view._table.value.iloc[0]["status"]
