"""The live engine and the portfolio it values."""

from __future__ import annotations

import signal
from types import FrameType

import click

from athena.cli._base import Context, cli, pairs, pass_ctx, table
from athena.cli._stress import risk


@cli.group(invoke_without_command=True)
@click.option("--tick", "tick_s", default=1.0, show_default=True, type=click.FloatRange(0.01), help="Seconds per tick.")
@click.option("--ticks", "max_ticks", type=click.IntRange(1), help="Stop after this many ticks.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the synthetic feed.")
@click.option("--min-bars", default=50, show_default=True, type=click.IntRange(1),
              help="Bars a strategy sees before it may trade.")
@click.pass_context
def engine(click_ctx: click.Context, tick_s: float, max_ticks: int | None, seed: int, min_bars: int) -> None:
    """Run the live loop (synthetic feed, paper venue, snapshots, due job schedules) and the alert sender until
    Ctrl-C or SIGTERM."""
    if click_ctx.invoked_subcommand is not None:
        return
    from athena.alerts import AlertSender
    from athena.runtime.engine import Engine, EngineConfig

    ctx: Context = click_ctx.obj
    config = EngineConfig(tick_s=tick_s, snapshot_every_s=max(1.0, tick_s), seed=seed, min_bars=min_bars)
    workspace = ctx.workspace()
    loop = Engine(workspace, config)

    def stop(signum: int, frame: FrameType | None) -> None:
        loop.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"engine running on {ctx.settings.home} (tick {tick_s}s); Ctrl-C stops it", err=True)
    with AlertSender(workspace.system("alert-sender").deliver_alerts):
        ticks = loop.run(max_ticks)
    click.echo(f"engine stopped after {ticks} ticks", err=True)


@engine.command("status")
@pass_ctx
def engine_status(ctx: Context) -> None:
    """Show the engine's state and last heartbeat."""
    console = ctx.console()
    status = console.engine_status()
    if status is None:
        ctx.emit({"state": "never started"}, lambda: click.echo("engine: never started"))
        return
    age = status.age_s(console.workspace.clock.now())
    data = {**{k: getattr(status, k) for k in status.__slots__}, "heartbeat_age_s": round(age, 3)}
    ctx.emit(data, lambda: pairs(data))


@cli.command()
@click.option("--strategy", help="One strategy's book instead of the whole portfolio.")
@pass_ctx
def portfolio(ctx: Context, strategy: str | None) -> None:
    """Show cash, positions, PnL and exposure at the latest marks."""
    view = ctx.console().portfolio(strategy)
    summary = {"nav": view.nav, "cash": view.cash, "realized_pnl": view.realized_pnl,
               "unrealized_pnl": view.unrealized_pnl, "fees": view.fees, "gross_exposure": view.gross_exposure,
               "net_exposure": view.net_exposure, "leverage": view.leverage}
    rows = [(p.symbol, p.quantity, p.average_price, p.mark, p.market_value, p.unrealized_pnl, p.realized_pnl)
            for p in view.positions]

    def human() -> None:
        pairs({k: f"{v:.2f}" if k != "leverage" else f"{v:.4f}" for k, v in summary.items()})
        table([(r[0], r[1], *(f"{v:.2f}" if v is not None else "-" for v in r[2:])) for r in rows],
              ["SYMBOL", "QTY", "AVG", "MARK", "VALUE", "UNREALIZED", "REALIZED"])

    ctx.emit({**summary, "positions": [dict(zip(["symbol", "quantity", "average", "mark", "value", "unrealized",
                                                 "realized"], r, strict=True)) for r in rows]}, human)


@risk.command("snapshot")
@pass_ctx
def risk_snapshot(ctx: Context) -> None:
    """Show the engine's latest snapshot: NAV, PnL, exposure, leverage, drawdown."""
    snap = ctx.console().latest_snapshot()
    if snap is None:
        ctx.emit({"snapshot": None}, lambda: click.echo("no snapshot yet: start the engine (`athena engine`)"))
        return
    figures = {k: getattr(snap, k) for k in ("ts", "nav", "cash", "realized_pnl", "unrealized_pnl", "fees",
                                             "gross_exposure", "net_exposure", "leverage", "drawdown", "peak_nav")}
    ctx.emit({**figures, "positions": snap.detail.get("positions", [])}, lambda: pairs(figures))
