"""The Overview page: workspace health, trading mode, ledger head and the operator's own session."""

from __future__ import annotations

from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.auth import permissions_of
from athena.ui.state import ShellState
from athena.ui.theme import MONO, PALETTE, badge, card_styles

__all__ = ["OverviewView"]


def _card(title: str, body: str) -> str:
    return (f'<div style="background:{PALETTE["panel"]};border:1px solid {PALETTE["border"]};border-radius:10px;'
            f'padding:16px;height:100%;box-sizing:border-box"><div style="color:{PALETTE["muted"]};font-size:11px;'
            f'text-transform:uppercase;letter-spacing:.06em">{escape(title)}</div>'
            f'<div style="margin-top:8px;color:{PALETTE["text"]};font-size:14px">{body}</div></div>')


def _big(text: str) -> str:
    return f'<div style="font-size:24px;font-weight:700;margin-bottom:4px">{escape(text)}</div>'


def _small(text: str, mono: bool = False) -> str:
    font = f"font-family:{MONO};" if mono else ""
    return f'<div style="{font}font-size:12px;color:{PALETTE["muted"]};word-break:break-all">{escape(text)}</div>'


class OverviewView(Viewer):
    """Status cards of the workspace and of the signed-in operator."""

    state = param.ClassSelector(allow_None=NoNone, class_=ShellState, doc="The shell whose status this page shows.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._layout = pn.Column(
            pn.pane.HTML(pn.bind(self._cards, self.state.param.status, self.state.param.online),
                         sizing_mode="stretch_width"),
            pn.pane.HTML(self._session_html(), sizing_mode="stretch_width", styles=card_styles()),
            sizing_mode="stretch_width",
        )

    def _cards(self, status: dict[str, Any], online: bool) -> str:
        mode = str(status.get("trading_mode", "paper")).upper()
        cards = [
            _card("System", _big("Online" if online else "Offline")
                  + badge("DATABASE OK" if online else "UNREACHABLE", "success" if online else "danger")),
            _card("Trading mode", _big(mode) + badge("SIMULATED VENUES" if mode == "PAPER" else "REAL MONEY",
                                                     "success" if mode == "PAPER" else "warning")),
            _card("Audit ledger", _big(f"#{status.get('audit_head_seq', 0)}")
                  + _small(f"head {status.get('audit_head_hash', '')}", mono=True)),
            _card("Workspace", _small(str(status.get("home", ""))) + _small(str(status.get("database", "")))
                  + _small(f"schema v{status.get('schema_version', '?')} - id {status.get('workspace_id', '')}")),
        ]
        return ('<div style="display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px">'
                + "".join(cards) + "</div>")

    def _session_html(self) -> str:
        console = self.state.session.console
        if console is None:
            return ""
        who = console.identity
        expires = who.expires_at.strftime("%Y-%m-%d %H:%M UTC") if who.expires_at else "never"
        perms = " ".join(badge(p.value, "secondary") for p in sorted(permissions_of(who.role)))
        return (f'<div style="color:{PALETTE["muted"]};font-size:11px;text-transform:uppercase;letter-spacing:.06em">'
                f'Your session</div><div style="margin:8px 0;font-size:15px;color:{PALETTE["text"]}">'
                f"<b>{escape(who.username)}</b> {badge(who.role.value, 'primary', solid=True)} &middot; "
                f'<span style="color:{PALETTE["muted"]}">expires {expires}</span></div>'
                f'<div style="display:flex;flex-wrap:wrap;gap:6px">{perms}</div>')

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
