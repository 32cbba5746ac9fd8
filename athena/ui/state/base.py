"""The session of one dashboard and the base every page state builds on.

State classes hold what a page shows and do what its buttons do, always through
:class:`~athena.console.Console`; they import no Panel, so they are tested as plain objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import param
from param.parameters import NoNone

from athena.auth import Permission
from athena.console import Console
from athena.errors import (
    AccountLocked,
    AthenaError,
    InvalidInput,
    InvalidSession,
    InvalidTotp,
    NotAllowed,
    SessionExpired,
    TotpRequired,
)
from athena.workspace import Workspace

__all__ = ["LEVELS", "PageState", "SessionState", "show"]

T = TypeVar("T")

LEVELS = ("info", "success", "warning", "danger")


class SessionState(param.Parameterized):
    """Who is logged in to this dashboard, and the login form."""

    workspace = param.ClassSelector(
        class_=Workspace, allow_None=True, default=None, doc=("The workspace this dashboard works on.")
    )
    console = param.ClassSelector(
        class_=Console, allow_None=True, default=None, doc=("The Console of the logged-in user; None while logged out.")
    )
    username = param.String(default="", doc="Username to log in with.")
    password = param.String(default="", doc="Password to log in with; cleared after every attempt.")
    totp = param.String(default="", doc="Current six-digit code from the authenticator app, when enrolled.")
    totp_needed = param.Boolean(default=False, doc="Whether this account asked for a TOTP code.")
    message = param.String(default="", doc="What the login page tells the user (errors, lockout, expiry).")
    level = param.Selector[str](default="info", objects=list(LEVELS), doc="Severity of the login message.")

    @property
    def logged_in(self) -> bool:
        """Return whether a user is logged in."""
        return self.console is not None

    def login(self) -> bool:
        """Log in with the form's username, password and TOTP; report the outcome in ``message``.

        Returns
        -------
        bool
            Whether the login succeeded.
        """
        if self.workspace is None:
            self._say("No workspace is open.", "danger")
            return False
        if not self.username.strip() or not self.password:
            self._say("Enter your username and password.", "warning")
            return False
        try:
            console = self.workspace.login(self.username.strip(), self.password, self.totp.strip() or None)
        except TotpRequired:
            self.param.update(totp_needed=True, password=self.password)
            self._say("This account uses two-factor authentication: enter the code from your app.", "info")
            return False
        except InvalidTotp:
            self._say("The TOTP code is wrong or was already used; wait for the next code.", "danger")
        except AccountLocked as exc:
            self._say(f"{exc}. Ask an ADMIN to unlock it, or wait.", "warning")
        except NotAllowed as exc:
            self._say(str(exc).capitalize() + ".", "danger")
        else:
            self.param.update(console=console, password="", totp="", totp_needed=False, message="", level="info")
            return True
        self.param.update(password="", totp="")
        return False

    def logout(self) -> None:
        """End the session (audited) and return to the login page."""
        console = self.console
        if console is not None:
            try:
                console.logout()
            except (SessionExpired, InvalidSession):
                pass
        self.param.update(console=None, password="", totp="", totp_needed=False)
        self._say("You are logged out.", "info")

    def expire(self, reason: str) -> None:
        """Drop the session after the backend refused it, and say why on the login page."""
        self.param.update(console=None, password="", totp="", totp_needed=False)
        self._say(f"Your session has ended ({reason}). Log in again.", "warning")

    def can(self, permission: Permission) -> bool:
        """Return whether the logged-in role holds ``permission`` (to show or hide controls)."""
        return self.console is not None and self.console.can(permission)

    def _say(self, message: str, level: str) -> None:
        self.param.update(message=message, level=level)


class PageState(param.Parameterized):
    """Base of page states: the session, and a message line fed by every action."""

    session = param.ClassSelector(
        allow_None=NoNone, class_=SessionState, doc="The dashboard session this page belongs to."
    )
    message = param.String(default="", doc="Outcome of the last action on this page.")
    level = param.Selector[str](default="info", objects=list(LEVELS), doc="Severity of the page message.")

    #: Whether the page follows the engine every poll while open; otherwise it reloads only
    #: when the ledger has new entries (every state change appends one).
    live = False

    def __init__(self, session: SessionState, **params: Any) -> None:
        super().__init__(session=session, **params)

    def refresh(self) -> None:
        """Reload what the page shows; pages override it."""

    def open(self) -> None:
        """Get the page ready when the operator opens it; by default reload it."""
        self.refresh()

    def poll(self) -> int:
        """Run one live update while the page is open; return how many new items it found."""
        self.refresh()
        return 0

    @property
    def console(self) -> Console:
        """Return the logged-in Console; raise :class:`InvalidSession` when logged out."""
        console = self.session.console
        if console is None:
            raise InvalidSession("not logged in")
        return console

    def say(self, message: str, level: str = "info") -> None:
        """Show ``message`` on the page at ``level``."""
        self.param.update(message=message, level=level)

    def run(self, action: Callable[[], T], done: str | Callable[[T], str] | None = None) -> T | None:
        """Run one Console call and turn its outcome into the page message.

        A refused or expired session sends the dashboard back to login; a refusal by role,
        TOTP or approval rules (already audited by Console) and bad input are shown here.

        Parameters
        ----------
        action
            The call to make.
        done
            Message on success, or a function of the result that builds it.

        Returns
        -------
        T or None
            The call's result, or None when it was refused or failed.
        """
        try:
            result = action()
        except (SessionExpired, InvalidSession) as exc:
            self.session.expire(str(exc).split(";")[0])
            return None
        except NotAllowed as exc:
            self.say(f"Refused: {exc}", "danger")
            return None
        except InvalidInput as exc:
            self.say(str(exc), "warning")
            return None
        except AthenaError as exc:
            self.say(f"Failed: {exc}", "danger")
            return None
        if done is not None:
            self.say(done(result) if callable(done) else done, "success")
        return result


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, pd.DataFrame) or isinstance(new, pd.DataFrame):
        return isinstance(old, pd.DataFrame) and isinstance(new, pd.DataFrame) and old.equals(new)
    try:
        return bool(old == new)
    except (TypeError, ValueError):
        return False


def show(target: param.Parameterized, **values: Any) -> None:
    """Set only the parameters of ``target`` whose value changed (tables compared by content).

    Live pages re-read everything on every poll; setting an equal table again would redraw it
    and drop the operator's row selection.
    """
    changed = {name: value for name, value in values.items() if not _same(getattr(target, name), value)}
    if changed:
        target.param.update(**changed)
