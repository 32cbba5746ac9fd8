"""Alerts: the inbox, one alert's timeline, and acknowledging, assigning and resolving them."""

from __future__ import annotations

import click

from athena.alerts import Alert
from athena.cli._base import Context, cli, pairs, pass_ctx, table

_HEADERS = ["ID", "TIME (UTC)", "SEVERITY", "STATUS", "OWNER", "SOURCE", "MESSAGE"]


def _row(a: Alert) -> tuple[object, ...]:
    return (a.id, f"{a.ts:%Y-%m-%d %H:%M:%S}", a.severity.value, a.status.value, a.owner or "-", a.source,
            a.message)


def _show(alert: Alert) -> None:
    pairs({"alert": alert.id, "severity": alert.severity.value, "status": alert.status.value,
           "owner": alert.owner or "-", "source": alert.source, "message": alert.message,
           "raised": alert.ts.isoformat(), **{f"detail.{k}": v for k, v in sorted(alert.details.items())}})
    click.echo("")
    table([(f"{e.ts:%Y-%m-%d %H:%M:%S}", e.kind.value, e.actor, e.note) for e in alert.events],
          ["TIME (UTC)", "STEP", "BY", "NOTE"])


@cli.group()
def alerts() -> None:
    """List alerts and work them: acknowledge, assign, comment, resolve."""


@alerts.command("list")
@click.option("--status", type=click.Choice(["open", "acknowledged", "resolved"]), help="Only this status.")
@click.option("--severity", type=click.Choice(["info", "warning", "critical"]), help="Only this severity.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@pass_ctx
def alerts_list(ctx: Context, status: str | None, severity: str | None, limit: int) -> None:
    """List alerts, newest first."""
    rows = ctx.console().alerts(status=status, severity=severity, limit=limit)
    ctx.emit(rows, lambda: table([_row(a) for a in rows], _HEADERS))


@alerts.command("show")
@click.argument("alert_id", type=int)
@pass_ctx
def alerts_show(ctx: Context, alert_id: int) -> None:
    """Show one alert and its timeline."""
    alert = ctx.console().alert(alert_id)
    ctx.emit(alert, lambda: _show(alert))


@alerts.command("ack")
@click.argument("alert_id", type=int)
@click.option("--note", default="", help="What you are doing about it; recorded on the timeline.")
@pass_ctx
def alerts_ack(ctx: Context, alert_id: int, note: str) -> None:
    """Acknowledge an open alert (it becomes yours if nobody owns it)."""
    alert = ctx.console().acknowledge_alert(alert_id, note)
    ctx.emit(alert, lambda: click.echo(f"alert {alert.id} acknowledged; owner {alert.owner}"))


@alerts.command("assign")
@click.argument("alert_id", type=int)
@click.argument("username")
@click.option("--note", default="", help="Recorded on the timeline.")
@pass_ctx
def alerts_assign(ctx: Context, alert_id: int, username: str, note: str) -> None:
    """Make USERNAME the owner of an alert."""
    alert = ctx.console().assign_alert(alert_id, username, note)
    ctx.emit(alert, lambda: click.echo(f"alert {alert.id} assigned to {alert.owner}"))


@alerts.command("resolve")
@click.argument("alert_id", type=int)
@click.option("--note", default="", help="How it was resolved; recorded on the timeline.")
@pass_ctx
def alerts_resolve(ctx: Context, alert_id: int, note: str) -> None:
    """Resolve an alert."""
    alert = ctx.console().resolve_alert(alert_id, note)
    ctx.emit(alert, lambda: click.echo(f"alert {alert.id} resolved"))


@alerts.command("comment")
@click.argument("alert_id", type=int)
@click.argument("note")
@pass_ctx
def alerts_comment(ctx: Context, alert_id: int, note: str) -> None:
    """Add NOTE to an alert's timeline."""
    alert = ctx.console().comment_alert(alert_id, note)
    ctx.emit(alert, lambda: click.echo(f"comment added to alert {alert.id}"))


@alerts.command("raise")
@click.argument("severity", type=click.Choice(["info", "warning", "critical"]))
@click.argument("source")
@click.argument("message")
@pass_ctx
def alerts_raise(ctx: Context, severity: str, source: str, message: str) -> None:
    """Raise an alert by hand (RISK, ADMIN); its notifications are queued for the engine's or jobs service's sender."""
    console = ctx.console()
    alert = console.raise_alert(severity, source, message)
    queued = [d.channel for d in console.alert_deliveries(alert.id)]
    ctx.emit(alert, lambda: click.echo(f"alert {alert.id} raised; notifications queued: {', '.join(queued) or 'none'}"))
