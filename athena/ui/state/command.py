"""What the Command center shows: engine and trading state, NAV and PnL, exposures, strategies, alerts."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

import pandas as pd
import param

from athena.alerts import AlertStatus
from athena.console import Snapshot
from athena.ui.state.base import PageState, show
from athena.ui.state.figures import DayOpen, drawdown, sharpe

__all__ = ["ALERT_COLUMNS", "EXPOSURE_COLUMNS", "HISTORY", "STALE_S", "STRATEGY_COLUMNS", "CommandState"]

#: How many of the newest snapshots the page keeps (chart and Sharpe window).
HISTORY = 3600
#: Heartbeat age past which a running engine's feed counts as stale.
STALE_S = 5.0
EXPOSURE_COLUMNS = ["symbol", "quantity", "mark", "net", "gross"]
STRATEGY_COLUMNS = ["name", "lifecycle", "trading_state", "symbols", "capital", "pnl"]
ALERT_COLUMNS = ["time", "severity", "source", "status", "owner", "message"]


class CommandState(PageState):
    """The desk at a glance, following the engine while the page is open."""

    live = True

    engine = param.Dict(default={}, doc=(
        "Engine heartbeat: state, feed, heartbeat age in seconds, ticks, latency; empty if it never ran."))
    feed = param.String(default="none", doc="Feed health: live, stale (old heartbeat), stopped or none.")
    trading_state = param.String(default="ACTIVE", doc="Global trading state: ACTIVE, REDUCING or HALTED.")
    mode = param.String(default="paper", doc="Trading mode: paper or live.")
    nav = param.Number(default=None, allow_None=True, doc="NAV of the newest snapshot.")
    day_pnl = param.Number(default=None, allow_None=True, doc=(
        "NAV now minus NAV of the first snapshot since 00:00 UTC."))
    sharpe = param.Number(default=None, allow_None=True, doc="Annualised Sharpe ratio of snapshot NAV returns.")
    sharpe_window = param.String(default="", doc="The window the Sharpe ratio was measured over.")
    drawdown = param.Number(default=None, allow_None=True, doc="Fall of NAV from its peak, as a fraction.")
    history = param.List(default=[], item_type=Snapshot, doc=f"The newest snapshots (up to {HISTORY}), oldest first.")
    exposures = param.DataFrame(default=pd.DataFrame(columns=EXPOSURE_COLUMNS), doc=(
        "Net and gross exposure per symbol at the latest marks."))
    strategies = param.DataFrame(default=pd.DataFrame(columns=STRATEGY_COLUMNS), doc=(
        "Deployed strategies with lifecycle, trading state and PnL."))
    alerts = param.DataFrame(default=pd.DataFrame(columns=ALERT_COLUMNS), doc="The newest alerts not yet resolved.")

    def __init__(self, session: Any, **params: Any) -> None:
        super().__init__(session, **params)
        self._opening = DayOpen()

    def refresh(self) -> None:
        """Reload everything, including the snapshot history."""
        if self.session.console is None:
            return
        latest = self.run(self.console.latest_snapshot)
        after = max(0, latest.id - HISTORY) if latest is not None else 0
        history = self.run(lambda: self.console.snapshots(after, HISTORY))
        self.history = history or []
        self._read_rest()

    def poll(self) -> int:
        """Append new snapshots and re-read the rest; return how many snapshots were new."""
        if self.session.console is None:
            return 0
        last = self.history[-1].id if self.history else 0
        fresh = self.run(lambda: self.console.snapshots(last, HISTORY)) or []
        if fresh:
            self.history = (self.history + fresh)[-HISTORY:]
        self._read_rest()
        return len(fresh)

    def _read_rest(self) -> None:
        console = self.console
        status = self.run(console.engine_status)
        now = console.workspace.clock.now()
        if status is None:
            show(self, engine={}, feed="none")
        else:
            age = status.age_s(now)
            feed = "stopped" if status.state != "running" else ("stale" if age > STALE_S else "live")
            show(self, feed=feed, engine={
                "state": status.state, "feed": status.feed, "age_s": age, "ticks": status.ticks,
                "latency_ms": status.last_latency_ms, "started_at": status.started_at})
        states = self.run(console.trading_states) or {}
        mode = self.run(console.trading_mode)
        show(self, trading_state=states["global"].value if "global" in states else "ACTIVE",
                          mode=mode.value if mode is not None else self.mode)
        self._figures(now)
        self._read_book()
        show(self, alerts=self.recent_alerts())

    def _figures(self, now: Any) -> None:
        if not self.history:
            show(self, nav=None, day_pnl=None, sharpe=None, sharpe_window="no snapshots yet", drawdown=None)
            return
        last = self.history[-1]
        opening = self._opening.get(now, lambda start: self.run(lambda: self.console.first_snapshot(start)))
        ratio = sharpe(self.history)
        show(
            self,
            nav=float(last.nav),
            day_pnl=float(last.nav - opening.nav) if opening is not None else None,
            sharpe=ratio.value,
            sharpe_window=ratio.describe(),
            drawdown=float(drawdown(last.nav, last.peak_nav)),
        )

    def _read_book(self) -> None:
        view = self.run(self.console.portfolio)
        if view is not None:
            rows = [{"symbol": p.symbol, "quantity": float(p.quantity),
                     "mark": None if p.mark is None else float(p.mark), "net": float(p.market_value),
                     "gross": float(abs(p.market_value))}
                    for p in view.positions if p.quantity]
            show(self, exposures=pd.DataFrame(rows, columns=EXPOSURE_COLUMNS))
        deployments = self.run(self.console.strategies) or []
        rows = []
        for d in deployments:
            book = self.run(partial(self.console.portfolio, d.name))
            pnl = (book.realized_pnl + book.unrealized_pnl - book.fees) if book is not None else Decimal(0)
            rows.append({"name": d.name, "lifecycle": d.lifecycle,
                         "trading_state": d.trading_state.value if d.trading_state else "-",
                         "symbols": ", ".join(d.symbols), "capital": float(d.capital), "pnl": float(pnl)})
        show(self, strategies=pd.DataFrame(rows, columns=STRATEGY_COLUMNS))

    def recent_alerts(self, limit: int = 10) -> pd.DataFrame:
        """Return the newest alerts not yet resolved (open or acknowledged) as a table."""
        found = self.run(lambda: self.console.alerts(limit=200)) or []
        rows = [{"time": a.ts.strftime("%Y-%m-%d %H:%M:%S"), "severity": a.severity.value, "source": a.source,
                 "status": a.status.value, "owner": a.owner or "", "message": a.message}
                for a in found if a.status is not AlertStatus.RESOLVED][:limit]
        return pd.DataFrame(rows, columns=ALERT_COLUMNS)

    def chart_data(self) -> dict[str, list[Any]]:
        """Return the history as columns for the equity/drawdown chart (drawdown as a negative %)."""
        return {"ts": [s.ts.replace(tzinfo=None) for s in self.history],
                "nav": [float(s.nav) for s in self.history],
                "drawdown": [-100.0 * float(drawdown(s.nav, s.peak_nav)) for s in self.history]}
