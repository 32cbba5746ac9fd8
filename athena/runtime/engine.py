"""The live engine: feed -> marks and paper matching -> routing -> strategies -> orders -> snapshots.

On the paper venue the feed is synthetic; when the workspace trades on an exchange
(:mod:`athena.runtime.exchange`) prices come from the exchange, the engine reconciles with it on
start, and each tick its router sends, cancels and follows the exchange's orders.

One :meth:`Engine.step` is one tick: new prices are written as marks (which fills resting paper
orders) in one transaction with the heartbeat, which carries the tick's latency (feed tick to marks
matched) and its p50/p95/p99 over the last ``latency_window`` ticks; strategies in paper trading get the tick, and at
each closed bar trade towards their target through Console as ``system:engine`` (a strategy that
raises is halted, the engine goes on); every ``snapshot_every_s`` a snapshot of the portfolio is
written and published (with every instrument's mark, the stress library's impact on the book and
its one-day historical VaR/CVaR at 99 % from the marks of earlier snapshots, see
:mod:`athena.risk.var_limit`) and the risk monitor checks
the mandates, and a symbol whose last price grew older than the workspace's ``stale_after_s``
raises an alert (orders on it are refused until prices resume, which raises another). Each tick
also fires the job schedules that are due (:class:`athena.jobs.scheduler.Scheduler`, as
``system:scheduler``), so the jobs service finds their jobs queued.
:meth:`Engine.run` paces steps on the wall clock until stopped; tests drive :meth:`step` with a
simulated clock instead.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlmodel import col, select

from athena.data import parse_timeframe
from athena.data.feed import SyntheticFeed
from athena.errors import AthenaError
from athena.execution import PaperVenue
from athena.execution.portfolio import PortfolioView, portfolio, starting_cash
from athena.jobs.scheduler import Scheduler
from athena.risk.checks import stale_marks
from athena.risk.var_limit import book_var, history_of
from athena.runtime.exchange import ExchangeLink
from athena.runtime.monitor import RiskMonitor
from athena.runtime.strategies import StrategyRunner
from athena.store import EngineStatusRow, InstrumentRow, MarkRow, SnapshotRow, publish
from athena.workspace import Workspace

__all__ = ["ENGINE_ACTOR", "Engine", "EngineConfig", "percentile"]

ENGINE_ACTOR = "engine"
_Q = Decimal("0.00000001")


@dataclass(frozen=True)
class EngineConfig:
    """How often the engine ticks and snapshots."""

    tick_s: float = 1.0
    snapshot_every_s: float = 1.0
    seed: int = 0
    min_bars: int = 50
    latency_window: int = 240

    def __post_init__(self) -> None:
        if self.tick_s <= 0 or self.snapshot_every_s <= 0:
            raise ValueError(f"tick_s and snapshot_every_s must be > 0, were {self.tick_s}, {self.snapshot_every_s}")
        if self.min_bars < 1:
            raise ValueError(f"min_bars must be >= 1, was {self.min_bars}")
        if self.latency_window < 1:
            raise ValueError(f"latency_window must be >= 1, was {self.latency_window}")


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0-100) of ``values`` by nearest rank; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _stress_summary(view: PortfolioView) -> dict[str, object]:
    """Return the shipped scenarios' impact on the book (empty when flat), for the risk tower."""
    from athena import stress

    held = {p.symbol: float(p.quantity) for p in view.positions if p.quantity and p.mark is not None}
    if not held:
        return {}
    marks = {p.symbol: float(p.mark) for p in view.positions if p.symbol in held and p.mark is not None}
    book = stress.Portfolio(held, marks, cash=float(view.cash))
    return stress.summary(book)


@dataclass
class Engine:
    """The live loop of one workspace."""

    workspace: Workspace
    config: EngineConfig = field(default_factory=EngineConfig)
    venue: PaperVenue | None = None
    feed: SyntheticFeed | None = None
    exchange: ExchangeLink | None = None
    ticks: int = 0

    def __post_init__(self) -> None:
        self._console = self.workspace.system(ENGINE_ACTOR)
        self._venue = self.venue or PaperVenue.from_settings(self.workspace.settings.trading)
        config = self._console.venue_config()
        if self.exchange is None and config.is_exchange and self.feed is None:
            self.exchange = ExchangeLink.open(self.workspace, self._console, config)
        self._feed_name = self.exchange.config.name if self.exchange else "synthetic"
        self._route_trouble = ""
        self._feed = self.feed or self._synthetic_feed()
        self._last_snapshot: float | None = None
        self._latencies: deque[float] = deque(maxlen=self.config.latency_window)
        self._stop = threading.Event()
        self._runners: dict[str, StrategyRunner] = {}
        self.monitor = RiskMonitor(self.workspace)
        self.scheduler = Scheduler(self.workspace)
        self._stale: set[str] = set()

    def _synthetic_feed(self) -> SyntheticFeed:
        with self.workspace.store.read() as s:
            sizes = {row.symbol: row.tick_size for row in s.exec(select(InstrumentRow))}
        return SyntheticFeed(tick_sizes=sizes, seed=self.config.seed)

    def start(self) -> None:
        """Record that the engine runs (audited); on an exchange venue, reconcile with it first."""
        self._console.record_engine_state("running", pid=os.getpid(), host=socket.gethostname(),
                                          feed=self._feed_name)
        if self.exchange is not None:
            self.exchange.reconcile()

    def _prices(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        if self.exchange is not None:
            return self.exchange.prices(), {}
        return self._feed.tick(self.config.tick_s), self._feed.volumes

    def _route(self) -> None:
        if self.exchange is None:
            return
        report = self.exchange.route()
        for note in report.unconverted:
            self._console.raise_alert("warning", f"venue:{self._feed_name}", note)
        trouble = "; ".join(report.unavailable)
        if trouble and trouble != self._route_trouble:
            self._console.raise_alert("warning", f"venue:{self._feed_name}",
                                      f"orders wait for {self._feed_name}: {trouble}")
        self._route_trouble = trouble

    def step(self) -> dict[str, Decimal]:
        """Advance the feed one tick, mark and match, fire due job schedules, route; snapshot when due."""
        started = time.perf_counter()
        prices, volumes = self._prices()
        ws = self.workspace
        with ws.store.write() as s:
            now = ws.clock.now()
            fills = sum(self._venue.set_mark(s, symbol, price, now, volumes.get(symbol))
                        for symbol, price in prices.items())
            status = s.get(EngineStatusRow, 1)
            if status is not None:
                latency = (time.perf_counter() - started) * 1000
                self._latencies.append(latency)
                window = list(self._latencies)
                status.heartbeat_at, status.ticks, status.last_latency_ms = now, status.ticks + 1, latency
                status.latency_p50_ms, status.latency_p95_ms, status.latency_p99_ms = (
                    percentile(window, q) for q in (50, 95, 99))
                s.add(status)
            publish(s, ts=now, type="MarketTick", subject=f"feed:{self._feed_name}", audit_seq=None,
                    payload={"prices": {k: str(v) for k, v in prices.items()}, "fills": fills})
        self.ticks += 1
        self.scheduler.tick()
        self._route()
        self._run_strategies(now, prices)
        elapsed = self.ticks * self.config.tick_s
        if self._last_snapshot is None or elapsed - self._last_snapshot >= self.config.snapshot_every_s:
            self.snapshot()
            self.monitor.check()
            self._watch_feed(now)
            self._last_snapshot = elapsed
        return prices

    def _watch_feed(self, now: datetime) -> None:
        limit = self.workspace.settings.trading.stale_after_s
        with self.workspace.store.read() as s:
            stale = stale_marks(s, now, limit)
        for symbol in sorted(set(stale) - self._stale):
            self._console.raise_alert("critical", f"feed:{symbol}",
                                      f"no price for {symbol} for {stale[symbol]:.0f} s (limit {limit:g} s); "
                                      "new orders on it are refused", {"age_s": round(stale[symbol], 3)})
        for symbol in sorted(self._stale - set(stale)):
            self._console.raise_alert("info", f"feed:{symbol}", f"prices for {symbol} resumed; orders are accepted")
        self._stale = set(stale)

    def _refresh_runners(self) -> list[StrategyRunner]:
        live = {d.name: d for d in self._console.strategies() if d.lifecycle in ("paper", "live")}
        for name in set(self._runners) - set(live):
            del self._runners[name]
        for name, d in live.items():
            current = self._runners.get(name)
            if current is None or current.params != d.params:
                runner = StrategyRunner(name, d.ref, d.params, d.symbols, d.capital,
                                        bar_s=int(parse_timeframe(d.timeframe).total_seconds()),
                                        min_bars=self.config.min_bars)
                if current is not None:
                    runner.builders = current.builders
                self._runners[name] = runner
        return list(self._runners.values())

    def _run_strategies(self, now: datetime, prices: dict[str, Decimal]) -> None:
        runners = self._refresh_runners()
        if not runners:
            return
        with self.workspace.store.read() as s:
            lots = {row.symbol: row.lot_size for row in s.exec(select(InstrumentRow))}
        for runner in runners:
            if not runner.on_prices(now, prices):
                continue
            held = {p.symbol: p.quantity for p in self._console.portfolio(runner.name).positions}
            try:
                orders = runner.orders(held, lots)
            except AthenaError as exc:
                self._console.halt_strategy(runner.name, f"strategy failed: {exc}")
                continue
            stamp = runner.bar_time().strftime("%Y%m%dT%H%M%S")
            for symbol, side, quantity in orders:
                self._console.submit_order(symbol, side, quantity, strategy=runner.name,
                                           client_order_id=f"{runner.name}:{symbol.replace('/', '')}:{stamp}")

    def snapshot(self) -> PortfolioView:
        """Write and publish the portfolio figures now."""
        ws = self.workspace
        with ws.store.write() as s:
            now = ws.clock.now()
            view = portfolio(s, starting_cash(s))
            previous = s.exec(select(SnapshotRow).order_by(col(SnapshotRow.id).desc()).limit(1)).first()
            peak = max(view.nav, previous.peak_nav if previous else view.nav)
            drawdown = (view.nav / peak - 1) if peak > 0 else Decimal(0)
            risk = book_var(history_of(s), {p.symbol: float(p.market_value) for p in view.positions
                                            if p.quantity and p.mark is not None}).to_dict()
            detail = {"positions": [{"symbol": p.symbol, "quantity": str(p.quantity), "average": str(p.average_price),
                                     "mark": str(p.mark), "value": str(p.market_value),
                                     "unrealized": str(p.unrealized_pnl), "realized": str(p.realized_pnl)}
                                    for p in view.positions if p.quantity or p.realized_pnl],
                      "stress": _stress_summary(view), "var": risk,
                      "marks": {row.symbol: str(row.price) for row in s.exec(select(MarkRow))}}
            row = SnapshotRow(ts=now, nav=view.nav.quantize(_Q), cash=view.cash.quantize(_Q),
                              realized_pnl=view.realized_pnl.quantize(_Q),
                              unrealized_pnl=view.unrealized_pnl.quantize(_Q), fees=view.fees.quantize(_Q),
                              gross_exposure=view.gross_exposure.quantize(_Q),
                              net_exposure=view.net_exposure.quantize(_Q), leverage=view.leverage.quantize(_Q),
                              drawdown=drawdown.quantize(_Q), peak_nav=peak.quantize(_Q), detail=json.dumps(detail))
            s.add(row)
            s.flush()
            publish(s, ts=now, type="Snapshot", subject="portfolio", audit_seq=None,
                    payload={"snapshot_id": row.id, "nav": str(row.nav), "drawdown": str(row.drawdown),
                             "leverage": str(row.leverage), "var": risk["var"], "cvar": risk["cvar"]})
        return view

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current tick."""
        self._stop.set()

    def run(self, max_ticks: int | None = None) -> int:
        """Tick on the wall clock until :meth:`stop` (or ``max_ticks``); return ticks made."""
        self.start()
        next_at = time.monotonic()
        try:
            while not self._stop.is_set() and (max_ticks is None or self.ticks < max_ticks):
                self.step()
                next_at += self.config.tick_s
                self._stop.wait(max(0.0, next_at - time.monotonic()))
        finally:
            self._console.record_engine_state("stopped", pid=os.getpid(), host=socket.gethostname(),
                                              feed=self._feed_name)
            if self.exchange is not None:
                self.exchange.close()
        return self.ticks
