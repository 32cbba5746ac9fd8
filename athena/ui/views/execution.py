"""The Execution page: order entry, open orders with cancel, recent fills, positions with flatten."""

from __future__ import annotations

from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.model import OrderDenied
from athena.ui.state import ExecutionState
from athena.ui.theme import MONO, PALETTE, TABLE_CSS, badge, card_styles, notice_html
from athena.ui.views.common import on_press

__all__ = ["ExecutionView", "heading"]


def heading(text: str, sub: str = "") -> pn.pane.HTML:
    """Return a card title with an optional muted line under it."""
    note = f'<div style="color:{PALETTE["muted"]};font-size:12px;margin-top:2px">{escape(sub)}</div>' if sub else ""
    return pn.pane.HTML(
        f'<div style="font-size:15px;font-weight:700;color:{PALETTE["text"]}">{escape(text)}</div>{note}',
        sizing_mode="stretch_width",
    )


def _outcome_html(result: Any) -> str:
    if result is None:
        return ""
    if isinstance(result, OrderDenied):
        return (f'{badge("DENIED", "danger", solid=True)} <span style="font-family:{MONO};color:{PALETTE["danger"]}">'
                f"{escape(result.reason.value)}</span>"
                f'<div style="color:{PALETTE["muted"]};font-size:12px;margin-top:4px">{escape(result.message)}</div>')
    return (f'{badge("ACCEPTED", "success", solid=True)} <span style="color:{PALETTE["text"]}">order '
            f'<b style="font-family:{MONO}">{result.id}</b> {badge(result.status.value.upper(), "secondary")}</span>')


def _table(frame: Any, height: int, placeholder: str, selectable: bool = True) -> pn.widgets.Tabulator:
    return pn.widgets.Tabulator(
        frame,
        show_index=False,
        disabled=True,
        selectable=1 if selectable else False,
        sizing_mode="stretch_width",
        height=height,
        layout="fit_data_stretch",
        theme="midnight",
        stylesheets=[TABLE_CSS],
        configuration={"placeholder": placeholder},
    )


class ExecutionView(Viewer):
    """Order entry and the blotter; controls are enabled only for roles that may use them."""

    state = param.ClassSelector(allow_None=NoNone, class_=ExecutionState, doc="What the page shows and does.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self._orders = _table(s.orders_frame(), 220, "No open orders")
        self._fills = _table(s.fills_frame(), 220, "No fills yet", selectable=False)
        self._positions = _table(s.positions_frame(), 180, "No positions")
        self._orders.param.watch(self._on_order_select, "selection")
        self._positions.param.watch(self._on_position_select, "selection")
        s.param.watch(self._show_orders, "open_orders")
        s.param.watch(lambda e: setattr(self._fills, "value", s.fills_frame()), "fills")
        s.param.watch(self._show_positions, "positions")
        self._layout = pn.Column(
            pn.pane.HTML(pn.bind(notice_html, s.param.message, s.param.level), sizing_mode="stretch_width"),
            pn.Row(self._entry(), self._positions_card(), sizing_mode="stretch_width"),
            self._orders_card(),
            pn.Column(heading("Recent fills", "Newest first."), self._fills, styles=card_styles(),
                      sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def _entry(self) -> pn.Column:
        s = self.state
        off = not s.can_submit
        price = pn.widgets.TextInput.from_param(s.param.price, description=None, label="Limit price",
                                                placeholder="e.g. 20000", width=150, disabled=off)
        stop = pn.widgets.TextInput.from_param(s.param.stop_price, description=None, label="Stop price",
                                               placeholder="e.g. 45000", width=150, disabled=off)

        def show_prices(*events: param.parameterized.Event) -> None:
            price.visible, stop.visible = s.needs_price, s.needs_stop

        s.param.watch(show_prices, "order_type")
        show_prices()
        send = on_press(pn.widgets.Button(label="Send order", color="primary", width=150, margin=(22, 10, 5, 10),
                                          disabled=off), s.submit)
        return pn.Column(
            heading("Order entry", "Checked by risk before it reaches the venue."),
            pn.Row(
                pn.widgets.Select.from_param(s.param.symbol, description=None, label="Symbol", width=150, disabled=off),
                pn.widgets.RadioButtonGroup.from_param(s.param.side, description=None, label="Side", width=150,
                                                       margin=(24, 10, 5, 10), disabled=off),
            ),
            pn.Row(
                pn.widgets.Select.from_param(s.param.order_type, description=None, label="Type", width=150,
                                             disabled=off),
                pn.widgets.TextInput.from_param(s.param.quantity, description=None, label="Quantity",
                                                placeholder="e.g. 0.01", width=150, disabled=off),
            ),
            pn.Row(price, stop),
            pn.Row(
                pn.widgets.Select.from_param(s.param.tif, description=None, label="Time in force", width=150,
                                             disabled=off),
                pn.widgets.TextInput.from_param(s.param.strategy, description=None, label="Strategy (optional)",
                                                width=150, disabled=off),
            ),
            send,
            pn.pane.HTML(pn.bind(_outcome_html, s.param.last_result), sizing_mode="stretch_width", min_height=24),
            width=380,
            styles=card_styles(),
        )

    def _positions_card(self) -> pn.Column:
        s = self.state
        off = not s.can_flatten
        flatten = on_press(pn.widgets.Button(label="Flatten", color="warning", width=120, margin=(22, 6, 5, 6),
                                             disabled=off), s.flatten)
        flatten_all = on_press(pn.widgets.Button(label="Flatten all", color="danger", width=120,
                                                 margin=(22, 6, 5, 6), disabled=off), s.flatten_all)
        reason = pn.widgets.TextInput.from_param(s.param.flatten_reason, description=None, label="Reason (ledger)",
                                                 width=280, disabled=off)
        return pn.Column(
            heading("Positions", "Flatten sends reduce-only market orders; allowed while trading is halted."),
            self._positions,
            pn.Row(reason, flatten, flatten_all),
            styles=card_styles(),
            sizing_mode="stretch_width",
        )

    def _orders_card(self) -> pn.Column:
        s = self.state
        off = not s.can_cancel
        cancel = on_press(pn.widgets.Button(label="Cancel", color="default", width=120, margin=(22, 6, 5, 6),
                                            disabled=off), s.cancel)
        cancel_all = on_press(pn.widgets.Button(label="Cancel all", color="danger", width=120, margin=(22, 6, 5, 6),
                                                disabled=off), s.cancel_all)
        scope = pn.widgets.Select.from_param(s.param.cancel_symbol, description=None, label="Cancel all in",
                                             width=160, disabled=off)
        return pn.Column(
            heading("Open orders", "Select an order to cancel it."),
            self._orders,
            pn.Row(cancel, scope, cancel_all),
            styles=card_styles(),
            sizing_mode="stretch_width",
        )

    # Replacing a table's rows may clear its selection: keep the chosen row selected where it still is.
    def _show_orders(self, event: param.parameterized.Event) -> None:
        chosen, frame = self.state.selected_order, self.state.orders_frame()
        self._orders.value = frame
        ids = list(frame["id"])
        self._orders.selection = [ids.index(chosen)] if chosen in ids else []

    def _show_positions(self, event: param.parameterized.Event) -> None:
        chosen, frame = self.state.selected_position, self.state.positions_frame()
        self._positions.value = frame
        symbols = list(frame["symbol"])
        self._positions.selection = [symbols.index(chosen)] if chosen in symbols else []

    def _on_order_select(self, event: param.parameterized.Event) -> None:
        frame = self._orders.value
        self.state.selected_order = int(frame.iloc[event.new[0]]["id"]) if event.new and len(frame) > event.new[0] \
            else None

    def _on_position_select(self, event: param.parameterized.Event) -> None:
        frame = self._positions.value
        self.state.selected_position = str(frame.iloc[event.new[0]]["symbol"]) \
            if event.new and len(frame) > event.new[0] else ""

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
