"""Login, lockout, TOTP, logout and expiry as the login page drives them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.errors import AuthenticationFailed
from athena.model import AuditOutcome, Role
from athena.testing import ADMIN_PASSWORD, totp_now
from athena.ui.state import ShellState


def test_login_when_password_right_opens_console_and_audits(shell: ShellState, admin: Console) -> None:
    shell.session.param.update(username="admin", password=ADMIN_PASSWORD)

    assert shell.session.login()

    assert shell.session.console is not None
    assert shell.session.password == ""
    assert shell.pages() == [
        "Command center", "Execution", "Market data", "Risk", "Strategies", "Runs", "Jobs", "Alerts",
        "Audit log", "Users"]
    last = admin.audit(AuditFilter(action="auth.login", limit=1))[0]
    assert last.actor == "admin" and last.outcome is AuditOutcome.OK


def test_login_when_password_wrong_says_so_and_audits_denial(shell: ShellState, admin: Console) -> None:
    shell.session.param.update(username="admin", password="wrong-password-1")

    assert not shell.session.login()

    assert shell.session.console is None
    assert shell.session.level == "danger"
    assert "invalid username or password" in shell.session.message.lower()
    assert shell.session.password == ""
    denied = admin.audit(AuditFilter(action="auth.login", outcome=AuditOutcome.DENIED))
    assert denied and denied[0].payload["reason"] == "bad password"


def test_login_when_fields_empty_asks_for_them_without_calling_backend(shell: ShellState, admin: Console) -> None:
    before = admin.audit(AuditFilter(limit=1))[0].seq

    assert not shell.session.login()

    assert shell.session.level == "warning"
    assert admin.audit(AuditFilter(limit=1))[0].seq == before


def test_login_when_account_locked_shows_lockout_message(shell: ShellState) -> None:
    threshold = shell.session.workspace.settings.security.lockout_threshold
    for _ in range(threshold):
        shell.session.param.update(username="admin", password="wrong-password-1")
        shell.session.login()

    shell.session.param.update(username="admin", password=ADMIN_PASSWORD)
    assert not shell.session.login()

    assert shell.session.level == "warning"
    assert "locked" in shell.session.message


def test_login_when_totp_enrolled_asks_for_code_then_accepts_it(
    shell: ShellState, admin: Console, clock: SimulatedClock
) -> None:
    enrolment = admin.enroll_totp()
    admin.confirm_totp(totp_now(enrolment.secret, clock.now()))
    clock.advance(30)
    shell.session.param.update(username="admin", password=ADMIN_PASSWORD)

    assert not shell.session.login()
    assert shell.session.totp_needed
    assert shell.session.password == ADMIN_PASSWORD

    shell.session.totp = totp_now(enrolment.secret, clock.now())
    assert shell.session.login()
    assert not shell.session.totp_needed


def test_login_when_totp_wrong_refuses(shell: ShellState, admin: Console, clock: SimulatedClock) -> None:
    enrolment = admin.enroll_totp()
    admin.confirm_totp(totp_now(enrolment.secret, clock.now()))
    clock.advance(30)
    shell.session.param.update(username="admin", password=ADMIN_PASSWORD, totp="000000")

    assert not shell.session.login()

    assert shell.session.level == "danger"
    assert "TOTP" in shell.session.message


def test_logout_when_logged_in_ends_session_and_audits(log_in: Callable[[Role], ShellState], admin: Console) -> None:
    shell = log_in(Role.VIEWER)
    token = shell.session.console.token if shell.session.console else None

    shell.session.logout()

    assert shell.session.console is None
    assert "logged out" in shell.session.message
    assert admin.audit(AuditFilter(action="auth.logout", limit=1))[0].actor == "viewer9"
    assert token is not None
    with pytest.raises(AuthenticationFailed):
        admin.workspace.resume(token)


def test_poll_when_session_expired_returns_to_login_with_message(
    log_in: Callable[[Role], ShellState], clock: SimulatedClock
) -> None:
    shell = log_in(Role.ADMIN)
    shell.page = "Audit log"
    clock.advance(shell.session.workspace.settings.security.session_ttl_s + 1)

    shell.poll()

    assert shell.session.console is None
    assert shell.page == "Command center"
    assert "session has ended" in shell.session.message
    assert shell.session.level == "warning"
