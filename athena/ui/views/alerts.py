"""The Alerts page: a live inbox with filters, one alert's details and timeline, and the steps to work it."""

from __future__ import annotations

import json
from html import escape
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.alerts import Alert, AlertStatus
from athena.ui.state import AlertsState
from athena.ui.theme import MONO, PALETTE, TABLE_CSS, badge, card_styles, notice_html
from athena.ui.views.common import on_press

__all__ = ["AlertsView"]

SEVERITY_COLOURS = {"info": "secondary", "warning": "warning", "critical": "danger"}
STATUS_COLOURS = {"open": "danger", "acknowledged": "warning", "resolved": "success"}
_TITLES = {"id": "#", "severity": "Severity", "source": "Source", "message": "Message", "status": "Status",
           "owner": "Owner", "age": "Age"}
_WIDTHS = {"id": 44, "severity": 112, "status": 120, "owner": 96, "age": 64}


def _label(text: str) -> str:
    return (f'<div style="margin-top:12px;color:{PALETTE["muted"]};font-size:11px;text-transform:uppercase;'
            f'letter-spacing:.05em">{escape(text)}</div>')


def _timeline_html(alert: Alert) -> str:
    items = []
    for step in alert.events:
        colour = PALETTE["danger"] if step.kind.value == "notify_failed" else PALETTE["secondary"]
        note = (f'<div style="color:{PALETTE["text"]};font-size:12px;margin-top:2px">{escape(step.note)}</div>'
                if step.note else "")
        items.append(
            f'<div style="border-left:2px solid {colour};padding:2px 0 8px 10px;margin-left:4px">'
            f'<div style="font-size:13px;color:{PALETTE["text"]}"><b>{escape(step.kind.value)}</b> by '
            f'{escape(step.actor)}</div><div style="color:{PALETTE["muted"]};font-size:11px">'
            f'{step.ts:%Y-%m-%d %H:%M:%S} UTC</div>{note}</div>')
    return "".join(items)


def details_html(alert: Alert | None) -> str:
    """Return the details panel of ``alert``: header, message, details and timeline."""
    if alert is None:
        return f'<div style="color:{PALETTE["muted"]};font-size:13px">Select an alert to see its timeline.</div>'
    head = (f'<div style="font-size:16px;font-weight:700;color:{PALETTE["text"]}">Alert #{alert.id} '
            f'{badge(alert.severity.value.upper(), SEVERITY_COLOURS[alert.severity.value], solid=True)} '
            f'{badge(alert.status.value.upper(), STATUS_COLOURS[alert.status.value])}</div>')
    facts = (f'<div style="color:{PALETTE["muted"]};font-size:13px;margin-top:6px">{escape(alert.source)} &middot; '
             f'owner {escape(alert.owner or "nobody")}<br>raised {alert.ts:%Y-%m-%d %H:%M:%S} UTC</div>'
             f'<div style="color:{PALETTE["text"]};font-size:14px;margin-top:8px">{escape(alert.message)}</div>')
    extra = ""
    if alert.details:
        extra = (_label("details") + f'<pre style="margin:4px 0 0;padding:8px;background:{PALETTE["background"]};'
                 f'border:1px solid {PALETTE["border"]};border-radius:6px;font-family:{MONO};font-size:12px;'
                 f'color:{PALETTE["text"]};white-space:pre-wrap;word-break:break-all">'
                 f"{escape(json.dumps(alert.details, indent=2, sort_keys=True, default=str))}</pre>")
    return head + facts + extra + _label("timeline") + _timeline_html(alert)


def _live_html(alerts: list[Alert]) -> str:
    open_ = sum(a.status is AlertStatus.OPEN for a in alerts)
    dot = f'<span style="color:{PALETTE["success"]};font-size:14px">&#9679;</span>'
    return (f'<div style="color:{PALETTE["muted"]};font-size:13px;padding-top:26px">{dot} '
            f'<b style="color:{PALETTE["text"]}">LIVE</b> &middot; {len(alerts)} alerts shown &middot; '
            f"{open_} open</div>")


def _pill(value: str, colours: dict[str, str]) -> str:
    return badge(value, colours.get(value, "muted"))


class AlertsView(Viewer):
    """The alert inbox; acknowledge, assign, comment and resolve are enabled only with ALERTS_MANAGE."""

    state = param.ClassSelector(allow_None=NoNone, class_=AlertsState, doc="What the page shows and does.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self._table = pn.widgets.Tabulator(
            self._frame(), show_index=False, disabled=True, selectable=1, sizing_mode="stretch_width", height=520,
            titles=_TITLES, widths=_WIDTHS, layout="fit_columns", theme="midnight", stylesheets=[TABLE_CSS],
            formatters={"severity": {"type": "html"}, "status": {"type": "html"}},
            configuration={"placeholder": "No alerts match the filters"},
        )
        self._table.param.watch(self._on_select, "selection")
        filters = pn.Row(
            pn.widgets.Select.from_param(s.param.status, description=None, label="Status", width=150),
            pn.widgets.Select.from_param(s.param.severity, description=None, label="Severity", width=150),
            pn.pane.HTML(pn.bind(_live_html, s.param.alerts), sizing_mode="stretch_width"),
            styles=card_styles(padding="8px"), sizing_mode="stretch_width",
        )
        self._buttons = {
            label: on_press(pn.widgets.Button(label=label, color=colour, width=150, margin=(6, 4)), action)
            for label, colour, action in (("Acknowledge", "warning", s.acknowledge), ("Assign", "primary", s.assign),
                                          ("Comment", "default", s.comment), ("Resolve", "success", s.resolve))
        }
        actions = pn.Column(
            _heading_html("Work this alert" if s.can_manage else "Your role may not work alerts"),
            pn.widgets.TextInput.from_param(s.param.note, description=None, label="Note", width=340,
                                            placeholder="what you did or found", disabled=not s.can_manage),
            pn.widgets.Select.from_param(s.param.assignee, description=None, label="Assign to", width=200,
                                         disabled=not s.can_manage),
            pn.Row(self._buttons["Acknowledge"], self._buttons["Assign"]),
            pn.Row(self._buttons["Comment"], self._buttons["Resolve"]),
        )
        details = pn.Column(
            pn.pane.HTML(pn.bind(self._details, s.param.selected_id, s.param.alerts), sizing_mode="stretch_width"),
            actions, width=400, styles=card_styles(), min_height=520,
        )
        self._layout = pn.Column(
            filters,
            pn.pane.HTML(pn.bind(notice_html, s.param.message, s.param.level), sizing_mode="stretch_width"),
            pn.Row(self._table, details, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
        s.param.watch(self._on_alerts, ["alerts", "now"])
        s.param.watch(self._enable, ["selected_id", "alerts"])
        self._enable()

    def _frame(self) -> pd.DataFrame:
        frame = self.state.frame()
        frame["severity"] = frame["severity"].map(lambda v: _pill(str(v), SEVERITY_COLOURS))
        frame["status"] = frame["status"].map(lambda v: _pill(str(v), STATUS_COLOURS))
        return frame

    def _details(self, selected_id: int | None, alerts: list[Alert]) -> str:
        return details_html(self.state.selected)

    def _enable(self, *events: param.parameterized.Event) -> None:
        alert, manage = self.state.selected, self.state.can_manage
        status = alert.status if alert else None
        self._buttons["Acknowledge"].disabled = not (manage and status is AlertStatus.OPEN)
        self._buttons["Assign"].disabled = not manage or status in (None, AlertStatus.RESOLVED)
        self._buttons["Comment"].disabled = not manage or status is None
        self._buttons["Resolve"].disabled = not manage or status in (None, AlertStatus.RESOLVED)

    def _on_alerts(self, *events: param.parameterized.Event) -> None:
        self._table.value = self._frame()
        ids = list(self._table.value["id"])
        selected = self.state.selected_id
        self._table.selection = [ids.index(selected)] if selected in ids else []

    def _on_select(self, event: param.parameterized.Event) -> None:
        rows, frame = event.new, self._table.value
        if rows and len(frame) > rows[0]:
            self.state.selected_id = int(frame.iloc[rows[0]]["id"])

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout


def _heading_html(text: str) -> pn.pane.HTML:
    return pn.pane.HTML(f'<div style="font-size:13px;font-weight:700;color:{PALETTE["text"]};margin-top:12px">'
                        f"{escape(text)}</div>", sizing_mode="stretch_width")
