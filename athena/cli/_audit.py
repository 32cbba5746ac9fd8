"""The audit ledger and the event outbox."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from athena.audit import AuditFilter
from athena.cli._base import EXIT_BROKEN, Context, cli, pass_ctx, plain, table
from athena.clock import utc
from athena.model import AuditOutcome


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
    ctx.emit(rows, lambda: table(
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
                click.echo(json.dumps(plain(event), sort_keys=True))
            else:
                click.echo(f"{event.id}  {event.ts:%Y-%m-%d %H:%M:%S}  {event.type}  {event.subject}  "
                           f"{json.dumps(event.payload, sort_keys=True)}")
        if not follow:
            return
        if not batch:
            time.sleep(interval)


