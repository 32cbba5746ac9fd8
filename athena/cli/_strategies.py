"""Strategy deployments: register, approve, activate, go live, halt, parameters."""

from __future__ import annotations

import json

import click

from athena.cli._base import Context, cli, parse_params, pass_ctx, table


@cli.group()
def strategies() -> None:
    """Strategy deployments and their lifecycle (registered -> approved -> paper -> live)."""


@strategies.command("register")
@click.argument("name")
@click.option("--ref", required=True, help="Registered strategy name or module:Class.")
@click.option("--symbols", required=True, help="Comma-separated instruments, e.g. BTC/USDT,ETH/USDT.")
@click.option("-p", "--param", "params", multiple=True, help="NAME=VALUE, repeatable.")
@click.option("--capital", default="100000", show_default=True, help="Capital the strategy sizes with.")
@click.option("--timeframe", default="1m", show_default=True, help="Bar size the strategy trades on.")
@pass_ctx
def strategies_register(ctx: Context, name: str, ref: str, symbols: str, params: tuple[str, ...], capital: str,
                        timeframe: str) -> None:
    """Register a deployment (QUANT); RISK approves it, a TRADER activates it."""
    d = ctx.console().register_strategy(name, ref, [s.strip() for s in symbols.split(",")], params=parse_params(params),
                                        capital=capital, timeframe=timeframe)
    ctx.emit(d, lambda: click.echo(f"registered {d.name} ({d.ref} {d.params}) on {', '.join(d.symbols)}"))


def _transition(command: str, verb: str) -> None:
    @strategies.command(command)
    @click.argument("name")
    @pass_ctx
    def run(ctx: Context, name: str) -> None:
        d = getattr(ctx.console(), f"{command}_strategy")(name)
        ctx.emit(d, lambda: click.echo(f"{name} is {d.lifecycle}"))

    run.__doc__ = f"{verb} a strategy."


_transition("approve", "Approve (RISK or ADMIN)")
_transition("activate", "Start paper trading")


@strategies.command("go-live")
@click.argument("name")
@click.option("--totp", required=True, help="Your current TOTP code.")
@pass_ctx
def strategies_go_live(ctx: Context, name: str, totp: str) -> None:
    """Send a paper strategy's orders to the exchange venue (ADMIN with TOTP)."""
    d = ctx.console().go_live_strategy(name, totp)
    ctx.emit(d, lambda: click.echo(f"{name} is live"))


@strategies.command("halt")
@click.argument("name")
@click.option("--reason", required=True, help="Why; recorded in the ledger.")
@pass_ctx
def strategies_halt(ctx: Context, name: str, reason: str) -> None:
    """Halt a strategy: no new exposure, exits still allowed."""
    ctx.console().halt_strategy(name, reason)
    ctx.emit({"name": name, "state": "HALTED"}, lambda: click.echo(f"{name} HALTED"))


@strategies.command("list")
@pass_ctx
def strategies_list(ctx: Context) -> None:
    """List deployments with lifecycle and trading state."""
    rows = ctx.console().strategies()
    ctx.emit(rows, lambda: table(
        [(d.name, d.ref, ",".join(d.symbols), json.dumps(d.params), d.params_version, d.lifecycle,
          d.trading_state.value if d.trading_state else "-", d.capital) for d in rows],
        ["NAME", "STRATEGY", "SYMBOLS", "PARAMS", "V", "LIFECYCLE", "STATE", "CAPITAL"]))


@strategies.command("params")
@click.argument("name")
@click.option("-p", "--param", "params", multiple=True, help="NAME=VALUE to change (a new version).")
@pass_ctx
def strategiesparse_params(ctx: Context, name: str, params: tuple[str, ...]) -> None:
    """Show parameter versions, or set new values as the next version."""
    console = ctx.console()
    if params:
        d = console.set_strategy_params(name, parse_params(params))
        ctx.emit(d, lambda: click.echo(f"{name} parameters v{d.params_version}: {d.params}"))
        return
    history = console.strategy_param_history(name)
    ctx.emit([{"version": v, "params": p, "by": by, "at": at} for v, p, by, at in history],
             lambda: table([(v, json.dumps(p), by, f"{at:%Y-%m-%d %H:%M}") for v, p, by, at in history],
                           ["VERSION", "PARAMS", "BY", "AT (UTC)"]))
