"""The shell around the pages: which page is open, what the header says, and the live poll."""

from __future__ import annotations

from typing import Any, TypeVar

import param
from param.parameters import NoNone

from athena.auth import Permission
from athena.errors import AthenaError
from athena.ui.state.alerts import AlertsState
from athena.ui.state.audit import AuditState
from athena.ui.state.base import PageState, SessionState
from athena.ui.state.command import CommandState
from athena.ui.state.execution import ExecutionState
from athena.ui.state.jobs import JobsState
from athena.ui.state.market import MarketState
from athena.ui.state.risk import RiskState
from athena.ui.state.runs import RunsState
from athena.ui.state.strategies import StrategiesState
from athena.ui.state.users import UsersState
from athena.workspace import Workspace

S = TypeVar("S", bound=PageState)

__all__ = ["PAGES", "PAGE_STATES", "ShellState"]

#: Page title -> permission needed to see it in the navigation, in navigation order.
PAGES: dict[str, Permission] = {
    "Command center": Permission.EVENTS_READ,
    "Execution": Permission.EVENTS_READ,
    "Market data": Permission.EVENTS_READ,
    "Risk": Permission.EVENTS_READ,
    "Strategies": Permission.EVENTS_READ,
    "Runs": Permission.EVENTS_READ,
    "Jobs": Permission.EVENTS_READ,
    "Alerts": Permission.EVENTS_READ,
    "Audit log": Permission.AUDIT_READ,
    "Users": Permission.USERS_READ,
}

#: Page title -> the state class behind it.
PAGE_STATES: dict[str, type[PageState]] = {
    "Command center": CommandState,
    "Risk": RiskState,
    "Execution": ExecutionState,
    "Market data": MarketState,
    "Audit log": AuditState,
    "Users": UsersState,
    "Alerts": AlertsState,
    "Strategies": StrategiesState,
    "Runs": RunsState,
    "Jobs": JobsState,
}


class ShellState(param.Parameterized):
    """The whole dashboard of one browser tab: session, pages and system status."""

    session = param.ClassSelector(allow_None=NoNone, class_=SessionState, doc="Login state of this tab.")
    states = param.Dict(default={}, doc="Page title -> the state of that page (see PAGE_STATES).")
    page = param.Selector[str](default="Command center", objects=list(PAGES), doc="The page shown in the main area.")
    status = param.Dict(default={}, doc=(
        "Workspace health: home, database, trading mode, global trading state, audit head."))
    online = param.Boolean(default=False, doc="Whether the last status read reached the database.")
    polls = param.Integer(default=0, doc="How many live polls have run in this tab.")

    def __init__(self, workspace: Workspace | None, **params: Any) -> None:
        session = SessionState(workspace=workspace)
        states = {title: cls(session) for title, cls in PAGE_STATES.items()}
        super().__init__(session=session, states=states, **params)
        self.session.param.watch(self._on_login_change, "console")
        self.read_status()

    @property
    def audit(self) -> AuditState:
        """Return the Audit log page state (its poll also drives the shell)."""
        return self._state("Audit log", AuditState)

    @property
    def command(self) -> CommandState:
        """Return the Command center page state."""
        return self._state("Command center", CommandState)

    @property
    def risk(self) -> RiskState:
        """Return the Risk control tower page state."""
        return self._state("Risk", RiskState)

    @property
    def users(self) -> UsersState:
        """Return the Users page state."""
        return self._state("Users", UsersState)

    @property
    def alerts(self) -> AlertsState:
        """Return the Alerts page state."""
        return self._state("Alerts", AlertsState)

    @property
    def strategies(self) -> StrategiesState:
        """Return the Strategies page state."""
        return self._state("Strategies", StrategiesState)

    @property
    def runs(self) -> RunsState:
        """Return the Runs page state."""
        return self._state("Runs", RunsState)

    @property
    def jobs(self) -> JobsState:
        """Return the Jobs page state."""
        return self._state("Jobs", JobsState)

    def _state(self, title: str, cls: type[S]) -> S:
        state = self.states[title]
        assert isinstance(state, cls)
        return state

    def pages(self) -> list[str]:
        """Return the pages the logged-in role may open, in navigation order."""
        return [name for name, permission in PAGES.items() if self.session.can(permission)]

    def _on_login_change(self, event: param.parameterized.Event) -> None:
        if event.new is None:
            self.param.update(page="Command center")
            return
        allowed = self.pages()
        self.param.page.objects = allowed
        if self.page not in allowed:
            self.page = allowed[0]
        self.read_status()
        for title in allowed:
            if title in self.states:
                self.states[title].refresh()

    @param.depends("page", watch=True)
    def _on_page_change(self) -> None:
        # A page only follows the ledger while open, so it may be stale when opened again.
        page = self.states.get(self.page)
        if page is not None and self.session.console is not None:
            page.open()

    def read_status(self) -> None:
        """Read the workspace health shown in the header."""
        workspace = self.session.workspace
        if workspace is None:
            self.param.update(status={}, online=False)
            return
        try:
            status = workspace.status()
        except AthenaError as exc:
            self.param.update(status={"error": str(exc)}, online=False)
            return
        self.param.update(status=status, online=True)

    def poll(self) -> None:
        """Run one live update: system status, new ledger entries, and the open page once logged in."""
        self.polls += 1
        self.read_status()
        if self.session.console is None:
            return
        fresh = self.audit.poll()
        page = self.states.get(self.page)
        if page is not None and page is not self.audit and (fresh or page.live):
            page.poll()
