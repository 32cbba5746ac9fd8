"""Mandates: list limits and their live status, set or remove limits."""

from __future__ import annotations

import click

from athena.cli._base import Context, cli, pass_ctx, table
from athena.risk.mandates import BreachAction, LimitKind


@cli.group()
def mandates() -> None:
    """Limits per scope (global or strategy:<name>) with warn and breach levels."""


@mandates.command("list")
@pass_ctx
def mandates_list(ctx: Context) -> None:
    """Show every limit with the live value and level."""
    statuses = {(st.limit.scope, st.limit.kind): st for st in ctx.console().mandate_status()}
    limits = ctx.console().limits()
    rows = []
    for lim in limits:
        st = statuses.get((lim.scope, lim.kind))
        level = lim.breach if not lim.symbols else ",".join(lim.symbols)
        rows.append((lim.scope, lim.kind.value, lim.warn or "", level, lim.action.value,
                     f"{st.value:.4f}" if st else "-", st.level.value if st else "-"))
    ctx.emit([{"scope": r[0], "kind": r[1], "warn": str(r[2]), "breach": str(r[3]), "action": r[4], "value": r[5],
               "level": r[6]} for r in rows],
             lambda: table(rows, ["SCOPE", "KIND", "WARN", "BREACH", "ACTION", "VALUE", "LEVEL"]))


@mandates.command("set")
@click.argument("kind", type=click.Choice([k.value for k in LimitKind], case_sensitive=False))
@click.option("--scope", default="global", show_default=True, help="global or strategy:<name>.")
@click.option("--breach", help="Breach level.")
@click.option("--warn", help="Warn level (<= breach).")
@click.option("--action", type=click.Choice([a.value for a in BreachAction], case_sensitive=False), default="ALERT",
              show_default=True, help="What the monitor does at breach.")
@click.option("--symbols", help="For ALLOWED_SYMBOLS: comma-separated symbols.")
@click.option("--totp", help="Your TOTP code, needed when the change loosens the mandate.")
@pass_ctx
def mandates_set(ctx: Context, kind: str, scope: str, breach: str | None, warn: str | None, action: str,
                 symbols: str | None, totp: str | None) -> None:
    """Add or tighten a limit now; loosening one asks a second ADMIN to approve."""
    approval = ctx.console().set_limit(scope, kind, breach=breach, warn=warn, action=action,
                                       symbols=[s.strip() for s in symbols.split(",")] if symbols else [], totp=totp)
    if approval is None:
        ctx.emit({"scope": scope, "kind": kind.upper(), "applied": True}, lambda: click.echo(f"{scope} {kind} set"))
    else:
        ctx.emit(approval, lambda: click.echo(f"loosening {scope} {kind}: approval {approval.id} pending"))


@mandates.command("remove")
@click.argument("kind", type=click.Choice([k.value for k in LimitKind], case_sensitive=False))
@click.option("--scope", default="global", show_default=True)
@click.option("--totp", required=True, help="Your TOTP code (removing a limit loosens the mandate).")
@pass_ctx
def mandates_remove(ctx: Context, kind: str, scope: str, totp: str) -> None:
    """Ask to remove a limit (a second ADMIN approves)."""
    approval = ctx.console().remove_limit(scope, kind, totp)
    ctx.emit(approval, lambda: click.echo(f"removal requested: approval {approval.id if approval else '-'}"))
