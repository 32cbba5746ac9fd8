"""Venues: where new orders go (the paper venue, or an exchange the engine trades on through ccxt)."""

from __future__ import annotations

import sys

import click

from athena.cli._base import Context, cli, pairs, pass_ctx, read_secret
from athena.console import VenueConfig
from athena.execution.venue_credentials import Credentials


@cli.group()
def venues() -> None:
    """The trading venue: paper (default) or binance/bybit (testnet unless the trading mode is live)."""


def _describe(config: VenueConfig) -> dict[str, object]:
    return {"venue": config.name, "symbols": ",".join(config.symbols) or "-",
            "network": ("testnet (sandbox)" if config.sandbox else "LIVE (real money)") if config.is_exchange
            else "simulated", "api_url": config.api_url or "-"}


@venues.command("show")
@pass_ctx
def venues_show(ctx: Context) -> None:
    """Show where new orders go."""
    config = ctx.console().venue_config()
    ctx.emit(config, lambda: pairs(_describe(config)))


@venues.command("set")
@click.argument("name", type=click.Choice(["paper", "binance", "bybit"]))
@click.option("--symbols", default="", help="Comma-separated symbols to trade on the exchange, e.g. BTC/USDT.")
@click.option("--api-key", help="Exchange API key; its secret is prompted for (or read from stdin in scripts).")
@click.option("--api-url", help="scheme://host[:port] replacing the exchange's API host (a gateway).")
@pass_ctx
def venues_set(ctx: Context, name: str, symbols: str, api_key: str | None, api_url: str | None) -> None:
    """Send new orders to NAME (ADMIN); the engine trades them there and reconciles on start."""
    credentials = None
    if api_key:
        secret = read_secret("API secret", from_stdin=not sys.stdin.isatty()).strip()
        if not secret:
            raise click.UsageError("--api-key needs its secret")
        credentials = Credentials(api_key, secret)
    config = ctx.console().set_venue(name, symbols=symbols.split(","), credentials=credentials, api_url=api_url)
    ctx.emit(config, lambda: pairs(_describe(config)))
