"""Workspace, sessions, users, approvals and the trading mode."""

from __future__ import annotations

from collections.abc import Callable

import click

from athena import __version__
from athena.auth import MATRIX, PRIVILEGED, Permission
from athena.cli._base import (
    SESSION_FILE,
    Context,
    cli,
    pairs,
    pass_ctx,
    read_secret,
    save_session,
    table,
)
from athena.console import Console
from athena.model import Role
from athena.workspace import Workspace


@cli.command()
@pass_ctx
def version(ctx: Context) -> None:
    """Print the Athena version."""
    ctx.emit({"version": __version__}, lambda: click.echo(f"athena {__version__}"))


@cli.command()
@click.option("--admin-username", default="admin", show_default=True, help="Name of the first ADMIN.")
@click.option("--admin-password-stdin", is_flag=True, help="Read the first ADMIN's password from stdin.")
@pass_ctx
def init(ctx: Context, admin_username: str, admin_password_stdin: bool) -> None:
    """Create the workspace (directory, key, database, first ADMIN); safe to run again."""
    password = read_secret("", True) if admin_password_stdin else None
    ws, created = Workspace.init(ctx.settings, admin_username=admin_username, admin_password=password)
    data = {"home": str(ws.settings.home), "created": created is not None, "admin": admin_username,
            "password": created if created and not admin_password_stdin else None}

    def human() -> None:
        if created is None:
            click.echo(f"workspace already initialised at {ws.settings.home}")
            return
        click.echo(f"workspace initialised at {ws.settings.home}")
        if not admin_password_stdin:
            click.echo(f"first ADMIN: {admin_username}  password: {created}")
            click.echo("this password is shown once: store it now, then enrol TOTP (`athena users enroll-totp`)")

    ctx.emit(data, human)


@cli.command()
@pass_ctx
def status(ctx: Context) -> None:
    """Show the workspace, database, schema, trading mode, trading state and ledger head (no login needed)."""
    info = ctx.workspace().status()
    ctx.emit(info, lambda: pairs(info))


@cli.command()
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--totp", help="Current TOTP code, when the account has one.")
@pass_ctx
def login(ctx: Context, username: str, password_stdin: bool, totp: str | None) -> None:
    """Log in and keep the session for later commands."""
    ws = ctx.workspace()
    console = ws.login(username, read_secret("Password", password_stdin), totp)
    save_session(ws.settings.home, username, console.token or "")
    ident = console.identity
    ctx.emit({"username": ident.username, "role": ident.role, "expires_at": ident.expires_at, "token": console.token},
             lambda: click.echo(f"logged in as {ident.username} ({ident.role.value}) until {ident.expires_at}"))


@cli.command()
@pass_ctx
def logout(ctx: Context) -> None:
    """End the saved session."""
    ctx.console().logout()
    (ctx.settings.home / SESSION_FILE).unlink(missing_ok=True)
    ctx.emit({"logged_out": True}, lambda: click.echo("logged out"))


@cli.command()
@pass_ctx
def whoami(ctx: Context) -> None:
    """Show who the saved session belongs to."""
    ident = ctx.console().whoami()
    ctx.emit(ident, lambda: click.echo(f"{ident.username} ({ident.role.value}), session until {ident.expires_at}"))


@cli.group()
def users() -> None:
    """Manage users, roles and TOTP."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, help="VIEWER, QUANT, TRADER, RISK or ADMIN.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (else one is generated).")
@pass_ctx
def users_add(ctx: Context, username: str, role: str, password_stdin: bool) -> None:
    """Add a user; prints a generated password once unless one is given."""
    password = read_secret("", True) if password_stdin else None
    user, generated = ctx.console().add_user(username, role, password)
    ctx.emit({"user": user, "password": generated}, lambda: click.echo(
        f"added {user.username} ({user.role.value})" + (f"  password: {generated}" if generated else "")))


@users.command("list")
@pass_ctx
def users_list(ctx: Context) -> None:
    """List users."""
    rows = ctx.console().list_users()
    ctx.emit(rows, lambda: table(
        [(u.username, u.role.value, "disabled" if u.disabled else "active", "yes" if u.totp_enabled else "no",
          u.locked_until or "") for u in rows], ["USER", "ROLE", "STATE", "TOTP", "LOCKED UNTIL"]))


def _user_action(name: str, verb: str, method: Callable[[Console, str], None]) -> None:
    @users.command(name)
    @click.argument("username")
    @pass_ctx
    def command(ctx: Context, username: str) -> None:
        method(ctx.console(), username)
        ctx.emit({"username": username, "done": name}, lambda: click.echo(f"{verb} {username}"))

    command.__doc__ = f"{verb.capitalize()} a user."


_user_action("disable", "disabled", Console.disable_user)
_user_action("enable", "enabled", Console.enable_user)


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin (else one is generated).")
@pass_ctx
def users_reset_password(ctx: Context, username: str, password_stdin: bool) -> None:
    """Set a new password and end the user's sessions."""
    given = read_secret("", True) if password_stdin else None
    secret = ctx.console().reset_password(username, given)
    shown = None if given else secret
    ctx.emit({"username": username, "password": shown},
             lambda: click.echo(f"password reset for {username}" + (f"  password: {shown}" if shown else "")))


@users.command("set-role")
@click.argument("username")
@click.argument("role")
@pass_ctx
def users_set_role(ctx: Context, username: str, role: str) -> None:
    """Change a user's role."""
    ctx.console().set_role(username, role)
    ctx.emit({"username": username, "role": role.upper()}, lambda: click.echo(f"{username} is now {role.upper()}"))


@users.command("enroll-totp")
@click.argument("username", required=False)
@click.option("--confirm", "code", help="Activate the pending secret with a code from the app.")
@pass_ctx
def users_enroll_totp(ctx: Context, username: str | None, code: str | None) -> None:
    """Start TOTP enrolment (prints the secret and URI), or confirm it with --confirm CODE."""
    console = ctx.console()
    if code:
        console.confirm_totp(code, username)
        ctx.emit({"enrolled": True}, lambda: click.echo("TOTP enrolled"))
        return
    enrolment = console.enroll_totp(username)
    ctx.emit({"username": enrolment.username, "secret": enrolment.secret, "uri": enrolment.uri}, lambda: click.echo(
        f"secret: {enrolment.secret}\nuri:    {enrolment.uri}\n"
        "add it to an authenticator app, then run `athena users enroll-totp --confirm CODE`"))


@users.command("roles")
@pass_ctx
def users_roles(ctx: Context) -> None:
    """Print the permission matrix."""
    data = {role.value: sorted(p.value for p in MATRIX[role]) for role in Role}

    def human() -> None:
        roles = list(Role)
        table([(p.value + (" *" if p in PRIVILEGED else ""), *("x" if p in MATRIX[r] else "" for r in roles))
                for p in Permission], ["PERMISSION", *(r.value for r in roles)])
        click.echo("* privileged: needs the actor's TOTP and a second ADMIN's approval")

    ctx.emit(data, human)


@cli.group()
def approvals() -> None:
    """Two-person approvals of privileged actions."""


@approvals.command("list")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "expired"]))
@pass_ctx
def approvals_list(ctx: Context, status: str | None) -> None:
    """List approval requests."""
    rows = ctx.console().list_approvals(status)
    ctx.emit(rows, lambda: table([(a.id, a.action, a.status.value, a.requested_by, a.requested_at,
                                    a.decided_by or "") for a in rows],
                                  ["ID", "ACTION", "STATUS", "REQUESTED BY", "REQUESTED AT", "DECIDED BY"]))


@approvals.command("approve")
@click.argument("approval_id", type=int)
@click.option("--totp", required=True, help="Your current TOTP code.")
@pass_ctx
def approvals_approve(ctx: Context, approval_id: int, totp: str) -> None:
    """Approve another ADMIN's request; the action runs now."""
    done = ctx.console().approve(approval_id, totp)
    ctx.emit(done, lambda: click.echo(f"approved {done.id} ({done.action})"))


@approvals.command("reject")
@click.argument("approval_id", type=int)
@click.option("--reason", required=True, help="Why the request is rejected.")
@pass_ctx
def approvals_reject(ctx: Context, approval_id: int, reason: str) -> None:
    """Reject a pending request."""
    done = ctx.console().reject(approval_id, reason)
    ctx.emit(done, lambda: click.echo(f"rejected {done.id} ({done.action})"))


@cli.group(invoke_without_command=True)
@click.pass_context
def mode(click_ctx: click.Context) -> None:
    """Show or change the trading mode (paper or live)."""
    if click_ctx.invoked_subcommand is None:
        ctx: Context = click_ctx.obj
        current = ctx.console().trading_mode()
        ctx.emit({"trading_mode": current}, lambda: click.echo(f"trading mode: {current.value}"))


@mode.command("set")
@click.argument("target", type=click.Choice(["paper", "live"]))
@click.option("--totp", help="Your TOTP code (live mode is privileged).")
@pass_ctx
def mode_set(ctx: Context, target: str, totp: str | None) -> None:
    """Switch to paper now, or request live mode for a second ADMIN to approve."""
    approval = ctx.console().request_trading_mode(target, totp)
    if approval is None:
        ctx.emit({"trading_mode": target}, lambda: click.echo(f"trading mode: {target}"))
    else:
        ctx.emit(approval, lambda: click.echo(
            f"requested live mode: approval {approval.id}, pending a second ADMIN (`athena approvals approve`)"))


