"""The engine's side of an exchange venue: the ccxt client, its prices, the router, and reconciliation at start.

When the workspace sends orders to an exchange (``athena venues set binance …``), the engine takes
its prices from the exchange instead of the synthetic feed, routes orders there each tick, and on
start compares what the OMS believes open, and the positions and cash Athena books, with what the
exchange reports and holds: every difference is recorded (one ``venues.reconcile`` ledger entry
listing them) and raised as an alert, and Athena adopts the venue's view. An unreachable exchange
at start is an alert too, never a silent refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from athena.console import Console, VenueConfig
from athena.errors import AthenaError
from athena.execution.ccxt_venue import CcxtVenue, MarketRules, VenueAck, VenueOrderNotFound
from athena.execution.router import ExchangeRouter, RouteReport, fee_rates, venue_ids
from athena.execution.venue_credentials import load_credentials
from athena.execution.venue_reconcile import ReconcileReport, VenueHoldings, reconcile
from athena.model import OrderStatus
from athena.store import OrderRow
from athena.workspace import Workspace

__all__ = ["ExchangeLink"]

_KNOWN_OPEN = [OrderStatus.OPEN.value, OrderStatus.PARTIALLY_FILLED.value, OrderStatus.PENDING_CANCEL.value]
_BALANCE_READS = 3


@dataclass
class ExchangeLink:
    """One engine's connection to the workspace's exchange venue."""

    workspace: Workspace
    console: Console
    config: VenueConfig
    venue: CcxtVenue

    @classmethod
    def open(cls, workspace: Workspace, console: Console, config: VenueConfig, **options: Any) -> ExchangeLink:
        """Build the client from the stored, encrypted API key; no request is made yet.

        ``options`` go to :class:`~athena.execution.ccxt_venue.CcxtVenue` (``retries``, ``backoff``…).
        """
        credentials = load_credentials(workspace.settings.home, workspace.key, config.name)
        venue = CcxtVenue.create(config.name, credentials, sandbox=config.sandbox, api_url=config.api_url,
                                 **options)
        return cls(workspace, console, config, venue)

    @property
    def router(self) -> ExchangeRouter:
        """Return the router that sends, cancels and follows this venue's orders."""
        return ExchangeRouter(self.venue, self.workspace.store, self.workspace.clock.now)

    def reconcile(self) -> list[str]:
        """Compare the OMS with the exchange, record and alert every difference; return them.

        The venue's balances are read before and after its orders; when a fill moved them in
        between (three times running), positions and cash are not compared this time and an alert
        says so, rather than adopting a holding the router is about to book as a fill.
        """
        source = f"venue:{self.config.name}"
        try:
            rules: dict[str, MarketRules] = {symbol: self.venue.rules(symbol) for symbol in self.config.symbols}
            holdings: VenueHoldings | None = None
            for _ in range(_BALANCE_READS):
                before = self.venue.balances()
                report, settled = self._orders()
                balances = self.venue.balances()
                if balances == before:
                    holdings = VenueHoldings(self.config.symbols, balances,
                                             {symbol: self.venue.last_price(symbol) for symbol in self.config.symbols})
                    break
            rates: dict[tuple[str, str], Decimal | None] = {}
            fee_rates(self.venue, [*report.unknown_at_venue, *(a for a in settled.values() if a)], rates)
            lines = self.console.record_reconciliation(report, settled, rules, holdings, rates)
        except AthenaError as exc:
            # Nothing was recorded (one transaction): the engine runs on and says what it could not settle.
            self.console.raise_alert("critical", source, f"reconciliation with {self.config.name} failed: {exc}; "
                                     "orders are queued until the exchange answers")
            return [f"failed: {exc}"]
        for line in lines:
            self.console.raise_alert("warning", source, f"reconciliation: {line}")
        if holdings is None:
            self.console.raise_alert("warning", source, f"reconciliation: balances at {self.config.name} kept moving "
                                     "while orders were read; positions and cash not compared until the next start")
        return lines

    def _orders(self) -> tuple[ReconcileReport, dict[str, VenueAck | None]]:
        with self.workspace.store.read() as s:
            known = {row.client_order_id: row.model_copy() for row in s.exec(select(OrderRow).where(
                OrderRow.venue == self.config.name, col(OrderRow.status).in_(_KNOWN_OPEN)))}
        report = reconcile(self.venue, known)
        settled: dict[str, VenueAck | None] = {}
        for cid in (*report.missing_at_venue, *(m.client_order_id for m in report.mismatched)):
            try:
                ack = self.venue.fetch_order(known[cid].symbol, **venue_ids(cid))
            except VenueOrderNotFound:
                settled[cid] = None
                continue
            if ack.filled_quantity > known[cid].filled_quantity and not ack.fills:
                ack = replace(ack, fills=self.venue.order_trades(ack.symbol, ack.venue_order_id))
            settled[cid] = ack
        return report, settled

    def prices(self) -> dict[str, Decimal]:
        """Return the last price of every symbol the exchange answered for (a silent one goes stale)."""
        out: dict[str, Decimal] = {}
        for symbol in self.config.symbols:
            try:
                out[symbol] = self.venue.last_price(symbol)
            except AthenaError:
                continue
        return out

    def route(self) -> RouteReport:
        """Send, cancel and follow the venue's orders once."""
        return self.router.step()

    def close(self) -> None:
        """Close the client's connections."""
        self.venue.close()
