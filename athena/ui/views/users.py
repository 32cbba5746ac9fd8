"""The Users page (ADMIN): accounts, their life cycle, TOTP enrolment and pending approvals."""

from __future__ import annotations

from html import escape
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer
from param.parameters import NoNone

from athena.ui.state import UsersState
from athena.ui.theme import MONO, PALETTE, TABLE_CSS, card_styles, notice_html
from athena.ui.views.common import on_press

__all__ = ["UsersView"]


def _heading(text: str, sub: str = "") -> pn.pane.HTML:
    note = f'<div style="color:{PALETTE["muted"]};font-size:12px;margin-top:2px">{escape(sub)}</div>' if sub else ""
    return pn.pane.HTML(
        f'<div style="font-size:15px;font-weight:700;color:{PALETTE["text"]}">{escape(text)}</div>{note}',
        sizing_mode="stretch_width",
    )


def _secret_html(note: str) -> str:
    if not note:
        return ""
    return (
        f'<div style="border:1px dashed {PALETTE["warning"]};border-radius:6px;padding:8px 12px;'
        f'font-family:{MONO};font-size:13px;color:{PALETTE["warning"]}">{escape(note)}'
        f'<div style="font-family:inherit;color:{PALETTE["muted"]};font-size:11px;margin-top:4px">'
        "Shown once. Hand it over securely; it is not stored.</div></div>"
    )


def _selected_html(name: str) -> str:
    return (
        f'<div style="color:{PALETTE["muted"]};font-size:13px;padding-top:28px">Selected: '
        f'<b style="color:{PALETTE["text"]}">{escape(name) or "none"}</b></div>'
    )


def _totp_html(user: str, uri: str, qr: str) -> str:
    if not uri:
        return ""
    return (
        f'<div style="display:flex;gap:16px;align-items:flex-start">'
        f'<div style="background:#fff;padding:8px;border-radius:8px;line-height:0">{qr}</div>'
        f'<div><div style="color:{PALETTE["text"]};font-weight:600">Scan with an authenticator app</div>'
        f'<div style="color:{PALETTE["muted"]};font-size:12px;margin:4px 0">Pending for {escape(user)} until '
        "the first login with a code.</div>"
        f'<div style="font-family:{MONO};font-size:11px;word-break:break-all;color:{PALETTE["secondary"]}">'
        f"{escape(uri)}</div></div></div>"
    )


class UsersView(Viewer):
    """Accounts and approvals; controls appear only for roles that may use them."""

    state = param.ClassSelector(allow_None=NoNone, class_=UsersState, doc="What the page shows and does.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self._users = pn.widgets.Tabulator(
            s.users_frame(),
            show_index=False,
            disabled=True,
            selectable=1,
            sizing_mode="stretch_width",
            height=300,
            layout="fit_data_stretch",
            theme="midnight",
            stylesheets=[TABLE_CSS],
            titles={
                "username": "User",
                "role": "Role",
                "status": "Status",
                "totp": "TOTP",
                "locked_until": "Locked until",
                "created": "Created (UTC)",
            },
        )
        self._users.param.watch(self._on_user_select, "selection")
        self._approvals = pn.widgets.Tabulator(
            s.approvals_frame(),
            show_index=False,
            disabled=True,
            selectable=1,
            sizing_mode="stretch_width",
            height=180,
            layout="fit_data_stretch",
            theme="midnight",
            stylesheets=[TABLE_CSS],
            configuration={"placeholder": "No pending requests"},
        )
        self._approvals.param.watch(self._on_approval_select, "selection")
        s.param.watch(lambda e: setattr(self._users, "value", s.users_frame()), "users")
        s.param.watch(lambda e: setattr(self._approvals, "value", s.approvals_frame()), "approvals")
        sections: list[Any] = [
            pn.pane.HTML(pn.bind(notice_html, s.param.message, s.param.level), sizing_mode="stretch_width"),
            pn.pane.HTML(pn.bind(_secret_html, s.param.secret_note), sizing_mode="stretch_width"),
            pn.Column(
                _heading("Accounts", "Select an account to act on it."),
                self._users,
                *self._account_actions(),
                styles=card_styles(),
                sizing_mode="stretch_width",
            ),
        ]
        if s.can_manage:
            sections.append(self._add_form())
        sections.append(self._approvals_section())
        self._layout = pn.Column(*sections, sizing_mode="stretch_width")

    def _account_actions(self) -> list[Any]:
        s = self.state
        if not s.can_manage:
            return []
        buttons = []
        for label, kind, handler in (
            ("Disable", "danger", s.disable),
            ("Enable", "success", s.enable),
            ("Reset password", "default", s.reset_password),
            ("Enrol TOTP", "primary", s.enroll_totp),
        ):
            buttons.append(
                on_press(pn.widgets.Button(label=label, color=kind, width=140, margin=(22, 6, 5, 6)), handler)
            )
        selected = pn.pane.HTML(pn.bind(_selected_html, s.param.selected_user), width=200)
        reset_to = pn.widgets.PasswordInput.from_param(
            s.param.reset_to, description=None, label="New password (empty: generate)", width=240
        )
        return [
            pn.Row(selected, reset_to, *buttons, sizing_mode="stretch_width"),
            pn.pane.HTML(
                pn.bind(_totp_html, s.param.totp_user, s.param.totp_uri, s.param.totp_qr), sizing_mode="stretch_width"
            ),
        ]

    def _add_form(self) -> pn.Column:
        s = self.state
        add = on_press(
            pn.widgets.Button(label="Add user", color="primary", width=140, margin=(22, 10, 5, 10)), s.add_user
        )
        return pn.Column(
            _heading("Add an account", "Leave the password empty to generate a strong one."),
            pn.Row(
                pn.widgets.TextInput.from_param(s.param.new_username, description=None, label="Username", width=220),
                pn.widgets.Select.from_param(s.param.new_role, description=None, label="Role", width=140),
                pn.widgets.PasswordInput.from_param(
                    s.param.new_password, description=None, label="Password (optional)", width=240
                ),
                add,
            ),
            styles=card_styles(),
            sizing_mode="stretch_width",
        )

    def _approvals_section(self) -> pn.Column:
        s = self.state
        items: list[Any] = [
            _heading(
                "Pending approvals", "Privileged actions wait here for a second ADMIN; approving needs your TOTP."
            ),
            self._approvals,
        ]
        if s.can_decide:
            approve = on_press(
                pn.widgets.Button(label="Approve", color="success", width=120, margin=(22, 6, 5, 6)), s.approve
            )
            reject = on_press(
                pn.widgets.Button(label="Reject", color="danger", width=120, margin=(22, 6, 5, 6)), s.reject
            )
            items.append(
                pn.Row(
                    pn.widgets.TextInput.from_param(
                        s.param.approve_totp, description=None, label="Your TOTP code", width=160
                    ),
                    approve,
                    pn.widgets.TextInput.from_param(
                        s.param.reject_reason, description=None, label="Reason to reject", width=300
                    ),
                    reject,
                    sizing_mode="stretch_width",
                )
            )
        return pn.Column(*items, styles=card_styles(), sizing_mode="stretch_width")

    def _on_user_select(self, event: param.parameterized.Event) -> None:
        frame = self._users.value
        if event.new and len(frame) > event.new[0]:
            self.state.selected_user = str(frame.iloc[event.new[0]]["username"])

    def _on_approval_select(self, event: param.parameterized.Event) -> None:
        frame = self._approvals.value
        self.state.selected_approval = (
            int(frame.iloc[event.new[0]]["id"]) if event.new and len(frame) > event.new[0] else None
        )

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
