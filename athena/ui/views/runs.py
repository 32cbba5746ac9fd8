"""The Runs page: backtest, sweep and walk-forward history with filters, and one run's report."""

from __future__ import annotations

import json
from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.model import RunRecord
from athena.ui.state.runs import RunsState
from athena.ui.theme import MONO, PALETTE, badge, card_styles, notice_html
from athena.ui.views.research import equity_figure, section, table

__all__ = ["RunsView"]


def _field(label: str, value: str) -> str:
    return (f'<div style="margin-top:6px"><div style="color:{PALETTE["muted"]};font-size:11px;text-transform:'
            f'uppercase;letter-spacing:.05em">{label}</div><div style="font-family:{MONO};font-size:12px;'
            f'word-break:break-all;color:{PALETTE["text"]}">{escape(value) or "-"}</div></div>')


def _report_html(run: RunRecord | None) -> str:
    if run is None:
        return f'<div style="color:{PALETTE["muted"]};font-size:13px">Select a run to see its report.</div>'
    status = badge(run.status.upper(), "success" if run.status == "completed" else "danger")
    return (f'<div style="font-size:16px;font-weight:700;color:{PALETTE["text"]}">{escape(run.kind)} of '
            f'{escape(run.strategy)} {status}</div><div style="color:{PALETTE["muted"]};font-size:13px">'
            f'{escape(run.created_by)} &middot; {run.created_at:%Y-%m-%d %H:%M:%S} UTC</div>'
            + _field("run id", run.id) + _field("config hash", run.config_hash)
            + _field("data fingerprint", run.data_fingerprint)
            + _field("parameters", json.dumps(run.params, sort_keys=True, default=str))
            + (_field("error", run.error) if run.error else ""))


class RunsView(Viewer):
    """Filters and the run table on the left; the selected run's report on the right."""

    state = param.ClassSelector(allow_None=NoNone, class_=RunsState, doc="What the page shows and does.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        filters = pn.FlexBox(
            pn.widgets.Select.from_param(s.param.kind, description=None, label="Kind", width=140),
            pn.widgets.Select.from_param(s.param.strategy, description=None, label="Strategy", width=170),
            pn.widgets.TextInput.from_param(s.param.text, description=None, label="Search",
                                            placeholder="id, params, config hash", width=240),
            flex_wrap="wrap", align_items="flex-end", sizing_mode="stretch_width",
        )
        self._table = table(s.frame(), height=300, placeholder="No runs match the filters",
                            titles={"total_return": "Return", "created_by": "By", "created": "Created (UTC)"})
        self._table.param.watch(self._on_select, "selection")
        self._chart = pn.pane.Bokeh(equity_figure(s.equity), sizing_mode="stretch_width", visible=False)
        self._metrics = table(s.metrics, height=300, placeholder="No metrics", selectable=False)
        report = pn.Column(
            pn.pane.HTML(pn.bind(self._report, s.param.selected_id), sizing_mode="stretch_width"),
            section("Metrics"), self._metrics, self._chart,
            styles=card_styles(padding="12px"), sizing_mode="stretch_width",
        )
        self._layout = pn.Column(
            pn.Column(filters, styles=card_styles(padding="8px"), sizing_mode="stretch_width"),
            pn.pane.HTML(pn.bind(notice_html, s.param.message, s.param.level), sizing_mode="stretch_width"),
            self._table, report, sizing_mode="stretch_width",
        )
        s.param.watch(self._on_runs, "runs")
        s.param.watch(self._on_report, ["equity", "metrics"])

    def _report(self, selected_id: str) -> str:
        return _report_html(self.state.selected)

    def _on_runs(self, event: param.parameterized.Event) -> None:
        self._table.value = self.state.frame()
        ids = [r.id for r in self.state.runs]
        self._table.selection = [ids.index(self.state.selected_id)] if self.state.selected_id in ids else []

    def _on_select(self, event: param.parameterized.Event) -> None:
        rows = event.new
        runs = self.state.runs
        chosen = runs[rows[0]].id if rows and len(runs) > rows[0] else ""
        if chosen != self.state.selected_id:
            self.state.select(chosen)

    def _on_report(self, *events: param.parameterized.Event) -> None:
        s = self.state
        self._metrics.value = s.metrics
        self._chart.object = equity_figure(s.equity, f"Equity of {s.selected.strategy}" if s.selected else "Equity")
        self._chart.visible = not s.equity.empty

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
