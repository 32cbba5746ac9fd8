"""Console: the one facade for every action that changes state, whoever calls it.

Each write goes: authorize the identity for the action's permission -> do the work in one
transaction -> append one audit entry -> publish an event, all committed together. A refused
attempt (wrong role, bad credentials, bad TOTP, self-approval) is rolled back and then recorded
as a ``denied`` audit entry in its own transaction, so the ledger shows who tried what.
Dashboards, notebooks, the CLI, webhooks and jobs all hold a Console; none writes otherwise.
"""

from __future__ import annotations

from athena.console._alerts import AlertsMixin
from athena.console._approvals import PRIVILEGED_ACTIONS
from athena.console._audit import AuditMixin
from athena.console._core import Done
from athena.console._engine import EngineMixin, EngineStatus, Snapshot
from athena.console._jobs import JobRecord
from athena.console._mandates import MandatesMixin
from athena.console._runs import RunsMixin
from athena.console._schedules import Schedule, SchedulesMixin
from athena.console._strategies import Deployment
from athena.console._trading import Instrument, Mark
from athena.console._users import UsersMixin
from athena.console._venues import VenueConfig

__all__ = [
    "PRIVILEGED_ACTIONS",
    "Console",
    "Deployment",
    "Done",
    "EngineStatus",
    "Instrument",
    "JobRecord",
    "Mark",
    "Schedule",
    "Snapshot",
    "VenueConfig",
]


class Console(UsersMixin, MandatesMixin, RunsMixin, EngineMixin, AlertsMixin, SchedulesMixin, AuditMixin):
    """Every operator action, bound to one authenticated identity.

    Get one from :meth:`athena.Workspace.login`, :meth:`~athena.Workspace.resume` or
    :meth:`~athena.Workspace.system`; each method authorizes against the permission matrix.
    """

    def __repr__(self) -> str:
        return f"Console({self._identity.username!r}, role={self._identity.role.value})"
