"""The Athena palette and the Panel design that applies it to every component."""

from __future__ import annotations

from html import escape
from typing import Final

from panel.theme import Inherit, Native
from panel.theme.native import NativeDarkTheme
from panel.viewable import Viewable

__all__ = ["PALETTE", "TABLE_CSS", "AthenaDesign", "badge", "card_styles", "notice_html"]

PALETTE: Final[dict[str, str]] = {
    "primary": "#7B3FE4",
    "secondary": "#A855F7",
    "background": "#0B0E14",
    "panel": "#111827",
    "border": "#1F2937",
    "danger": "#DC2626",
    "warning": "#F59E0B",
    "success": "#10B981",
    "info": "#A855F7",
    "text": "#E5E7EB",
    "muted": "#9CA3AF",
}

FONT = "Inter, 'Segoe UI', system-ui, -apple-system, Roboto, 'Helvetica Neue', Arial, sans-serif"
MONO = "'JetBrains Mono', 'DejaVu Sans Mono', Menlo, Consolas, monospace"

_VARIABLES = f"""
:host, :root {{
  --panel-primary-color: {PALETTE["primary"]};
  --panel-on-primary-color: #ffffff;
  --panel-secondary-color: {PALETTE["secondary"]};
  --panel-on-secondary-color: #ffffff;
  --panel-background-color: {PALETTE["background"]};
  --panel-background-rgb: 11, 14, 20;
  --panel-on-background-color: {PALETTE["text"]};
  --panel-surface-color: {PALETTE["panel"]};
  --panel-on-surface-color: {PALETTE["text"]};
  --panel-border-color: {PALETTE["border"]};
  --primary-bg-color: {PALETTE["primary"]};
  --success-bg-color: {PALETTE["success"]};
  --danger-bg-color: {PALETTE["danger"]};
  --warning-bg-color: {PALETTE["warning"]};
  --light-bg-color: {PALETTE["panel"]};
  --dark-bg-color: {PALETTE["background"]};
  --bokeh-font-family: {FONT};
  --bokeh-base-font: {FONT};
  font-family: {FONT};
  color: {PALETTE["text"]};
}}
.bk-input, input, select, textarea {{
  background-color: {PALETTE["background"]} !important;
  color: {PALETTE["text"]} !important;
  border-color: #374151 !important;
  border-radius: 6px !important;
}}
.bk-input:focus, input:focus {{ border-color: {PALETTE["secondary"]} !important; }}
label, .bk-input-group label {{ color: {PALETTE["muted"]}; font-size: 12px; letter-spacing: .02em; }}
.bk-btn {{ border-radius: 6px; font-weight: 600; }}
.bk-btn-primary {{ background-color: {PALETTE["primary"]}; border-color: {PALETTE["primary"]}; color: #fff; }}
.bk-btn-primary:hover {{ background-color: {PALETTE["secondary"]}; border-color: {PALETTE["secondary"]}; }}
.bk-btn-danger {{ background-color: {PALETTE["danger"]}; border-color: {PALETTE["danger"]}; color: #fff; }}
.bk-btn-success {{ background-color: {PALETTE["success"]}; border-color: {PALETTE["success"]}; color: #0B0E14; }}
.bk-btn-default {{ background-color: #1F2937 !important; border-color: #374151 !important;
  color: {PALETTE["text"]} !important; }}
.bk-btn-default:hover {{ background-color: #374151 !important; }}
"""

TABLE_CSS = f"""
.tabulator {{ background-color: {PALETTE["panel"]} !important; border: 1px solid {PALETTE["border"]} !important;
  border-radius: 8px; font-size: 13px; color: {PALETTE["text"]} !important; }}
.tabulator .tabulator-header, .tabulator .tabulator-header .tabulator-col {{ background-color: #0F1623 !important;
  color: {PALETTE["muted"]} !important; border-color: {PALETTE["border"]} !important; }}
.tabulator .tabulator-header {{ text-transform: uppercase; font-size: 11px; letter-spacing: .05em; }}
.tabulator .tabulator-tableholder, .tabulator .tabulator-tableholder .tabulator-table {{
  background-color: {PALETTE["panel"]} !important; color: {PALETTE["text"]} !important; }}
.tabulator-row, .tabulator-row.tabulator-row-odd {{ background-color: {PALETTE["panel"]} !important;
  color: {PALETTE["text"]} !important; border-bottom: 1px solid {PALETTE["border"]} !important; }}
.tabulator-row.tabulator-row-even {{ background-color: #0F1623 !important; }}
.tabulator-row.tabulator-selectable:hover {{ background-color: #1F2937 !important; }}
.tabulator-row.tabulator-selected, .tabulator-row.tabulator-selected.tabulator-row-even {{
  background-color: rgba(123, 63, 228, .35) !important; }}
.tabulator-row .tabulator-cell {{ border-right: none !important; padding: 6px 10px !important; }}
.tabulator .tabulator-footer {{ background-color: #0F1623 !important; color: {PALETTE["muted"]} !important; }}
.tabulator-placeholder span {{ color: {PALETTE["muted"]} !important; font-size: 13px !important; }}
"""


class AthenaDesign(Native):
    """Panel's native design on a dark theme, recoloured with the Athena palette."""

    modifiers = {
        Viewable: {"stylesheets": [Inherit, _VARIABLES]},
    }

    _themes = {"dark": NativeDarkTheme, "default": NativeDarkTheme}


def card_styles(**extra: str) -> dict[str, str]:
    """Return the CSS of a raised panel card, with ``extra`` properties merged in."""
    return {
        "background": PALETTE["panel"],
        "border": f"1px solid {PALETTE['border']}",
        "border-radius": "10px",
        "padding": "16px",
        **{key.replace("_", "-"): value for key, value in extra.items()},
    }


def badge(text: str, color: str, *, solid: bool = False) -> str:
    """Return an HTML pill with ``text`` in ``color`` (a palette name or CSS colour)."""
    value = PALETTE.get(color, color)
    fill = value if solid else f"{value}22"
    ink = "#ffffff" if solid else value
    return (f'<span style="display:inline-block;padding:2px 10px;border-radius:999px;font-size:12px;'
            f'font-weight:600;letter-spacing:.03em;background:{fill};color:{ink};border:1px solid {value}55">'
            f"{escape(text)}</span>")


def notice_html(message: str, level: str) -> str:
    """Return a message line coloured by ``level`` (info, success, warning, danger); empty when no message."""
    if not message:
        return ""
    color = PALETTE.get(level, PALETTE["info"])
    return (f'<div role="status" style="border-left:3px solid {color};background:{color}1A;color:{PALETTE["text"]};'
            f'padding:8px 12px;border-radius:6px;font-size:13px">{escape(message)}</div>')
