"""What the Users page shows: accounts, their life cycle, TOTP enrolment and pending approvals."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import param
import segno

from athena.auth import Permission
from athena.model import Approval, ApprovalStatus, Role, User
from athena.ui.state.base import PageState

__all__ = ["APPROVAL_COLUMNS", "USER_COLUMNS", "UsersState", "qr_svg"]

USER_COLUMNS = ["username", "role", "status", "totp", "locked_until", "created"]
APPROVAL_COLUMNS = ["id", "action", "requested_by", "requested_at", "expires_at", "params"]


def qr_svg(data: str, *, dark: str = "#0B0E14", light: str = "#FFFFFF", scale: int = 4) -> str:
    """Return ``data`` as an inline SVG QR code (what an authenticator app scans).

    Parameters
    ----------
    data
        The text to encode, e.g. an ``otpauth://`` provisioning URI.
    dark, light
        Module and background colours; authenticator apps read dark on light best.
    scale
        Pixels per module.

    Returns
    -------
    str
        An ``<svg>`` element without XML declaration.
    """
    out = io.BytesIO()
    segno.make(data, error="m").save(
        out, kind="svg", scale=scale, dark=dark, light=light, xmldecl=False, svgns=True, nl=False
    )
    return out.getvalue().decode("utf-8")


def _user_row(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role.value,
        "status": "disabled" if user.disabled else "active",
        "totp": "enrolled" if user.totp_enabled else "-",
        "locked_until": user.locked_until.strftime("%Y-%m-%d %H:%M") if user.locked_until else "",
        "created": user.created_at.strftime("%Y-%m-%d %H:%M"),
    }


def _approval_row(approval: Approval) -> dict[str, Any]:
    return {
        "id": int(approval.id),
        "action": approval.action,
        "requested_by": approval.requested_by,
        "requested_at": approval.requested_at.strftime("%Y-%m-%d %H:%M:%S"),
        "expires_at": approval.expires_at.strftime("%Y-%m-%d %H:%M:%S"),
        "params": ", ".join(f"{k}={v}" for k, v in approval.params.items()),
    }


class UsersState(PageState):
    """Accounts and approvals, and the forms that change them (ADMIN)."""

    users = param.List(default=[], item_type=User, doc="Every account, sorted by name.")
    selected_user = param.String(default="", doc="Username the account actions apply to.")
    new_username = param.String(default="", doc="Username of the account to add.")
    new_role = param.Selector[str](
        default=Role.VIEWER.value, objects=[r.value for r in Role], doc="Role of the account to add."
    )
    new_password = param.String(default="", doc="Password of the new account; leave empty to generate one.")
    reset_to = param.String(default="", doc="New password for the selected account; leave empty to generate one.")
    secret_note = param.String(
        default="", doc=("A generated password, shown once so the ADMIN can hand it over; never stored.")
    )
    totp_uri = param.String(default="", doc="Provisioning URI of the pending TOTP enrolment.")
    totp_qr = param.String(default="", doc="The provisioning URI as an SVG QR code.")
    totp_user = param.String(default="", doc="Whose TOTP enrolment is pending on screen.")
    approvals = param.List(default=[], item_type=Approval, doc="Pending approval requests, newest first.")
    selected_approval = param.Integer(default=None, allow_None=True, doc="Id of the approval to decide.")
    approve_totp = param.String(default="", doc="Your current TOTP code; approving needs it.")
    reject_reason = param.String(default="", doc="Why the request is rejected; recorded in the ledger.")

    @property
    def can_manage(self) -> bool:
        """Return whether the role may change accounts."""
        return self.session.can(Permission.USERS_MANAGE)

    @property
    def can_decide(self) -> bool:
        """Return whether the role may approve or reject requests."""
        return self.session.can(Permission.APPROVALS_DECIDE)

    def refresh(self) -> None:
        """Reload accounts and pending approvals."""
        if self.session.console is None:
            return
        if self.session.can(Permission.USERS_READ):
            users = self.run(self.console.list_users)
            if users is not None:
                self.users = users
        approvals = self.run(lambda: self.console.list_approvals(ApprovalStatus.PENDING))
        if approvals is not None:
            self.approvals = approvals
            if self.selected_approval not in {int(a.id) for a in approvals}:
                self.selected_approval = None

    def users_frame(self) -> pd.DataFrame:
        """Return the accounts as a table."""
        return pd.DataFrame([_user_row(u) for u in self.users], columns=USER_COLUMNS)

    def approvals_frame(self) -> pd.DataFrame:
        """Return the pending approvals as a table."""
        return pd.DataFrame([_approval_row(a) for a in self.approvals], columns=APPROVAL_COLUMNS)

    def add_user(self) -> User | None:
        """Add the account described by the form; show the generated password once."""
        name, role, password = self.new_username.strip(), self.new_role, self.new_password or None
        result = self.run(lambda: self.console.add_user(name, role, password), f"Added {name} as {role}.")
        self.new_password = ""
        if result is None:
            return None
        user, generated = result
        self.param.update(
            new_username="",
            selected_user=user.username,
            secret_note=f"Password for {user.username}: {generated}" if generated else "",
        )
        self.refresh()
        return user

    def _selected(self) -> str | None:
        if not self.selected_user:
            self.say("Select an account first.", "warning")
            return None
        return self.selected_user

    def disable(self) -> None:
        """Disable the selected account and end its sessions."""
        name = self._selected()
        if name is not None:
            self.run(lambda: self.console.disable_user(name), f"Disabled {name}.")
            self.refresh()

    def enable(self) -> None:
        """Enable the selected account and clear any lockout."""
        name = self._selected()
        if name is not None:
            self.run(lambda: self.console.enable_user(name), f"Enabled {name}.")
            self.refresh()

    def reset_password(self) -> None:
        """Give the selected account a new password (generated unless typed) and show it once."""
        name = self._selected()
        if name is None:
            return
        typed = self.reset_to or None
        secret = self.run(lambda: self.console.reset_password(name, typed), f"Password of {name} was reset.")
        self.reset_to = ""
        if secret is not None:
            self.secret_note = "" if typed else f"New password for {name}: {secret}"
            self.refresh()

    def enroll_totp(self) -> None:
        """Start TOTP enrolment for the selected account; show its URI and QR code."""
        name = self._selected()
        if name is None:
            return
        enrolment = self.run(
            lambda: self.console.enroll_totp(name),
            f"TOTP enrolment started for {name}: scan the code, then log in with a code.",
        )
        if enrolment is not None:
            self.param.update(totp_user=name, totp_uri=enrolment.uri, totp_qr=qr_svg(enrolment.uri))
        else:
            self.param.update(totp_user="", totp_uri="", totp_qr="")

    def approve(self) -> Approval | None:
        """Approve the selected request with your TOTP code; the action runs at once."""
        approval_id, code = self.selected_approval, self.approve_totp.strip() or None
        if approval_id is None:
            self.say("Select a pending request first.", "warning")
            return None
        decided = self.run(
            lambda: self.console.approve(approval_id, code), lambda a: f"Approved request {a.id} ({a.action})."
        )
        self.approve_totp = ""
        self.refresh()
        return decided

    def reject(self) -> Approval | None:
        """Reject the selected request with the reason given."""
        approval_id, reason = self.selected_approval, self.reject_reason
        if approval_id is None:
            self.say("Select a pending request first.", "warning")
            return None
        decided = self.run(
            lambda: self.console.reject(approval_id, reason), lambda a: f"Rejected request {a.id} ({a.action})."
        )
        if decided is not None:
            self.reject_reason = ""
        self.refresh()
        return decided
