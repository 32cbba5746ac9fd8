"""Orders, positions, trading states and the kill switch."""

from __future__ import annotations

import click

from athena.cli._base import Context, cli, pass_ctx, table
from athena.model import Order, OrderDenied


def _order_rows(orders: list[Order]) -> list[tuple[object, ...]]:
    return [(o.id, o.client_order_id, o.symbol, o.side.value, o.type.value, o.quantity, o.price or o.stop_price or "",
             o.status.value, o.filled_quantity, o.average_price or "") for o in orders]


_ORDER_HEADERS = ["ID", "CLIENT ID", "SYMBOL", "SIDE", "TYPE", "QTY", "PRICE", "STATUS", "FILLED", "AVG"]


@cli.group()
def orders() -> None:
    """Send, cancel and list orders."""


@orders.command("send")
@click.argument("side", type=click.Choice(["buy", "sell"]))
@click.argument("quantity")
@click.argument("symbol")
@click.option("--type", "kind", type=click.Choice(["market", "limit", "stop"]), default="market", show_default=True)
@click.option("--price", help="Limit price.")
@click.option("--stop-price", help="Stop trigger price.")
@click.option("--tif", type=click.Choice(["GTC", "IOC"]), default="GTC", show_default=True)
@click.option("--client-order-id", help="Idempotency key: the same key never makes two orders.")
@click.option("--strategy", help="Strategy the order belongs to.")
@pass_ctx
def orders_send(ctx: Context, side: str, quantity: str, symbol: str, kind: str, price: str | None,
                stop_price: str | None, tif: str, client_order_id: str | None, strategy: str | None) -> None:
    """Send an order, e.g. `athena orders send buy 0.5 BTC/USDT --type limit --price 50000`."""
    result = ctx.console().submit_order(symbol, side, quantity, type=kind, price=price, stop_price=stop_price,
                                        tif=tif, client_order_id=client_order_id, strategy=strategy)
    if isinstance(result, OrderDenied):
        ctx.emit(result, lambda: click.echo(f"DENIED {result.reason.value}: {result.message}"))
        raise SystemExit(3)
    ctx.emit(result, lambda: click.echo(f"order {result.id} ({result.client_order_id}) {result.status.value}"
                                        + (f" at {result.average_price}" if result.average_price else "")))


@orders.command("cancel")
@click.argument("ref")
@pass_ctx
def orders_cancel(ctx: Context, ref: str) -> None:
    """Cancel an order by id or client order id."""
    order = ctx.console().cancel_order(int(ref) if ref.isdigit() else ref)
    ctx.emit(order, lambda: click.echo(f"order {order.id} {order.status.value}"))


@orders.command("cancel-all")
@click.option("--symbol", help="Only this symbol.")
@pass_ctx
def orders_cancel_all(ctx: Context, symbol: str | None) -> None:
    """Cancel every open order."""
    count = ctx.console().cancel_all_orders(symbol)
    ctx.emit({"cancelled": count}, lambda: click.echo(f"cancelled {count} orders"))


@orders.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only orders that can still trade.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@pass_ctx
def orders_list(ctx: Context, open_only: bool, limit: int) -> None:
    """List orders, newest first."""
    rows = ctx.console().orders(open_only=open_only, limit=limit)
    ctx.emit(rows, lambda: table(_order_rows(rows), _ORDER_HEADERS))


@orders.command("fills")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@pass_ctx
def orders_fills(ctx: Context, limit: int) -> None:
    """List fills, newest first: FEE is the quote value, CHARGED what the venue took in each currency."""
    rows = ctx.console().fills(limit)
    ctx.emit(rows, lambda: table([(f.id, f.order_id, f.symbol, f.side.value, f.quantity, f.price, f.fee,
                                    " + ".join(f"{c.amount} {c.currency}" for c in f.fee_detail),
                                    f"{f.ts:%Y-%m-%d %H:%M:%S}") for f in rows],
                                  ["ID", "ORDER", "SYMBOL", "SIDE", "QTY", "PRICE", "FEE", "CHARGED", "TIME (UTC)"]))


@cli.group(invoke_without_command=True)
@click.pass_context
def positions(click_ctx: click.Context) -> None:
    """Show net positions per symbol; `athena positions flatten` closes them."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.obj
    held = ctx.console().positions()
    ctx.emit({k: str(v) for k, v in held.items()}, lambda: table(sorted(held.items()), ["SYMBOL", "QUANTITY"]))


@positions.command("flatten")
@click.option("--symbol", help="Only this symbol (default: every open position).")
@click.option("--reason", required=True, help="Why; recorded in the ledger.")
@pass_ctx
def positions_flatten(ctx: Context, symbol: str | None, reason: str) -> None:
    """Close net positions with reduce-only market orders (allowed while trading is halted)."""
    results = ctx.console().flatten_positions(symbol, reason=reason)

    def human() -> None:
        if not results:
            click.echo("no open positions to flatten")
        for r in results:
            if isinstance(r, OrderDenied):
                click.echo(f"DENIED {r.reason.value}: {r.message}")
            else:
                click.echo(f"order {r.id} {r.side.value} {r.quantity} {r.symbol} {r.status.value}"
                           + (f" at {r.average_price}" if r.average_price else ""))

    ctx.emit(results, human)
    if any(isinstance(r, OrderDenied) for r in results):
        raise SystemExit(3)


@cli.group("kill-switch")
def kill_switch() -> None:
    """Engage the kill switch, see its state, reset it with two ADMINs."""


@kill_switch.command("engage")
@click.option("--reason", required=True, help="Why; recorded in the ledger.")
@pass_ctx
def kill_switch_engage(ctx: Context, reason: str) -> None:
    """Halt all trading now and cancel every open order."""
    cancelled = ctx.console().engage_kill_switch(reason)
    ctx.emit({"engaged": True, "cancelled": cancelled},
             lambda: click.echo(f"kill switch ENGAGED; {cancelled} open orders cancelled"))


@kill_switch.command("status")
@pass_ctx
def kill_switch_status(ctx: Context) -> None:
    """Show the trading state of every scope."""
    states = ctx.console().trading_states()
    ctx.emit(states, lambda: table(sorted((k, v.value) for k, v in states.items()), ["SCOPE", "STATE"]))


@kill_switch.command("request-reset")
@click.option("--totp", required=True, help="Your current TOTP code.")
@pass_ctx
def kill_switch_request_reset(ctx: Context, totp: str) -> None:
    """Ask to reset the kill switch; a second ADMIN approves with `athena approvals approve`."""
    approval = ctx.console().request_kill_switch_reset(totp)
    ctx.emit(approval, lambda: click.echo(f"reset requested: approval {approval.id}, pending a second ADMIN"))


@cli.group()
def trading() -> None:
    """Trading states of the workspace and of strategies."""


@trading.command("set")
@click.argument("state", type=click.Choice(["ACTIVE", "REDUCING", "HALTED"], case_sensitive=False))
@click.option("--strategy", help="A strategy's state instead of the global one.")
@click.option("--reason", required=True, help="Why; recorded in the ledger.")
@pass_ctx
def trading_set(ctx: Context, state: str, strategy: str | None, reason: str) -> None:
    """Set a trading state (global HALTED is the kill switch)."""
    ctx.console().set_trading_state(state, strategy=strategy, reason=reason)
    scope = f"strategy:{strategy}" if strategy else "global"
    ctx.emit({"scope": scope, "state": state.upper()}, lambda: click.echo(f"{scope} is now {state.upper()}"))


@kill_switch.command("approve-reset")
@click.argument("approval_id", type=int)
@click.option("--totp", required=True, help="Your current TOTP code.")
@pass_ctx
def kill_switch_approve_reset(ctx: Context, approval_id: int, totp: str) -> None:
    """Approve another ADMIN's kill switch reset (the same as `athena approvals approve`)."""
    console = ctx.console()
    pending = [a for a in console.list_approvals("pending") if a.id == approval_id]
    if not pending or pending[0].action != "killswitch.reset":
        raise click.ClickException(f"approval {approval_id} is not a pending kill switch reset")
    done = console.approve(approval_id, totp)
    ctx.emit(done, lambda: click.echo(f"kill switch reset approved ({done.id}); trading is ACTIVE again"))
