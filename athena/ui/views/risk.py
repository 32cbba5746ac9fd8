"""The Risk control tower: vitals against mandates, the mandate editor, the kill switch, stress."""

from __future__ import annotations

from html import escape
from typing import Any

import panel as pn
import param
from bokeh.models.widgets.tables import NumberFormatter
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.ui.state import RiskState
from athena.ui.theme import PALETTE, badge, card_styles, notice_html
from athena.ui.views.command import state_color
from athena.ui.views.common import AMOUNT, big, grid, heading, money, on_press, small, stat_card, table

__all__ = ["RiskView"]

_LEVEL_COLORS = {"OK": "success", "WARN": "warning", "BREACH": "danger", "NO LIMIT": "muted", "no history": "muted"}
_FRACTIONS = {"Drawdown"}
_RATIOS = {"Gross leverage"}


def _figure(name: str, value: float | None) -> str:
    if value is None:
        return "\u2014"
    if name in _FRACTIONS:
        return f"{value:.2%}"
    if name in _RATIOS:
        return f"{value:.2f}x"
    return money(value)


def _vitals_html(vitals: list[dict[str, Any]], method: str, engine_method: str) -> str:
    cards = []
    for row in vitals:
        color = _LEVEL_COLORS.get(row["level"], "muted")
        bounds = ("no mandate" if row["breach"] is None else
                  f"warn {_figure(row['name'], row['warn'])} / breach {_figure(row['name'], row['breach'])}")
        cards.append(stat_card(row["name"], big(_figure(row["name"], row["value"]), color if row["level"] != "OK"
                                                else None) + badge(row["level"], color) + small(bounds)
                               + (small(row["reason"]) if row.get("reason") else ""), color))
    return (grid(cards, min_width=170) + f'<div style="margin-top:8px">{small("VaR/CVaR: " + method)}</div>'
            f'<div>{small("Engine VaR/CVaR: " + engine_method)}</div>')


def _kill_html(state: str) -> str:
    color = state_color(state)
    note = ("Engaged: no new orders; open orders were cancelled. Reset needs an ADMIN's TOTP and a second ADMIN."
            if state == "HALTED" else "Engaging halts every strategy and cancels every open order in one step.")
    label = badge("KILL SWITCH ENGAGED" if state == "HALTED" else "kill switch off", color, solid=state == "HALTED")
    return (f'<div style="display:flex;gap:16px;align-items:center">{big(state, color)}{label}'
            f'</div>{small(note)}')


def _stress_html(summary: dict[str, Any]) -> str:
    if not summary:
        return small("No stress summary yet: the engine writes one with each snapshot while the book holds positions.")
    worst = summary.get("worst_return")
    pct = "" if worst is None else f" ({worst:.2%})"
    return (f'<div style="color:{PALETTE["text"]};font-size:14px">Worst scenario: '
            f'<b>{escape(str(summary.get("worst_scenario", "")))}</b> {money(summary.get("worst_pnl"), signed=True)}'
            f"{pct}</div>")


def _chosen_html(selected: int | None, approvals: list[Any]) -> str:
    chosen = next((a for a in approvals if int(a.id) == selected), None)
    if chosen is None:
        return small("Nothing selected.")
    return small(f"Selected: #{chosen.id} {chosen.action} by {chosen.requested_by}")


class RiskView(Viewer):
    """Risk figures and the controls that stop and restart trading; controls appear by role."""

    state = param.ClassSelector(allow_None=NoNone, class_=RiskState, doc="What the page shows and does.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        box = {"styles": card_styles(), "sizing_mode": "stretch_width"}
        self._mandates = table(s.mandates, height=220, placeholder="No limits set",
                               formatters={"value": NumberFormatter(format="0,0.[000000]")})
        self._approvals = table(s.approvals_frame(), height=120, placeholder="No pending requests", selectable=1)
        self._approvals.param.watch(self._on_approval_select, "selection")
        self._summary = table(s.stress.summary_frame(), height=220, placeholder="No scenarios measured",
                              formatters={"pnl": AMOUNT})
        self._impact = table(s.stress.impact, height=220, placeholder="Run a scenario to see its impact",
                             formatters={"price": AMOUNT, "price_after": AMOUNT, "pnl": AMOUNT,
                                         "liquidity_cost": AMOUNT, "shock": NumberFormatter(format="0.00%")})
        s.param.watch(lambda e: setattr(self._mandates, "value", e.new), "mandates")
        s.param.watch(self._show_approvals, ["approvals", "selected_approval"])
        self._show_approvals()
        s.stress.param.watch(lambda e: setattr(self._summary, "value", s.stress.summary_frame()), "summary")
        s.stress.param.watch(lambda e: setattr(self._impact, "value", e.new), "impact")
        self._layout = pn.Column(
            pn.pane.HTML(pn.bind(notice_html, s.param.message, s.param.level), sizing_mode="stretch_width"),
            pn.Column(heading("Kill switch"), pn.pane.HTML(pn.bind(_kill_html, s.param.trading_state),
                                                           sizing_mode="stretch_width"), *self._kill_controls(), **box),
            pn.Column(heading("Vitals", "The global book against its mandate's warn and breach levels."),
                      pn.pane.HTML(pn.bind(_vitals_html, s.param.vitals, s.param.var_method, s.param.engine_var_method),
                                   sizing_mode="stretch_width"), **box),
            pn.Column(heading("Mandates", "Every limit, its live value and state; pre-trade kinds act on orders."),
                      self._mandates, *self._limit_form(), **box),
            pn.Column(heading("Stress", "Shipped scenario library against the current book."),
                      pn.pane.HTML(pn.bind(_stress_html, s.stress.param.summary), sizing_mode="stretch_width"),
                      pn.Row(self._summary, pn.Column(*self._scenario_controls(), self._impact,
                                                      sizing_mode="stretch_width"), sizing_mode="stretch_width"),
                      **box),
            sizing_mode="stretch_width",
        )

    def _kill_controls(self) -> list[Any]:
        s = self.state
        items: list[Any] = []
        if s.can_engage:
            engage = on_press(pn.widgets.Button(label="ENGAGE KILL SWITCH", color="danger", width=220,
                                                margin=(10, 6)), s.arm)
            confirm = pn.Row(
                pn.widgets.TextInput.from_param(s.param.kill_reason, description=None, label="Reason (required)",
                                                placeholder="why trading must stop", width=360),
                on_press(pn.widgets.Button(label="Confirm engage", color="danger", width=160, margin=(22, 6, 5, 6)),
                         s.engage),
                on_press(pn.widgets.Button(label="Cancel", color="default", width=100, margin=(22, 6, 5, 6)),
                         s.disarm),
                visible=s.param.armed,
            )
            items += [engage, confirm]
        if s.can_reset:
            items.append(pn.Row(
                pn.widgets.TextInput.from_param(s.param.reset_totp, description=None, label="Your TOTP code",
                                                placeholder="code to request reset", width=180),
                on_press(pn.widgets.Button(label="Request reset", color="primary", width=150, margin=(22, 6, 5, 6)),
                         s.request_reset),
            ))
        items += [heading("Pending approvals", "Kill switch resets and mandate loosenings wait for a second ADMIN."),
                  self._approvals]
        if s.can_decide:
            items.append(pn.Row(
                pn.widgets.TextInput.from_param(s.param.approve_totp, description=None, label="Approver TOTP code",
                                                placeholder="code to approve", width=180),
                on_press(pn.widgets.Button(label="Approve request", color="success", width=160,
                                           margin=(22, 6, 5, 6)), s.approve),
                pn.pane.HTML(pn.bind(_chosen_html, s.param.selected_approval, s.param.approvals), margin=(30, 6)),
            ))
        return items

    def _limit_form(self) -> list[Any]:
        s = self.state
        if not s.can_edit:
            return []
        return [pn.FlexBox(
            pn.widgets.TextInput.from_param(s.param.scope, description=None, label="Scope", width=160),
            pn.widgets.Select.from_param(s.param.kind, description=None, label="Kind", width=210),
            pn.widgets.TextInput.from_param(s.param.warn, description=None, label="Warn", width=110),
            pn.widgets.TextInput.from_param(s.param.breach, description=None, label="Breach", width=110),
            pn.widgets.Select.from_param(s.param.action, description=None, label="Breach action", width=150),
            pn.widgets.TextInput.from_param(s.param.limit_totp, description=None, label="TOTP (to loosen)",
                                            width=130),
            on_press(pn.widgets.Button(label="Set limit", color="primary", width=120, margin=(22, 6, 5, 6)),
                     s.set_limit),
            flex_wrap="wrap", align_items="flex-end", sizing_mode="stretch_width",
        )]

    def _scenario_controls(self) -> list[Any]:
        s = self.state
        return [
            pn.Row(
                pn.widgets.Select.from_param(s.stress.param.scenario, description=None, label="Scenario", width=260),
                on_press(pn.widgets.Button(label="Run scenario", color="primary", width=140, margin=(22, 6, 5, 6),
                                           disabled=s.stress.param.busy), s.run_scenario),
                pn.indicators.LoadingSpinner(value=s.stress.param.busy, visible=s.stress.param.busy, size=28,
                                             margin=(26, 6, 5, 6), color="primary", bgcolor="dark"),
            ),
            pn.pane.HTML(pn.bind(small, s.stress.param.outcome), sizing_mode="stretch_width"),
        ]

    def _show_approvals(self, *events: param.parameterized.Event) -> None:
        frame = self.state.approvals_frame()
        if not frame.equals(self._approvals.value):
            self._approvals.value = frame
        ids = list(frame["id"])
        chosen = self.state.selected_approval
        self._approvals.selection = [ids.index(chosen)] if chosen in ids else []

    def _on_approval_select(self, event: param.parameterized.Event) -> None:
        frame = self._approvals.value
        if event.new and len(frame) > event.new[0]:
            self.state.selected_approval = int(frame.iloc[event.new[0]]["id"])

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
