"""The Users page as an object: account life cycle, TOTP enrolment, approvals, and refusals."""

from __future__ import annotations

from collections.abc import Callable

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.model import ApprovalStatus, AuditOutcome, Role, TradingMode
from athena.testing import totp_now
from athena.ui.state import ShellState, qr_svg


def test_add_user_when_password_empty_shows_generated_one_once(
    log_in: Callable[[Role], ShellState], admin: Console
) -> None:
    users = log_in(Role.ADMIN).users
    users.param.update(new_username="dave", new_role="TRADER")

    user = users.add_user()

    assert user is not None and user.role is Role.TRADER
    assert users.secret_note.startswith("Password for dave: ")
    generated = users.secret_note.split(": ", 1)[1]
    assert admin.workspace.login("dave", generated).identity.username == "dave"
    assert "dave" in set(users.users_frame()["username"])
    assert users.level == "success"


def test_add_user_when_duplicate_warns_and_changes_nothing(log_in: Callable[[Role], ShellState]) -> None:
    users = log_in(Role.ADMIN).users
    users.param.update(new_username="admin", new_role="VIEWER")

    assert users.add_user() is None

    assert users.level == "warning"
    assert "already exists" in users.message


def test_disable_then_enable_when_admin_changes_account(log_in: Callable[[Role], ShellState], admin: Console) -> None:
    users = log_in(Role.ADMIN).users
    admin.add_user("erin", Role.VIEWER, "Strong-Passw0rd-12")
    users.refresh()
    users.selected_user = "erin"

    users.disable()
    assert users.users_frame().set_index("username").loc["erin", "status"] == "disabled"

    users.enable()
    assert users.users_frame().set_index("username").loc["erin", "status"] == "active"
    actions = [e.action for e in admin.audit(AuditFilter(subject="user:erin"))]
    assert actions[:2] == ["users.enable", "users.disable"]


def test_action_when_no_account_selected_asks_for_one(log_in: Callable[[Role], ShellState]) -> None:
    users = log_in(Role.ADMIN).users

    users.disable()

    assert users.level == "warning" and "Select an account" in users.message


def test_reset_password_when_generated_shows_it_and_it_works(
    log_in: Callable[[Role], ShellState], admin: Console
) -> None:
    users = log_in(Role.ADMIN).users
    admin.add_user("fay", Role.VIEWER, "Strong-Passw0rd-12")
    users.selected_user = "fay"

    users.reset_password()

    secret = users.secret_note.split(": ", 1)[1]
    assert admin.workspace.login("fay", secret).identity.username == "fay"


def test_enroll_totp_when_admin_shows_uri_and_qr(log_in: Callable[[Role], ShellState], admin: Console) -> None:
    users = log_in(Role.ADMIN).users
    admin.add_user("gus", Role.TRADER, "Strong-Passw0rd-12")
    users.selected_user = "gus"

    users.enroll_totp()

    assert users.totp_user == "gus"
    assert users.totp_uri.startswith("otpauth://totp/")
    assert users.totp_qr.startswith("<svg") and "</svg>" in users.totp_qr


def test_qr_svg_when_given_uri_returns_inline_svg() -> None:
    svg = qr_svg("otpauth://totp/Athena:x?secret=ABC")

    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg


def test_approve_when_second_admin_gives_totp_runs_action(
    log_in: Callable[[Role], ShellState], admin: Console, clock: SimulatedClock
) -> None:
    shell = log_in(Role.ADMIN)
    admin.add_user("root2", Role.ADMIN, "Second-Adm1n-Pass")
    other = admin.workspace.login("root2", "Second-Adm1n-Pass")
    theirs = other.enroll_totp()
    other.confirm_totp(totp_now(theirs.secret, clock.now()))
    mine = admin.enroll_totp()
    admin.confirm_totp(totp_now(mine.secret, clock.now()))
    clock.advance(30)
    request = other.request_trading_mode(TradingMode.LIVE, totp_now(theirs.secret, clock.now()))
    assert request is not None
    users = shell.users
    users.refresh()
    assert list(users.approvals_frame()["id"]) == [int(request.id)]

    users.param.update(selected_approval=int(request.id), approve_totp="000000")
    assert users.approve() is None
    assert users.level == "danger"

    clock.advance(30)
    users.approve_totp = totp_now(mine.secret, clock.now())
    decided = users.approve()

    assert decided is not None and decided.status is ApprovalStatus.APPROVED
    assert admin.trading_mode() is TradingMode.LIVE
    assert users.approvals == []


def test_reject_when_reason_given_records_it(
    log_in: Callable[[Role], ShellState], admin: Console, clock: SimulatedClock
) -> None:
    admin.add_user("root2", Role.ADMIN, "Second-Adm1n-Pass")
    other = admin.workspace.login("root2", "Second-Adm1n-Pass")
    theirs = other.enroll_totp()
    other.confirm_totp(totp_now(theirs.secret, clock.now()))
    clock.advance(30)
    request = other.request_trading_mode(TradingMode.LIVE, totp_now(theirs.secret, clock.now()))
    assert request is not None
    users = log_in(Role.ADMIN).users
    users.selected_approval = int(request.id)

    users.reject_reason = ""
    assert users.reject() is None and users.level == "warning"

    users.reject_reason = "not during market hours"
    decided = users.reject()

    assert decided is not None and decided.status is ApprovalStatus.REJECTED
    assert decided.reason == "not during market hours"


def test_viewer_when_forging_writes_is_refused_and_audited(
    log_in: Callable[[Role], ShellState], admin: Console
) -> None:
    users = log_in(Role.VIEWER).users
    assert not users.can_manage and not users.can_decide
    users.param.update(new_username="mallory", new_role="ADMIN")

    assert users.add_user() is None
    users.selected_user = "admin"
    users.disable()
    users.reset_password()

    assert users.level == "danger" and users.message.startswith("Refused")
    assert "mallory" not in {u.username for u in admin.list_users()}
    denied = admin.audit(AuditFilter(actor="viewer9", outcome=AuditOutcome.DENIED))
    assert {e.action for e in denied} >= {"users.add", "users.disable", "users.reset_password"}
    assert admin.workspace.login("admin", "Root-Passw0rd-1").identity.role is Role.ADMIN
