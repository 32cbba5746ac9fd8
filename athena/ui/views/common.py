"""Small building blocks shared by the views."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import pandas as pd
import panel as pn
import param
from bokeh.models.widgets.tables import NumberFormatter

from athena.ui.theme import MONO, PALETTE, TABLE_CSS

__all__ = ["AMOUNT", "big", "grid", "heading", "money", "on_press", "small", "stat_card", "table"]

#: Tabulator cell format of an amount: thousands separators, two decimals.
AMOUNT = NumberFormatter(format="0,0.00")


def on_press(button: pn.widgets.Button, action: Callable[[], object]) -> pn.widgets.Button:
    """Run ``action`` (whatever it returns) when ``button`` is clicked; return the button."""

    def handler(event: param.parameterized.Event) -> None:
        action()

    button.on_click(handler)
    return button


def heading(text: str, sub: str = "") -> pn.pane.HTML:
    """Return a section title with an optional muted line under it."""
    note = f'<div style="color:{PALETTE["muted"]};font-size:12px;margin-top:2px">{escape(sub)}</div>' if sub else ""
    return pn.pane.HTML(
        f'<div style="font-size:15px;font-weight:700;color:{PALETTE["text"]}">{escape(text)}</div>{note}',
        sizing_mode="stretch_width",
    )


def stat_card(title: str, body: str, accent: str | None = None) -> str:
    """Return an HTML card with a small caps ``title`` over ``body`` (HTML), edged in ``accent`` if given."""
    edge = f"border-left:4px solid {PALETTE.get(accent, accent)};" if accent else ""
    return (f'<div style="background:{PALETTE["panel"]};border:1px solid {PALETTE["border"]};{edge}'
            f'border-radius:10px;padding:12px 14px;height:100%;box-sizing:border-box"><div style="color:'
            f'{PALETTE["muted"]};font-size:11px;text-transform:uppercase;letter-spacing:.06em">{escape(title)}</div>'
            f'<div style="margin-top:6px;color:{PALETTE["text"]};font-size:14px">{body}</div></div>')


def big(text: str, color: str | None = None) -> str:
    """Return ``text`` as a card's large figure."""
    ink = f"color:{PALETTE.get(color, color)};" if color else ""
    return f'<div style="{ink}font-size:22px;font-weight:700;margin-bottom:2px">{escape(text)}</div>'


def small(text: str, mono: bool = False) -> str:
    """Return ``text`` as a card's muted note."""
    font = f"font-family:{MONO};" if mono else ""
    return f'<div style="{font}font-size:12px;color:{PALETTE["muted"]};word-break:break-all">{escape(text)}</div>'


def grid(cards: list[str], min_width: int = 180) -> str:
    """Return cards in a responsive grid."""
    return (f'<div style="display:grid;grid-template-columns:repeat(auto-fit,minmax({min_width}px,1fr));gap:12px">'
            + "".join(cards) + "</div>")


def table(frame: pd.DataFrame, *, height: int, placeholder: str, titles: dict[str, str] | None = None,
          **params: Any) -> pn.widgets.Tabulator:
    """Return a read-only dark table of ``frame``."""
    return pn.widgets.Tabulator(
        frame, show_index=False, disabled=True, sizing_mode="stretch_width", height=height,
        layout="fit_data_stretch", theme="midnight", stylesheets=[TABLE_CSS], titles=titles or {},
        configuration={"placeholder": placeholder}, **params,
    )


def money(value: float | None, signed: bool = False) -> str:
    """Return an amount with thousands separators, or an em dash when unknown."""
    if value is None:
        return "\u2014"
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"
