"""Every role against every Console action, checked against the permission matrix.

An allowed role's call succeeds; any other role gets PermissionDenied, nothing changes
except one ``denied`` audit entry naming the actor and the action.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from athena.audit import AuditFilter
from athena.auth import MATRIX, Permission
from athena.clock import SimulatedClock
from athena.console import Console
from athena.errors import PermissionDenied
from athena.model import AuditOutcome, Role, TradingMode
from athena.testing import ADMIN_PASSWORD, new_workspace, totp_now

PASSWORD = "Someone-Passw0rd-7"


@dataclass
class Scene:
    actor: Console
    admin: Console
    clock: SimulatedClock
    secrets: dict[str, str]
    approval_id: int
    alert_id: int

    def code(self, username: str) -> str:
        self.clock.advance(30)
        return totp_now(self.secrets[username], self.clock.now())


def _enrol(console: Console, scene_secrets: dict[str, str], clock: SimulatedClock) -> None:
    enrolment = console.enroll_totp()
    console.confirm_totp(totp_now(enrolment.secret, clock.now()))
    scene_secrets[console.identity.username] = enrolment.secret
    clock.advance(30)


def build_scene(tmp_path: Path, role: Role) -> Scene:
    clock = SimulatedClock()
    ws, _ = new_workspace(tmp_path / "ws", clock=clock)
    admin = ws.login("admin", ADMIN_PASSWORD)
    secrets: dict[str, str] = {}
    admin.add_user("target", Role.VIEWER, PASSWORD)
    admin.add_user("boss2", Role.ADMIN, PASSWORD)
    boss2 = ws.login("boss2", PASSWORD)
    _enrol(boss2, secrets, clock)
    approval = boss2.request_trading_mode(TradingMode.LIVE, totp_now(secrets["boss2"], clock.now()))
    assert approval is not None
    if role is Role.ADMIN:
        actor = admin
    else:
        admin.add_user("actor", role, PASSWORD)
        actor = ws.login("actor", PASSWORD)
    _enrol(actor, secrets, clock)
    alert = ws.system("risk-monitor").raise_alert("warning", "drill", "an alert to act on")
    return Scene(actor, admin, clock, secrets, approval.id, alert.id)


ACTIONS: list[tuple[str, Permission, Callable[[Scene], Any]]] = [
    ("users.list", Permission.USERS_READ, lambda s: s.actor.list_users()),
    ("users.add", Permission.USERS_MANAGE, lambda s: s.actor.add_user("newbie", Role.VIEWER, PASSWORD)),
    ("users.disable", Permission.USERS_MANAGE, lambda s: s.actor.disable_user("target")),
    ("users.enable", Permission.USERS_MANAGE, lambda s: s.actor.enable_user("target")),
    ("users.reset_password", Permission.USERS_MANAGE, lambda s: s.actor.reset_password("target")),
    ("users.set_role", Permission.USERS_MANAGE, lambda s: s.actor.set_role("target", Role.QUANT)),
    ("users.enroll_totp", Permission.USERS_MANAGE, lambda s: s.actor.enroll_totp("target")),
    ("users.enroll_totp", Permission.SELF_MANAGE, lambda s: s.actor.enroll_totp()),
    ("users.change_password", Permission.SELF_MANAGE,
     lambda s: s.actor.change_password(ADMIN_PASSWORD if s.actor.identity.role is Role.ADMIN else PASSWORD,
                                       "Fresh-Passw0rd-3")),
    ("auth.logout", Permission.SELF_MANAGE, lambda s: s.actor.logout()),
    ("mode.paper", Permission.MODE_PAPER, lambda s: s.actor.request_trading_mode(TradingMode.PAPER)),
    ("approvals.request", Permission.MODE_LIVE,
     lambda s: s.actor.request_trading_mode(TradingMode.LIVE, s.code(s.actor.identity.username))),
    ("approvals.approve", Permission.APPROVALS_DECIDE,
     lambda s: s.actor.approve(s.approval_id, s.code(s.actor.identity.username))),
    ("approvals.reject", Permission.APPROVALS_DECIDE, lambda s: s.actor.reject(s.approval_id, "not today")),
    ("approvals.list", Permission.AUDIT_READ, lambda s: s.actor.list_approvals()),
    ("audit.list", Permission.AUDIT_READ, lambda s: s.actor.audit()),
    ("audit.verify", Permission.AUDIT_READ, lambda s: s.actor.verify_audit()),
    ("audit.export", Permission.AUDIT_EXPORT, lambda s: s.actor.export_audit(io.StringIO(), "csv")),
    ("events.read", Permission.EVENTS_READ, lambda s: s.actor.events_since(0)),
    ("mode.show", Permission.EVENTS_READ, lambda s: s.actor.trading_mode()),
    ("orders.submit", Permission.ORDERS_SUBMIT,
     lambda s: s.actor.submit_order("BTC/USDT", "buy", "0.1", type="limit", price="100")),
    ("orders.cancel_all", Permission.ORDERS_CANCEL, lambda s: s.actor.cancel_all_orders()),
    ("orders.list", Permission.EVENTS_READ, lambda s: s.actor.orders()),
    ("positions.list", Permission.EVENTS_READ, lambda s: s.actor.positions()),
    ("positions.flatten", Permission.POSITIONS_FLATTEN, lambda s: s.actor.flatten_positions(reason="close out")),
    ("market.instruments", Permission.EVENTS_READ, lambda s: s.actor.instruments()),
    ("market.quotes", Permission.EVENTS_READ, lambda s: s.actor.quotes()),
    ("trading.set_state", Permission.TRADING_HALT,
     lambda s: s.actor.set_trading_state("REDUCING", reason="de-risk")),
    ("trading.set_state", Permission.STRATEGIES_RUN_PAPER,
     lambda s: s.actor.set_trading_state("ACTIVE", strategy="alpha", reason="start")),
    ("killswitch.engage", Permission.KILLSWITCH_ENGAGE, lambda s: s.actor.engage_kill_switch("drill")),
    ("jobs.start", Permission.JOBS_RUN, lambda s: s.actor.start_job("backtest", {"periods": "100"})),
    ("jobs.schedule", Permission.JOBS_RUN, lambda s: s.actor.schedule_job("daily_report", "0 7 * * *")),
    ("strategies.register", Permission.STRATEGIES_EDIT,
     lambda s: s.actor.register_strategy("alpha", "sma_cross", ["BTC/USDT"])),
    ("mandates.set", Permission.MANDATES_EDIT,
     lambda s: s.actor.set_limit("global", "MAX_ORDER_NOTIONAL", breach=1000)),
    ("venues.show", Permission.EVENTS_READ, lambda s: s.actor.venue_config()),
    ("venues.set", Permission.VENUES_MANAGE, lambda s: s.actor.set_venue("paper")),
    ("alerts.raise", Permission.ALERTS_RAISE, lambda s: s.actor.raise_alert("info", "drill", "by hand")),
    ("alerts.list", Permission.EVENTS_READ, lambda s: s.actor.alerts()),
    ("alerts.show", Permission.EVENTS_READ, lambda s: s.actor.alert(s.alert_id)),
    ("alerts.head", Permission.EVENTS_READ, lambda s: s.actor.alerts_head()),
    ("alerts.assignees", Permission.EVENTS_READ, lambda s: s.actor.alert_assignees()),
    ("alerts.acknowledge", Permission.ALERTS_MANAGE, lambda s: s.actor.acknowledge_alert(s.alert_id, "on it")),
    ("alerts.assign", Permission.ALERTS_MANAGE, lambda s: s.actor.assign_alert(s.alert_id, "target")),
    ("alerts.comment", Permission.ALERTS_MANAGE, lambda s: s.actor.comment_alert(s.alert_id, "still seen")),
    ("alerts.resolve", Permission.ALERTS_MANAGE, lambda s: s.actor.resolve_alert(s.alert_id, "fixed")),
    ("approvals.request", Permission.KILLSWITCH_RESET,
     lambda s: s.actor.request_kill_switch_reset(s.code(s.actor.identity.username))),
]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize(("action", "permission", "call"), ACTIONS, ids=[f"{a[0]}:{a[1].value}" for a in ACTIONS])
def test_action_when_called_by_role_follows_the_matrix(
    tmp_path: Path, role: Role, action: str, permission: Permission, call: Callable[[Scene], Any]
) -> None:
    scene = build_scene(tmp_path, role)
    before = scene.admin.verify_audit().entries
    if permission in MATRIX[role]:
        call(scene)
        return
    with pytest.raises(PermissionDenied, match=f"role {role.value} may not {action}"):
        call(scene)
    entries = scene.admin.audit(AuditFilter(limit=None))
    new = [e for e in entries if e.seq > before and e.action != "audit.verify"]
    assert [(e.actor, e.action, e.outcome) for e in new] == [(scene.actor.identity.username, action,
                                                             AuditOutcome.DENIED)]
    assert new[0].payload["error"] == "PermissionDenied"


def test_matrix_when_read_gives_viewer_no_write() -> None:
    reads = {Permission.AUDIT_READ, Permission.AUDIT_EXPORT, Permission.EVENTS_READ, Permission.SELF_MANAGE}
    assert MATRIX[Role.VIEWER] == reads
    assert MATRIX[Role.ADMIN] == frozenset(Permission)
    for role in Role:
        assert reads <= MATRIX[role]


@pytest.mark.parametrize("role", [r for r in Role if Permission.STRATEGIES_RUN_LIVE not in MATRIX[r]],
                         ids=lambda r: r.value)
def test_go_live_when_role_lacks_run_live_is_denied_before_anything_is_looked_up(tmp_path: Path, role: Role) -> None:
    scene = build_scene(tmp_path, role)
    before = scene.admin.verify_audit().entries
    with pytest.raises(PermissionDenied, match=f"role {role.value} may not strategies.go_live"):
        scene.actor.go_live_strategy("alpha", scene.code(scene.actor.identity.username))
    new = [e for e in scene.admin.audit(AuditFilter(limit=None)) if e.seq > before and e.action != "audit.verify"]
    assert [(e.action, e.outcome) for e in new] == [("strategies.go_live", AuditOutcome.DENIED)]


def test_matrix_when_read_gives_run_live_to_admin_only() -> None:
    assert [r for r in Role if Permission.STRATEGIES_RUN_LIVE in MATRIX[r]] == [Role.ADMIN]
