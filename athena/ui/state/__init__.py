"""Dashboard state as ``param`` classes, free of Panel: what each page shows and does."""

from athena.ui.state.alerts import AlertsState
from athena.ui.state.audit import AuditState
from athena.ui.state.base import PageState, SessionState
from athena.ui.state.command import CommandState
from athena.ui.state.execution import ExecutionState
from athena.ui.state.jobs import JobsState
from athena.ui.state.market import MarketState
from athena.ui.state.risk import RiskState
from athena.ui.state.runs import RunsState
from athena.ui.state.shell import PAGES, ShellState
from athena.ui.state.strategies import StrategiesState
from athena.ui.state.users import UsersState, qr_svg

__all__ = [
    "PAGES",
    "AlertsState",
    "AuditState",
    "CommandState",
    "ExecutionState",
    "JobsState",
    "MarketState",
    "PageState",
    "RiskState",
    "RunsState",
    "SessionState",
    "ShellState",
    "StrategiesState",
    "UsersState",
    "qr_svg",
]
