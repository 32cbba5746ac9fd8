"""Console behaviour: login, lockout, sessions, TOTP, approvals, user admin, bad input, events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.errors import (
    AccountLocked,
    ApprovalNotPending,
    AuthenticationFailed,
    DuplicateUser,
    InvalidInput,
    InvalidSession,
    InvalidTotp,
    PermissionDenied,
    SelfApproval,
    SessionExpired,
    TotpRequired,
    UnknownApproval,
    UnknownRole,
    UnknownUser,
    WeakPassword,
)
from athena.model import ApprovalStatus, AuditOutcome, Identity, Role, TradingMode
from athena.testing import ADMIN_PASSWORD, totp_now
from athena.workspace import Workspace

PW = "Someone-Passw0rd-7"


def last_entry(console: Console) -> tuple[str, str, AuditOutcome, dict[str, object]]:
    entry = console.workspace.system("probe").audit(AuditFilter(limit=1))[0]
    return entry.actor, entry.action, entry.outcome, entry.payload


def enrol(console: Console, clock: SimulatedClock) -> str:
    secret = console.enroll_totp().secret
    console.confirm_totp(totp_now(secret, clock.now()))
    clock.advance(30)
    return secret


def test_login_when_password_wrong_is_refused_and_audited(sqlite_workspace: Workspace) -> None:
    with pytest.raises(AuthenticationFailed, match="invalid username or password"):
        sqlite_workspace.login("admin", "wrong-Passw0rd-1")
    actor, action, outcome, payload = last_entry(sqlite_workspace.system("x"))
    assert (actor, action, outcome, payload["reason"]) == ("admin", "auth.login", AuditOutcome.DENIED, "bad password")


def test_login_when_user_unknown_gives_same_message(sqlite_workspace: Workspace) -> None:
    with pytest.raises(AuthenticationFailed, match="invalid username or password"):
        sqlite_workspace.login("nobody", "whatever-1")
    assert last_entry(sqlite_workspace.system("x"))[3]["reason"] == "unknown user"


def test_login_when_failures_reach_threshold_locks_until_timeout(
    sqlite_workspace: Workspace, clock: SimulatedClock
) -> None:
    for _ in range(sqlite_workspace.settings.security.lockout_threshold):
        with pytest.raises(AuthenticationFailed):
            sqlite_workspace.login("admin", "wrong-Passw0rd-1")
    with pytest.raises(AccountLocked, match="locked after failed logins until"):
        sqlite_workspace.login("admin", ADMIN_PASSWORD)
    clock.advance(sqlite_workspace.settings.security.lockout_s + 1)
    assert sqlite_workspace.login("admin", ADMIN_PASSWORD).identity.role is Role.ADMIN


def test_session_when_expired_is_refused_and_audited(admin: Console, clock: SimulatedClock) -> None:
    clock.advance(admin.workspace.settings.security.session_ttl_s + 1)
    with pytest.raises(SessionExpired, match="log in again"):
        admin.list_users()
    actor, action, outcome, payload = last_entry(admin)
    assert (actor, action, outcome, payload["error"]) == ("admin", "users.list", AuditOutcome.DENIED, "SessionExpired")


def test_resume_when_token_forged_is_refused_and_audited(sqlite_workspace: Workspace) -> None:
    with pytest.raises(InvalidSession, match="unknown or forged"):
        sqlite_workspace.resume("not-a-real-token")
    assert last_entry(sqlite_workspace.system("x"))[:3] == ("anonymous", "auth.resume", AuditOutcome.DENIED)


def test_resume_when_token_valid_acts_as_its_user(admin: Console) -> None:
    again = admin.workspace.resume(admin.token or "")
    assert again.whoami().username == "admin"


def test_logout_when_done_ends_the_token(admin: Console) -> None:
    admin.logout()
    with pytest.raises(InvalidSession, match="ended"):
        admin.workspace.resume(admin.token or "")


def test_forged_identity_when_viewer_claims_admin_is_refused(
    admin: Console, login_as: Callable[[Role], Console]
) -> None:
    viewer = login_as(Role.VIEWER)
    forged = Console(viewer.workspace, Identity("viewer1", Role.ADMIN, viewer.identity.user_id), viewer.token)
    with pytest.raises(PermissionDenied, match="role VIEWER may not users.add"):
        forged.add_user("mallory", Role.ADMIN, PW)
    assert [u.username for u in admin.list_users()] == ["admin", "viewer1"]
    assert last_entry(admin)[:3] == ("viewer1", "users.add", AuditOutcome.DENIED)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("admin", Role.VIEWER, PW), DuplicateUser, "already exists"),
        (("bob", "superuser", PW), UnknownRole, "roles are VIEWER, QUANT, TRADER, RISK, ADMIN"),
        (("bob", Role.VIEWER, "short"), WeakPassword, "the rule is"),
        (("Bob Smith", Role.VIEWER, PW), InvalidInput, "username must be"),
    ],
)
def test_add_user_when_input_bad_changes_nothing(
    admin: Console, args: tuple[str, str, str], error: type[Exception], message: str
) -> None:
    before = admin.verify_audit().entries
    with pytest.raises(error, match=message):
        admin.add_user(*args)
    assert [u.username for u in admin.list_users()] == ["admin"]
    assert admin.verify_audit().entries == before


def test_add_user_when_no_password_generates_one_that_logs_in(admin: Console) -> None:
    user, generated = admin.add_user("quinn", "quant")
    assert user.role is Role.QUANT and generated
    assert admin.workspace.login("quinn", generated).identity.role is Role.QUANT
    actor, action, outcome, payload = last_entry(admin)
    assert generated not in str(payload)


def test_disable_user_when_done_ends_sessions_and_login(admin: Console, login_as: Callable[[Role], Console]) -> None:
    trader = login_as(Role.TRADER)
    admin.disable_user("trader1")
    with pytest.raises(InvalidSession):
        trader.whoami()
    with pytest.raises(AuthenticationFailed, match="disabled"):
        admin.workspace.login("trader1", PW.replace("Someone", "User").replace("7", "9"))
    admin.enable_user("trader1")


def test_disable_user_when_self_or_last_admin_refuses(admin: Console) -> None:
    with pytest.raises(InvalidInput, match="your own account"):
        admin.disable_user("admin")
    admin.add_user("ops", Role.ADMIN, PW)
    ops = admin.workspace.login("ops", PW)
    ops.set_role("admin", Role.RISK)
    with pytest.raises(InvalidInput, match="last active ADMIN"):
        ops.set_role("ops", Role.VIEWER)


def test_reset_password_when_done_old_fails_new_works(admin: Console, login_as: Callable[[Role], Console]) -> None:
    login_as(Role.QUANT)
    new = admin.reset_password("quant1")
    with pytest.raises(AuthenticationFailed):
        admin.workspace.login("quant1", "User-Passw0rd-9")
    assert admin.workspace.login("quant1", new).identity.username == "quant1"
    with pytest.raises(UnknownUser):
        admin.reset_password("ghost")


def test_login_when_totp_enrolled_requires_a_fresh_code(admin: Console, clock: SimulatedClock) -> None:
    secret = enrol(admin, clock)
    ws = admin.workspace
    with pytest.raises(TotpRequired):
        ws.login("admin", ADMIN_PASSWORD)
    with pytest.raises(InvalidTotp):
        ws.login("admin", ADMIN_PASSWORD, "000000" if totp_now(secret, clock.now()) != "000000" else "111111")
    code = totp_now(secret, clock.now())
    assert ws.login("admin", ADMIN_PASSWORD, code).identity.username == "admin"
    with pytest.raises(InvalidTotp, match="already used"):
        ws.login("admin", ADMIN_PASSWORD, code)


def test_confirm_totp_when_code_wrong_keeps_it_pending(admin: Console) -> None:
    admin.enroll_totp()
    with pytest.raises(InvalidTotp):
        admin.confirm_totp("123456")
    assert admin.list_users()[0].totp_enabled is False


def test_live_mode_when_second_admin_approves_switches(admin: Console, clock: SimulatedClock) -> None:
    mine = enrol(admin, clock)
    admin.add_user("ops", Role.ADMIN, PW)
    ops = admin.workspace.login("ops", PW)
    theirs = enrol(ops, clock)
    approval = admin.request_trading_mode("live", totp_now(mine, clock.now()))
    assert approval is not None and approval.status is ApprovalStatus.PENDING
    assert admin.trading_mode() is TradingMode.PAPER
    clock.advance(30)
    with pytest.raises(SelfApproval):
        admin.approve(approval.id, totp_now(mine, clock.now()))
    assert last_entry(admin)[1:3] == ("approvals.approve", AuditOutcome.DENIED)
    done = ops.approve(approval.id, totp_now(theirs, clock.now()))
    assert (done.status, done.decided_by) == (ApprovalStatus.APPROVED, "ops")
    assert admin.trading_mode() is TradingMode.LIVE
    with pytest.raises(ApprovalNotPending, match="already approved"):
        ops.reject(approval.id, "too late")
    types = [e.type for e in admin.events_since(0)]
    assert types[-2:] == ["ApprovalDecided", "TradingModeChanged"]


def test_live_mode_when_requester_has_no_totp_is_refused(admin: Console) -> None:
    with pytest.raises(TotpRequired, match="must enrol TOTP"):
        admin.request_trading_mode("live", "123456")
    assert admin.list_approvals() == []


def test_approval_when_expired_cannot_be_approved(admin: Console, clock: SimulatedClock) -> None:
    mine = enrol(admin, clock)
    admin.add_user("ops", Role.ADMIN, PW)
    ops = admin.workspace.login("ops", PW)
    theirs = enrol(ops, clock)
    approval = admin.request_trading_mode("live", totp_now(mine, clock.now()))
    assert approval is not None
    clock.advance(admin.workspace.settings.security.approval_ttl_s + 1)
    ops = admin.workspace.login("ops", PW, totp_now(theirs, clock.now()))
    clock.advance(30)
    with pytest.raises(ApprovalNotPending, match="expired"):
        ops.approve(approval.id, totp_now(theirs, clock.now()))
    with pytest.raises(UnknownApproval):
        ops.reject(999, "no such")


def test_events_when_actions_commit_follow_audit_order(admin: Console) -> None:
    admin.add_user("a1", Role.VIEWER, PW)
    admin.add_user("a2", Role.VIEWER, PW)
    events = admin.events_since(0)
    assert [e.type for e in events][-2:] == ["UserAdded", "UserAdded"]
    seqs = [e.audit_seq for e in events]
    assert seqs == sorted(seqs)
    assert admin.events_since(events[-1].id) == []
    assert [e.subject for e in admin.events_since(events[-3].id)] == ["user:a1", "user:a2"]


def test_audit_when_filtered_returns_matching_entries(admin: Console, clock: SimulatedClock) -> None:
    start = clock.now()
    clock.advance(60)
    admin.add_user("fil", Role.RISK, PW)
    assert [e.subject for e in admin.audit(AuditFilter(action="users.*"))] == ["user:fil"]
    assert [e.action for e in admin.audit(AuditFilter(text="RISK"))] == ["users.add"]
    assert admin.audit(AuditFilter(until=start, action="users.add")) == []
    assert [e.action for e in admin.audit(AuditFilter(since=start + timedelta(seconds=1)))] == ["users.add"]
    assert {e.actor for e in admin.audit(AuditFilter(actor="system:init"))} == {"system:init"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.request_trading_mode("moon"), "trading mode must be one of paper, live, was 'moon'"),
        (lambda c: c.list_approvals("maybe"), "approval status must be one of pending"),
        (lambda c: c.set_trading_state("SIDEWAYS", reason="x"), "trading state must be one of ACTIVE"),
        (lambda c: c.set_limit("global", "MAX_FUN", breach=1), "limit kind must be one of MAX_GROSS_LEVERAGE"),
        (lambda c: c.set_limit("global", "MAX_DRAWDOWN", breach="0.1", action="PANIC"), "action must be one of"),
        (lambda c: c.remove_limit("global", "MAX_FUN"), "limit kind must be one of"),
    ],
)
def test_enum_arguments_when_unknown_raise_invalid_input_and_change_nothing(
    admin: Console, call: Callable[[Console], object], message: str
) -> None:
    before = admin.verify_audit().entries
    with pytest.raises(InvalidInput, match=message):
        call(admin)
    assert admin.verify_audit().entries == before
    assert admin.limits() == []


def test_record_job_state_when_called_by_a_person_is_refused(
    admin: Console, login_as: Callable[[Role], Console]
) -> None:
    job = admin.start_job("backtest", {"periods": "100"})
    with pytest.raises(PermissionDenied, match="may not jobs.succeeded"):
        login_as(Role.QUANT).record_job_state(job.id, "succeeded")
    assert admin.job(job.id).status == "queued"
