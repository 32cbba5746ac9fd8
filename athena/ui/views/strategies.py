"""The Strategies page: registry, typed parameter editor with history, lifecycle buttons, go-live, backtests."""

from __future__ import annotations

from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.auth import Permission
from athena.console import JobRecord
from athena.ui.state.strategies import StrategiesState
from athena.ui.theme import MONO, PALETTE, badge, card_styles, notice_html
from athena.ui.views.common import on_press
from athena.ui.views.research import equity_figure, param_input, section, table

__all__ = ["StrategiesView"]

_STATUS_COLOR = {"queued": "muted", "claimed": "info", "running": "info", "succeeded": "success",
                 "failed": "danger", "cancelled": "warning", "timed_out": "danger"}


def _history_html(history: list[Any]) -> str:
    if not history:
        return f'<div style="color:{PALETTE["muted"]};font-size:13px">No strategy selected.</div>'
    rows = "".join(
        f'<div style="padding:4px 0;border-bottom:1px solid {PALETTE["border"]}"><b>v{version}</b> '
        f'<span style="color:{PALETTE["muted"]}">{escape(by)} &middot; {at:%Y-%m-%d %H:%M}</span><br>'
        f'<span style="font-family:{MONO};font-size:12px">'
        f'{escape(", ".join(f"{k}={v}" for k, v in params.items()))}</span></div>'
        for version, params, by, at in history
    )
    return f'<div style="font-size:13px;color:{PALETTE["text"]}">{rows}</div>'


def _job_html(job: JobRecord | None) -> str:
    if job is None:
        return f'<div style="color:{PALETTE["muted"]};font-size:13px">No backtest started from this page yet.</div>'
    return (f'<div style="font-size:13px;color:{PALETTE["text"]}">Backtest job <b style="font-family:{MONO}">'
            f'{job.id[:12]}</b> {badge(job.status.upper(), _STATUS_COLOR.get(job.status, "muted"))} '
            f'<span style="color:{PALETTE["muted"]}">{job.progress:.0%} of cells done</span></div>')


class StrategiesView(Viewer):
    """The registry on top; the selected strategy's editor, actions and backtest below."""

    state = param.ClassSelector(allow_None=NoNone, class_=StrategiesState, doc="What the page shows and does.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self._registry = table(s.frame(), height=150, placeholder="No strategy is registered",
                               titles={"trading": "Trading state", "version": "Params v"})
        self._registry.param.watch(self._on_select, "selection")
        self._editor = pn.FlexBox(sizing_mode="stretch_width")
        save = on_press(pn.widgets.Button(label="Save", color="primary", width=110,
                                          disabled=not s.can(Permission.STRATEGIES_EDIT)), s.save_params)
        approve = on_press(pn.widgets.Button(label="Approve", color="success", width=110,
                                             disabled=not s.can(Permission.STRATEGIES_APPROVE)), s.approve)
        activate = on_press(pn.widgets.Button(label="Activate", color="primary", width=110,
                                              disabled=not s.can(Permission.STRATEGIES_RUN_PAPER)), s.activate)
        halt = on_press(pn.widgets.Button(label="Halt", color="danger", width=110,
                                          disabled=not s.can(Permission.TRADING_HALT)), s.halt)
        reason = pn.widgets.TextInput.from_param(s.param.halt_reason, description=None, label="Halt reason",
                                                 placeholder="why", width=200,
                                                 disabled=not s.can(Permission.TRADING_HALT))
        editor_card = pn.Column(
            section("Parameters"), self._editor, pn.Row(save, approve, activate, reason, halt, align="end"),
            *self._go_live_controls(),
            section("Version history"),
            pn.pane.HTML(pn.bind(_history_html, s.param.history), sizing_mode="stretch_width", max_height=220,
                         styles={"overflow-y": "auto"}),
            styles=card_styles(padding="8px"), sizing_mode="stretch_width",
        )
        # The backtest form is only for roles that may run one: a VIEWER sees it, greyed out.
        off: dict[str, Any] = {"description": None, "disabled": not s.can_backtest}
        form = pn.FlexBox(
            pn.widgets.TextInput.from_param(s.param.symbols, label="Symbols", width=170, **off),
            pn.widgets.TextInput.from_param(s.param.timeframe, label="Timeframe", width=90, **off),
            pn.widgets.TextInput.from_param(s.param.start, label="Start (UTC)", width=120, **off),
            pn.widgets.TextInput.from_param(s.param.end, label="End (UTC)", width=120, placeholder="or bars", **off),
            pn.widgets.IntInput.from_param(s.param.bars, label="Bars", width=100, **off),
            pn.widgets.FloatInput.from_param(s.param.capital, label="Capital", width=130, **off),
            pn.widgets.FloatInput.from_param(s.param.fees, label="Fees (per side)", width=120, **off),
            on_press(pn.widgets.Button(label="RUN BACKTEST", color="primary", width=150, margin=(22, 10, 5, 10),
                                       disabled=not s.can_backtest), s.run_backtest),
            flex_wrap="wrap", align_items="flex-end", sizing_mode="stretch_width",
        )
        self._progress = pn.indicators.Progress(value=0, max=100, bar_color="primary", sizing_mode="stretch_width",
                                                height=14, visible=False)
        self._chart = pn.pane.Bokeh(equity_figure(s.equity), sizing_mode="stretch_width", visible=False)
        self._metrics = table(s.metrics, height=280, placeholder="Metrics appear when the backtest succeeds",
                              selectable=False)
        self._stress = table(s.stress, height=200, selectable=False,
                             placeholder="No stress_test job has run on this strategy's book yet (see Jobs)",
                             titles={"return_pct": "Return %", "nav_after": "NAV after"})
        backtest_card = pn.Column(
            section("Backtest"), form, pn.pane.HTML(pn.bind(_job_html, s.param.job), sizing_mode="stretch_width"),
            self._progress, pn.Row(self._chart, pn.Column(self._metrics, width=320), sizing_mode="stretch_width"),
            section("Stress (latest stress_test job on this strategy's book)"), self._stress,
            styles=card_styles(padding="8px"), sizing_mode="stretch_width",
        )
        self._layout = pn.Column(
            pn.pane.HTML(pn.bind(notice_html, s.param.message, s.param.level), sizing_mode="stretch_width"),
            self._registry, editor_card, backtest_card, sizing_mode="stretch_width",
        )
        s.param.watch(self._on_deployments, "deployments")
        s.param.watch(self._on_editor, ["selected", "param_types"])
        s.param.watch(self._on_job, "job")
        s.param.watch(self._on_result, ["equity", "metrics"])
        s.param.watch(self._on_stress, "stress")
        self._on_editor()

    def _go_live_controls(self) -> list[Any]:
        s = self.state
        # Hidden, not greyed out, for roles that may not go live: a code field they cannot use only invites typing.
        if not s.can_go_live:
            return []
        return [pn.Row(
            pn.widgets.TextInput.from_param(s.param.live_totp, description=None, label="Your TOTP code",
                                            placeholder="code to go live", width=180),
            on_press(pn.widgets.Button(label="Go live", color="warning", width=110, margin=(22, 6, 5, 6),
                                       disabled=s.go_live_blocked), s.go_live),
            # The note names only a validated strategy name and fixed state words: nothing to escape.
            pn.pane.HTML(s.go_live_note, margin=(28, 6), sizing_mode="stretch_width",
                         styles={"color": PALETTE["muted"], "font-size": "12px"}),
            sizing_mode="stretch_width",
        )]

    def _on_deployments(self, *events: param.parameterized.Event) -> None:
        self._registry.value = self.state.frame()
        names = list(self._registry.value["name"])
        self._registry.selection = [names.index(self.state.selected)] if self.state.selected in names else []

    def _on_select(self, event: param.parameterized.Event) -> None:
        frame = self._registry.value
        rows = event.new
        name = str(frame.iloc[rows[0]]["name"]) if rows and len(frame) > rows[0] else ""
        if name != self.state.selected:
            self.state.select(name)

    def _on_editor(self, *events: param.parameterized.Event) -> None:
        s = self.state
        if not s.param_types:
            self._editor.objects = [pn.pane.HTML(
                f'<div style="color:{PALETTE["muted"]};font-size:13px">Select a strategy in the table.</div>')]
            return
        editable = s.can(Permission.STRATEGIES_EDIT)
        inputs = [param_input(name, kind.__name__, s.param_values.get(name), s.set_value) for name, kind in
                  s.param_types.items()]
        for widget in inputs:
            widget.disabled = not editable
        self._editor.objects = inputs

    def _on_job(self, event: param.parameterized.Event) -> None:
        job = self.state.job
        self._progress.visible = job is not None
        self._progress.value = round((job.progress if job else 0.0) * 100)

    def _on_result(self, *events: param.parameterized.Event) -> None:
        s = self.state
        has = not s.equity.empty
        self._chart.object = equity_figure(s.equity, f"Equity of {s.selected}" if has else "Equity")
        self._chart.visible = has
        self._metrics.value = s.metrics

    def _on_stress(self, event: param.parameterized.Event) -> None:
        self._stress.value = self.state.stress

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
