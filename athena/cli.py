"""The ``athena`` command: a thin face over Console, for operators and scripts.

Human-readable output by default, ``--json`` for scripts. Errors go to stderr with exit code
2 for bad input, 3 for refused (not allowed) actions, 4 for a broken audit chain and 1 for
anything else.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import click

from athena import __version__
from athena.audit import AuditFilter
from athena.auth import MATRIX, PRIVILEGED, Permission
from athena.clock import utc
from athena.config import Settings
from athena.console import Console
from athena.errors import AthenaError, InvalidInput, NotAllowed
from athena.model import AuditOutcome, Role
from athena.workspace import Workspace

__all__ = ["main"]

EXIT_ERROR, EXIT_INPUT, EXIT_DENIED, EXIT_BROKEN = 1, 2, 3, 4
SESSION_FILE = "cli-session.json"


@dataclasses.dataclass
class Context:
    home: str | None
    db_url: str | None
    as_json: bool

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.home, self.db_url)

    def workspace(self) -> Workspace:
        return Workspace.open(self.settings)

    def console(self) -> Console:
        ws = self.workspace()
        token = os.environ.get("ATHENA_TOKEN") or _saved_token(self.settings.home)
        if not token:
            raise click.ClickException("not logged in; run `athena login USERNAME`")
        return ws.resume(token)

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        if self.as_json:
            click.echo(json.dumps(_plain(data), indent=2, sort_keys=True))
        else:
            human()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _saved_token(home: Path) -> str | None:
    path = home / SESSION_FILE
    if not path.exists():
        return None
    token = json.loads(path.read_text()).get("token")
    return str(token) if token else None


def _save_session(home: Path, username: str, token: str) -> None:
    path = home / SESSION_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"username": username, "token": token}, fh)


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def _pairs(data: dict[str, Any]) -> None:
    for name, value in data.items():
        click.echo(f"{name:16} {value}")


def _read_secret(prompt: str, from_stdin: bool, confirm: bool = False) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", envvar="ATHENA_HOME", help="Workspace directory (default ./.athena).")
@click.option("--db-url", envvar="ATHENA_DB_URL", help="Database URL (default SQLite in the workspace).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def cli(ctx: click.Context, home: str | None, db_url: str | None, as_json: bool) -> None:
    """Athena: research and operations for quantitative trading."""
    ctx.obj = Context(home, db_url, as_json)


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
    password = _read_secret("", True) if admin_password_stdin else None
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
    """Show the workspace, database, schema, trading mode and ledger head (no login needed)."""
    info = ctx.workspace().status()
    ctx.emit(info, lambda: _pairs(info))


@cli.command()
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--totp", help="Current TOTP code, when the account has one.")
@pass_ctx
def login(ctx: Context, username: str, password_stdin: bool, totp: str | None) -> None:
    """Log in and keep the session for later commands."""
    ws = ctx.workspace()
    console = ws.login(username, _read_secret("Password", password_stdin), totp)
    _save_session(ws.settings.home, username, console.token or "")
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
    password = _read_secret("", True) if password_stdin else None
    user, generated = ctx.console().add_user(username, role, password)
    ctx.emit({"user": user, "password": generated}, lambda: click.echo(
        f"added {user.username} ({user.role.value})" + (f"  password: {generated}" if generated else "")))


@users.command("list")
@pass_ctx
def users_list(ctx: Context) -> None:
    """List users."""
    rows = ctx.console().list_users()
    ctx.emit(rows, lambda: _table(
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
    given = _read_secret("", True) if password_stdin else None
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
        _table([(p.value + (" *" if p in PRIVILEGED else ""), *("x" if p in MATRIX[r] else "" for r in roles))
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
    ctx.emit(rows, lambda: _table([(a.id, a.action, a.status.value, a.requested_by, a.requested_at,
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


@cli.group("audit")
def audit_group() -> None:
    """Read, verify and export the audit ledger."""


def _filters(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--actor"), click.option("--action", help="Exact, or a pattern with *."),
        click.option("--subject", help="Substring of the subject."),
        click.option("--outcome", type=click.Choice(["ok", "denied"])),
        click.option("--since", type=click.DateTime(), help="From this UTC time."),
        click.option("--until", type=click.DateTime(), help="Before this UTC time."),
        click.option("--text", help="Free text in payload, subject, action or actor."),
    ]):
        fn = option(fn)
    return fn


def _build_filter(limit: int | None, **kw: Any) -> AuditFilter:
    return AuditFilter(
        actor=kw["actor"], action=kw["action"], subject=kw["subject"],
        outcome=AuditOutcome(kw["outcome"]) if kw["outcome"] else None,
        since=utc(kw["since"]) if kw["since"] else None, until=utc(kw["until"]) if kw["until"] else None,
        text=kw["text"], limit=limit,
    )


@audit_group.command("list")
@_filters
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@pass_ctx
def audit_list(ctx: Context, /, limit: int, **kw: Any) -> None:
    """List ledger entries, newest first."""
    rows = ctx.console().audit(_build_filter(limit, **kw))
    ctx.emit(rows, lambda: _table(
        [(e.seq, e.ts.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, e.subject, e.outcome.value,
          json.dumps(e.payload, sort_keys=True)[:80]) for e in rows],
        ["SEQ", "TIME (UTC)", "ACTOR", "ACTION", "SUBJECT", "OUTCOME", "PAYLOAD"]))


@audit_group.command("verify")
@pass_ctx
def audit_verify(ctx: Context) -> None:
    """Recompute the chain; exit 4 naming the first entry that does not hold."""
    report = ctx.console().verify_audit()
    ctx.emit(report, lambda: click.echo(str(report)))
    if not report.ok:
        sys.exit(EXIT_BROKEN)


@audit_group.command("export")
@_filters
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File (default stdout).")
@pass_ctx
def audit_export(ctx: Context, /, fmt: str, output: Path | None, **kw: Any) -> None:
    """Export entries, oldest first, with hashes and signatures."""
    console = ctx.console()
    flt = _build_filter(None, **kw)
    if output is None:
        console.export_audit(sys.stdout, fmt, flt)
        return
    with output.open("w", newline="") as fh:
        count = console.export_audit(fh, fmt, flt)
    click.echo(f"wrote {count} entries to {output}", err=True)


@cli.group()
def events() -> None:
    """Read the event outbox."""


@events.command("tail")
@click.option("--after", default=0, show_default=True, type=click.IntRange(0), help="Only events above this id.")
@click.option("--follow", "-f", is_flag=True, help="Keep polling for new events.")
@click.option("--interval", default=0.5, show_default=True, type=click.FloatRange(0.05), help="Poll seconds.")
@pass_ctx
def events_tail(ctx: Context, after: int, follow: bool, interval: float) -> None:
    """Print events newer than --after, oldest first."""
    console = ctx.console()
    last = after
    while True:
        batch = console.events_since(last)
        for event in batch:
            last = event.id
            if ctx.as_json:
                click.echo(json.dumps(_plain(event), sort_keys=True))
            else:
                click.echo(f"{event.id}  {event.ts:%Y-%m-%d %H:%M:%S}  {event.type}  {event.subject}  "
                           f"{json.dumps(event.payload, sort_keys=True)}")
        if not follow:
            return
        if not batch:
            time.sleep(interval)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except NotAllowed as exc:
        click.echo(f"error: not allowed: {exc}", err=True)
        sys.exit(EXIT_DENIED)
    except InvalidInput as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    except AthenaError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``athena`` command."""
    with _errors():
        cli.main(args=list(argv) if argv is not None else None, prog_name="athena", standalone_mode=True)
