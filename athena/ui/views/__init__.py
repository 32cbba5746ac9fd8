"""Panel views over the state classes: one ``Viewer`` per page, and the shell around them."""

from athena.ui.views.alerts import AlertsView
from athena.ui.views.audit import AuditView
from athena.ui.views.command import CommandView
from athena.ui.views.execution import ExecutionView
from athena.ui.views.jobs import JobsView
from athena.ui.views.login import LoginView
from athena.ui.views.market import MarketView
from athena.ui.views.risk import RiskView
from athena.ui.views.runs import RunsView
from athena.ui.views.shell import ControlPlane
from athena.ui.views.strategies import StrategiesView
from athena.ui.views.users import UsersView

__all__ = ["AlertsView", "AuditView", "CommandView", "ControlPlane", "ExecutionView", "JobsView", "LoginView",
           "MarketView", "RiskView", "RunsView", "StrategiesView", "UsersView"]
