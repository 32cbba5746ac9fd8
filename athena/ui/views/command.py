"""The Command center: engine, feed and trading state, NAV and PnL, equity chart, exposures, strategies, alerts."""

from __future__ import annotations

from typing import Any

import panel as pn
import param
from bokeh.models import ColumnDataSource, DataRange1d, LinearAxis, NumeralTickFormatter, Range1d
from bokeh.plotting import figure
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.ui.state import CommandState, ShellState
from athena.ui.theme import PALETTE, badge, card_styles
from athena.ui.views.common import AMOUNT, big, grid, heading, money, small, stat_card, table

__all__ = ["CommandView", "state_color"]

_STATE_COLORS = {"ACTIVE": "success", "REDUCING": "warning", "HALTED": "danger"}


def state_color(state: str) -> str:
    """Return the palette colour of a trading state."""
    return _STATE_COLORS.get(state, "muted")


def _halted_banner(state: str) -> str:
    if state != "HALTED":
        return ""
    return (f'<div role="alert" style="background:{PALETTE["danger"]};color:#fff;border-radius:10px;padding:14px 18px;'
            'font-size:18px;font-weight:800;letter-spacing:.04em">TRADING HALTED: the kill switch is engaged. '
            'No new orders are accepted; resetting it needs two ADMINs (Risk page).</div>')


def _chart() -> tuple[Any, ColumnDataSource]:
    source = ColumnDataSource({"ts": [], "nav": [], "drawdown": []})
    fig = figure(height=260, sizing_mode="stretch_width", x_axis_type="datetime", toolbar_location=None,
                 background_fill_color=PALETTE["panel"], border_fill_color=PALETTE["panel"],
                 outline_line_color=PALETTE["border"], y_axis_label="NAV")
    fig.extra_y_ranges = {"dd": Range1d(start=-10, end=0)}
    fig.add_layout(LinearAxis(y_range_name="dd", axis_label="drawdown %"), "right")
    fig.varea(x="ts", y1="drawdown", y2=0, source=source, y_range_name="dd", fill_color=PALETTE["danger"],
              fill_alpha=0.3, legend_label="drawdown %")
    nav = fig.line(x="ts", y="nav", source=source, line_color=PALETTE["secondary"], line_width=2, legend_label="NAV")
    fig.y_range = DataRange1d(renderers=[nav], range_padding=0.2)  # fit NAV only, not the drawdown area
    fig.yaxis[0].formatter = NumeralTickFormatter(format="0,0")
    fig.legend.location = "top_left"
    fig.legend.background_fill_alpha = 0.0
    fig.legend.label_text_color = PALETTE["text"]
    for axis in fig.axis:
        axis.axis_label_text_color = axis.major_label_text_color = PALETTE["muted"]
        axis.axis_line_color = axis.major_tick_line_color = PALETTE["border"]
    fig.grid.grid_line_color = PALETTE["border"]
    return fig, source


class CommandView(Viewer):
    """The desk at a glance; figures follow the engine while the page is open."""

    state = param.ClassSelector(allow_None=NoNone, class_=CommandState, doc="What the page shows.")
    shell = param.ClassSelector(allow_None=NoNone, class_=ShellState, doc="The shell, for workspace and ledger.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self._fig, self._source = _chart()
        self._exposures = table(s.exposures, height=200, placeholder="No open positions",
                                titles={"net": "Net", "gross": "Gross", "mark": "Mark", "quantity": "Qty"},
                                formatters={"mark": AMOUNT, "net": AMOUNT, "gross": AMOUNT})
        self._strategies = table(s.strategies, height=200, placeholder="No strategies deployed",
                                 titles={"trading_state": "Trading state", "pnl": "PnL"},
                                 formatters={"capital": AMOUNT, "pnl": AMOUNT})
        self._alerts = table(s.alerts, height=180, placeholder="No alerts raised")
        s.param.watch(lambda e: setattr(self._exposures, "value", e.new), "exposures")
        s.param.watch(lambda e: setattr(self._strategies, "value", e.new), "strategies")
        s.param.watch(lambda e: setattr(self._alerts, "value", e.new), "alerts")
        s.param.watch(self._on_history, "history")
        self._on_history()
        box = {"styles": card_styles(), "sizing_mode": "stretch_width"}
        self._layout = pn.Column(
            pn.pane.HTML(pn.bind(_halted_banner, s.param.trading_state), sizing_mode="stretch_width"),
            pn.pane.HTML(pn.bind(self._status_cards, s.param.engine, s.param.feed, s.param.trading_state,
                                 s.param.mode), sizing_mode="stretch_width"),
            pn.pane.HTML(pn.bind(self._figure_cards, s.param.nav, s.param.day_pnl, s.param.sharpe,
                                 s.param.sharpe_window, s.param.drawdown), sizing_mode="stretch_width"),
            pn.Column(heading("Equity and drawdown", "NAV of every engine snapshot; drawdown from the running peak."),
                      pn.pane.Bokeh(self._fig, sizing_mode="stretch_width"), **box),
            pn.Row(
                pn.Column(heading("Exposure by symbol", "Net and gross value at the latest marks."),
                          self._exposures, **box),
                pn.Column(heading("Strategies", "Lifecycle, trading state and PnL of each deployment."),
                          self._strategies, **box),
                sizing_mode="stretch_width",
            ),
            pn.Column(heading("Recent alerts", "The newest alerts raised (ledger entries alerts.raise)."),
                      self._alerts, **box),
            pn.pane.HTML(pn.bind(self._workspace_cards, self.shell.param.status, self.shell.param.online),
                         sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def _on_history(self, *events: param.parameterized.Event) -> None:
        data = self.state.chart_data()
        self._source.data = dict(data)
        low = min(data["drawdown"], default=0.0)
        self._fig.extra_y_ranges["dd"].start = min(-1.0, low * 1.2)

    @staticmethod
    def _status_cards(engine: dict[str, Any], feed: str, trading_state: str, mode: str) -> str:
        if engine:
            running = engine["state"] == "running"
            engine_card = stat_card("Engine", big("RUNNING" if running else "STOPPED", "success" if running
                                                  else "danger") + small(f"heartbeat {engine['age_s']:.1f} s ago"),
                                    "success" if running else "danger")
            feed_note = small(f"{engine['feed']} - {engine['ticks']} ticks - {engine['latency_ms']:.1f} ms")
        else:
            engine_card = stat_card("Engine", big("NEVER RAN", "muted") + small("start it with athena up"), "muted")
            feed_note = small("no heartbeat")
        feed_color = {"live": "success", "stale": "warning"}.get(feed, "danger")
        color = state_color(trading_state)
        return grid([
            engine_card,
            stat_card("Feed", big(feed.upper(), feed_color) + feed_note, feed_color),
            stat_card("Trading state", big(trading_state, color) + badge(
                "KILL SWITCH ENGAGED" if trading_state == "HALTED" else "global", color,
                solid=trading_state == "HALTED"), color),
            stat_card("Mode", big(mode.upper(), "success" if mode == "paper" else "warning")
                      + small("simulated venues" if mode == "paper" else "real money")),
        ])

    @staticmethod
    def _figure_cards(nav: float | None, day_pnl: float | None, sharpe: float | None, window: str,
                      drawdown: float | None) -> str:
        pnl_color = None if day_pnl is None else ("success" if day_pnl >= 0 else "danger")
        return grid([
            stat_card("NAV", big(money(nav)) + small("newest snapshot")),
            stat_card("Day PnL", big(money(day_pnl, signed=True), pnl_color)
                      + small("vs first snapshot of the UTC day")),
            stat_card("Sharpe", big("\u2014" if sharpe is None else f"{sharpe:.2f}") + small(window)),
            stat_card("Drawdown", big("\u2014" if drawdown is None else f"{drawdown:.2%}",
                                      None if not drawdown else "warning") + small("from peak NAV")),
        ])

    @staticmethod
    def _workspace_cards(status: dict[str, Any], online: bool) -> str:
        return grid([
            stat_card("System", small("database reachable" if online else "database unreachable")),
            stat_card("Audit ledger", small(f"head #{status.get('audit_head_seq', 0)}")
                      + small(str(status.get("audit_head_hash", ""))[:24], mono=True)),
            stat_card("Workspace", small(str(status.get("home", ""))) + small(str(status.get("database", "")))
                      + small(f"schema v{status.get('schema_version', '?')}")),
        ], min_width=220)

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
