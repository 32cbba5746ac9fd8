"""Pieces the research pages share: tables, the equity chart, typed parameter inputs, a section title."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import pandas as pd
import panel as pn
from bokeh.models.annotations import Title
from bokeh.plotting import figure

from athena.ui.theme import PALETTE, TABLE_CSS

__all__ = ["equity_figure", "param_input", "section", "table"]


def table(frame: pd.DataFrame, *, height: int, placeholder: str, titles: dict[str, str] | None = None,
          selectable: bool = True) -> pn.widgets.Tabulator:
    """Return a read-only dark Tabulator over ``frame``."""
    return pn.widgets.Tabulator(
        frame, show_index=False, disabled=True, selectable=1 if selectable else False,
        sizing_mode="stretch_width", height=height, layout="fit_data_stretch", theme="midnight",
        stylesheets=[TABLE_CSS], titles=titles or {}, configuration={"placeholder": placeholder},
    )


def equity_figure(frame: pd.DataFrame, title: str = "Equity") -> figure:
    """Return a dark Bokeh line chart of an equity curve (columns ``time``, ``equity``)."""
    fig = figure(title=title, x_axis_type="datetime", height=280, sizing_mode="stretch_width",
                 background_fill_color=PALETTE["panel"], border_fill_color=PALETTE["panel"],
                 toolbar_location=None)
    fig.line(frame["time"].dt.tz_localize(None) if len(frame) else [], frame["equity"].to_numpy(),
             line_width=2, color=PALETTE["secondary"])
    if isinstance(fig.title, Title):
        fig.title.text_color = PALETTE["text"]
    for axis in (fig.xaxis, fig.yaxis):
        axis.major_label_text_color = PALETTE["muted"]
        axis.axis_line_color = PALETTE["border"]
    fig.grid.grid_line_color = PALETTE["border"]
    fig.outline_line_color = PALETTE["border"]
    return fig


def param_input(name: str, kind: str, value: object, on_change: Callable[[str, object], None],
                help_text: str = "") -> pn.widgets.Widget:
    """Return an input for one typed parameter (``int``, ``float``, ``bool`` or text) that reports edits."""
    common: dict[str, Any] = {"label": name, "width": 190}
    if help_text:
        common["description"] = help_text
    widget: pn.widgets.Widget
    if kind == "bool":
        widget = pn.widgets.Checkbox(value=bool(value), **common)
    elif kind == "int" and isinstance(value, int):
        widget = pn.widgets.IntInput(value=value, **common)
    elif kind == "float" and isinstance(value, int | float):
        widget = pn.widgets.FloatInput(value=float(value), **common)
    else:
        widget = pn.widgets.TextInput(value="" if value is None else str(value), **common)
    widget.param.watch(lambda event: on_change(name, event.new), "value")
    return widget


def section(title: str) -> pn.pane.HTML:
    """Return a small uppercase section heading."""
    return pn.pane.HTML(f'<div style="color:{PALETTE["muted"]};font-size:11px;text-transform:uppercase;'
                        f'letter-spacing:.06em;font-weight:600">{escape(title)}</div>', margin=(6, 10, 0, 10))
