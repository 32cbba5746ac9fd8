"""The permission matrix: which role may do what. Data, in one place.

Every Console action names one permission; ``athena users roles`` prints this table.
Privileged permissions additionally need the actor's TOTP code and a second ADMIN's approval.
"""

from __future__ import annotations

from enum import StrEnum

from athena.model import Role

__all__ = ["MATRIX", "PRIVILEGED", "Permission", "allowed", "permissions_of"]


class Permission(StrEnum):
    """A capability a Console action requires."""

    AUDIT_READ = "audit.read"
    AUDIT_EXPORT = "audit.export"
    EVENTS_READ = "events.read"
    SELF_MANAGE = "self.manage"
    USERS_READ = "users.read"
    USERS_MANAGE = "users.manage"
    APPROVALS_DECIDE = "approvals.decide"
    MODE_PAPER = "mode.paper"
    MODE_LIVE = "mode.live"
    STRATEGIES_EDIT = "strategies.edit"
    STRATEGIES_APPROVE = "strategies.approve"
    STRATEGIES_RUN_PAPER = "strategies.run_paper"
    # ADMIN only, and with a TOTP code: a strategy's own orders go to the exchange.
    STRATEGIES_RUN_LIVE = "strategies.run_live"
    BACKTESTS_RUN = "backtests.run"
    JOBS_RUN = "jobs.run"
    ORDERS_SUBMIT = "orders.submit"
    ORDERS_CANCEL = "orders.cancel"
    POSITIONS_FLATTEN = "positions.flatten"
    MANDATES_EDIT = "mandates.edit"
    TRADING_HALT = "trading.halt"
    KILLSWITCH_ENGAGE = "killswitch.engage"
    KILLSWITCH_RESET = "killswitch.reset"
    VENUES_MANAGE = "venues.manage"
    ALERTS_MANAGE = "alerts.manage"
    # Held by ADMIN only, so in practice by the runtime's system actors (engine, job runner).
    ENGINE_RUN = "engine.run"
    ALERTS_RAISE = "alerts.raise"


_READ = frozenset({Permission.AUDIT_READ, Permission.AUDIT_EXPORT, Permission.EVENTS_READ, Permission.SELF_MANAGE})

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: _READ,
    Role.QUANT: _READ
    | {Permission.STRATEGIES_EDIT, Permission.BACKTESTS_RUN, Permission.JOBS_RUN},
    Role.TRADER: _READ
    | {
        Permission.ORDERS_SUBMIT,
        Permission.ORDERS_CANCEL,
        Permission.STRATEGIES_RUN_PAPER,
        Permission.POSITIONS_FLATTEN,
        Permission.ALERTS_MANAGE,
    },
    Role.RISK: _READ
    | {
        Permission.MANDATES_EDIT,
        Permission.ALERTS_RAISE,
        Permission.ALERTS_MANAGE,
        Permission.TRADING_HALT,
        Permission.KILLSWITCH_ENGAGE,
        Permission.STRATEGIES_APPROVE,
        Permission.MODE_PAPER,
        Permission.ORDERS_CANCEL,
        Permission.POSITIONS_FLATTEN,
    },
    Role.ADMIN: frozenset(Permission),
}

PRIVILEGED: frozenset[Permission] = frozenset({Permission.MODE_LIVE, Permission.KILLSWITCH_RESET})


def permissions_of(role: Role) -> frozenset[Permission]:
    """Return the permissions granted to ``role``."""
    return MATRIX[role]


def allowed(role: Role, permission: Permission) -> bool:
    """Return whether ``role`` holds ``permission``."""
    return permission in MATRIX[role]
