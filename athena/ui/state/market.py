"""What the Market data page shows: last prices, their change and freshness, and the feed's health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import param

from athena.console import EngineStatus, Mark
from athena.ui.state.base import PageState

__all__ = ["WINDOWS", "FeedRow", "MarketState", "QuoteRow", "freshness"]

#: Change window label -> seconds back from now (None: since the page started following prices).
WINDOWS: dict[str, int | None] = {"since opened": None, "1 min": 60, "5 min": 300}


def freshness(age_s: float | None, fresh_s: float, stale_s: float) -> str:
    """Return ``success`` (green), ``warning`` (amber) or ``danger`` (red) for an age in seconds."""
    if age_s is None or age_s > stale_s:
        return "danger"
    return "success" if age_s <= fresh_s else "warning"


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """One symbol as the page shows it."""

    symbol: str
    last: Decimal
    base: Decimal
    change_pct: float
    age_s: float
    level: str
    points: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class FeedRow:
    """The feed as the page shows it: the engine's heartbeat and tick latency percentiles."""

    state: str
    feed: str
    heartbeat_age_s: float
    level: str
    ticks: int
    last_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


class MarketState(PageState):
    """Latest marks per symbol with a price history kept while the page follows them."""

    live = True

    window = param.Selector[str](default="since opened", objects=list(WINDOWS), doc=(
        "Change is measured from the first price seen in this window (at most since the page opened)."))
    fresh_s = param.Number(default=3.0, bounds=(0.1, None), doc="A price this many seconds old or newer is green.")
    stale_s = param.Number(default=10.0, bounds=(0.2, None), doc="A price older than this is red (amber between).")
    max_points = param.Integer(default=600, bounds=(10, 10_000), doc="Prices kept per symbol for the chart.")
    history = param.Dict(default={}, doc="Symbol -> the latest (time, price) points seen, oldest first.")
    first = param.Dict(default={}, doc="Symbol -> the first (time, price) seen since the page opened.")
    opened_at = param.Date(default=None, allow_None=True, doc="When the page started following prices (UTC).")
    quotes = param.List(default=[], item_type=QuoteRow, doc="One row per symbol, by symbol.")
    feed = param.ClassSelector(class_=FeedRow, allow_None=True, default=None, doc=(
        "The feed's health; None before the engine ever ran."))

    def refresh(self) -> None:
        """Read the latest marks and the engine status, extend the history and recompute the rows."""
        if self.session.console is None:
            return
        marks = self.run(self.console.quotes)
        status = self.run(self.console.engine_status)
        if marks is None:
            return
        now = self.console.workspace.clock.now()
        self._record(marks, now)
        self.param.update(quotes=self._rows(marks, now), feed=self._feed(status, now))

    def _record(self, marks: list[Mark], now: datetime) -> None:
        if self.opened_at is None:
            self.opened_at = now
        history, first = dict(self.history), dict(self.first)
        for mark in marks:
            first.setdefault(mark.symbol, (mark.ts, mark.price))
            seen = history.get(mark.symbol, [])
            if not seen or seen[-1][0] != mark.ts:
                history[mark.symbol] = [*seen, (mark.ts, mark.price)][-self.max_points:]
        self.param.update(history=history, first=first)

    def _rows(self, marks: list[Mark], now: datetime) -> list[QuoteRow]:
        back = WINDOWS[self.window]
        since = now - timedelta(seconds=back) if back is not None else None
        rows = []
        for mark in marks:
            seen = self.history.get(mark.symbol, [(mark.ts, mark.price)])
            if since is None:
                base = self.first.get(mark.symbol, seen[0])[1]
            else:
                before = [p for t, p in seen if t <= since]
                base = before[-1] if before else seen[0][1]
            change = float((mark.price - base) / base * 100) if base else 0.0
            age = max(0.0, (now - mark.ts).total_seconds())
            rows.append(QuoteRow(mark.symbol, mark.price, base, change, age,
                                 freshness(age, self.fresh_s, self.stale_s), tuple(float(p) for _, p in seen)))
        return rows

    def _feed(self, status: EngineStatus | None, now: datetime) -> FeedRow | None:
        if status is None:
            return None
        age = max(0.0, status.age_s(now))
        level = freshness(age, self.fresh_s, self.stale_s) if status.state == "running" else "danger"
        return FeedRow(status.state, status.feed, age, level, status.ticks, status.last_latency_ms,
                       status.latency_p50_ms, status.latency_p95_ms, status.latency_p99_ms)

    @param.depends("window", watch=True)
    def _window_changed(self) -> None:
        self.refresh()
