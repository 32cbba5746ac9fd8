"""The login page: username, password, TOTP when the account has it, and what went wrong."""

from __future__ import annotations

from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.ui.state import ShellState
from athena.ui.theme import PALETTE, card_styles, notice_html

__all__ = ["LoginView"]

LOGO = (
    f'<div style="display:flex;align-items:center;gap:10px">'
    f'<div style="width:34px;height:34px;border-radius:8px;background:linear-gradient(135deg,{PALETTE["primary"]},'
    f"{PALETTE['secondary']});display:flex;align-items:center;justify-content:center;color:#fff;font-weight:800;"
    f'font-size:18px">A</div><div><div style="font-size:18px;font-weight:700;color:{PALETTE["text"]};'
    f'letter-spacing:.08em">ATHENA</div><div style="font-size:12px;color:{PALETTE["muted"]}">Control plane</div>'
    f"</div></div>"
)


def _system_html(status: dict[str, Any], online: bool) -> str:
    color = PALETTE["success"] if online else PALETTE["danger"]
    state = "ONLINE" if online else "OFFLINE"
    home = escape(str(status.get("home", "")).rstrip("/").rsplit("/", 1)[-1])
    return (
        f'<div style="border-top:1px solid {PALETTE["border"]};padding-top:12px;font-size:12px;'
        f'color:{PALETTE["muted"]}"><span style="color:{color}">&#9679; {state}</span> &middot; workspace '
        f"{home} &middot; ledger head #{status.get('audit_head_seq', '?')}</div>"
    )


class LoginView(Viewer):
    """The sign-in card, centred on the page."""

    shell = param.ClassSelector(
        allow_None=NoNone, class_=ShellState, doc="The dashboard whose session this form opens."
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.shell.session
        self._username = pn.widgets.TextInput.from_param(
            s.param.username, description=None, label="Username", placeholder="username", sizing_mode="stretch_width"
        )
        self._password = pn.widgets.PasswordInput.from_param(
            s.param.password, description=None, label="Password", placeholder="password", sizing_mode="stretch_width"
        )
        self._totp = pn.widgets.TextInput.from_param(
            s.param.totp,
            description=None,
            label="TOTP code",
            placeholder="6-digit code",
            sizing_mode="stretch_width",
            visible=s.param.totp_needed,
        )
        self._submit = pn.widgets.Button(
            label="Sign in", color="primary", sizing_mode="stretch_width", height=40, margin=(16, 10, 6, 10)
        )
        self._submit.on_click(self._on_submit)
        self._totp.param.watch(self._on_enter, "enter_pressed")
        notice = pn.pane.HTML(pn.bind(notice_html, s.param.message, s.param.level), sizing_mode="stretch_width")
        card = pn.Column(
            pn.pane.HTML(LOGO, margin=(4, 10, 12, 10)),
            pn.pane.HTML(
                f'<div style="font-size:20px;font-weight:700;color:{PALETTE["text"]}">Sign in</div>'
                f'<div style="font-size:13px;color:{PALETTE["muted"]};margin-top:4px">'
                "Use your Athena account. Every action is recorded in the audit ledger.</div>",
                sizing_mode="stretch_width",
            ),
            self._username,
            self._password,
            self._totp,
            self._submit,
            notice,
            pn.pane.HTML(
                pn.bind(_system_html, self.shell.param.status, self.shell.param.online),
                sizing_mode="stretch_width",
                margin=(14, 10, 0, 10),
            ),
            width=400,
            styles=card_styles(padding="28px", box_shadow="0 20px 50px rgba(0,0,0,.45)"),
        )
        self._layout = pn.Column(
            pn.Row(pn.layout.HSpacer(), card, pn.layout.HSpacer(), sizing_mode="stretch_width", margin=(80, 0, 0, 0)),
            sizing_mode="stretch_width",
            min_height=720,
            styles={"background": PALETTE["background"]},
        )

    def _on_submit(self, event: Any) -> None:
        self.shell.session.login()

    def _on_enter(self, event: Any) -> None:
        self.shell.session.login()

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
