"""Running research strategies live: ticks become bars, bars become target positions.

The same ``Strategy`` class that is backtested decides here. At each closed bar the runner
replays the strategy over a rolling window with the backtester and reads the position it would
hold now; the live loop then trades the difference between that target and the strategy's own
book. Orders carry a client order id made of the strategy, symbol and bar time, so a restart
that replays the same bar can never send the same order twice.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import pandas as pd

from athena.data import Bars

__all__ = ["BarBuilder", "StrategyRunner", "target_positions"]


@dataclass
class BarBuilder:
    """Aggregate ticks of one symbol into OHLC bars of ``bar_s`` seconds, keeping the last ``keep``."""

    bar_s: int = 60
    keep: int = 500
    bars: deque[tuple[datetime, float, float, float, float]] = field(default_factory=deque)
    _current: list[float] | None = None
    _start: datetime | None = None

    def add(self, ts: datetime, price: float) -> bool:
        """Add a tick; return True when it closed the previous bar."""
        start = ts - timedelta(seconds=ts.timestamp() % self.bar_s)
        closed = False
        if self._start is not None and start > self._start and self._current is not None:
            o, h, low, c = self._current
            self.bars.append((self._start, o, h, low, c))
            while len(self.bars) > self.keep:
                self.bars.popleft()
            closed = True
            self._current = None
        if self._current is None:
            self._start, self._current = start, [price, price, price, price]
        else:
            self._current[1] = max(self._current[1], price)
            self._current[2] = min(self._current[2], price)
            self._current[3] = price
        return closed

    def frame(self) -> pd.DataFrame:
        """Return the closed bars in the bar schema."""
        index = pd.DatetimeIndex([b[0] for b in self.bars], name="timestamp").tz_convert("UTC")
        data = {name: [b[i + 1] for b in self.bars] for i, name in enumerate(("open", "high", "low", "close"))}
        return pd.DataFrame({**data, "volume": 1.0}, index=index)


def target_positions(ref: str, params: dict[str, object], window: Bars, capital: float) -> dict[str, float]:
    """Return the quantity per symbol the strategy holds after replaying ``window`` with ``capital``.

    Strategy code that raises comes out as ``StrategyError`` naming the strategy (the backtester
    wraps it), so the engine can halt that strategy and carry on.
    """
    from athena.backtest import run

    result = run(ref, window, cash=capital, params=params)
    held = {symbol: 0.0 for symbol in window.symbols}
    trades = result.open_trades
    for symbol, size in zip(trades["symbol"].tolist(), trades["size"].to_numpy(dtype=float).tolist(), strict=True):
        held[str(symbol)] += size
    return held


@dataclass
class StrategyRunner:
    """One deployment's live state: its bar builders and how it sizes."""

    name: str
    ref: str
    params: dict[str, object]
    symbols: tuple[str, ...]
    capital: Decimal
    bar_s: int = 60
    min_bars: int = 50
    builders: dict[str, BarBuilder] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.builders = {s: BarBuilder(self.bar_s) for s in self.symbols}

    def on_prices(self, ts: datetime, prices: dict[str, Decimal]) -> bool:
        """Feed one tick; return True when every symbol closed a bar and enough bars exist."""
        closed = [self.builders[s].add(ts, float(prices[s])) for s in self.symbols if s in prices]
        return bool(closed) and all(closed) and min(len(b.bars) for b in self.builders.values()) >= self.min_bars

    def orders(self, held: dict[str, Decimal], lots: dict[str, Decimal]) -> list[tuple[str, str, Decimal]]:
        """Return (symbol, side, quantity) that move ``held`` to the strategy's target, rounded to lots."""
        window = Bars({s: self.builders[s].frame() for s in self.symbols}, timeframe=f"{self.bar_s}s")
        targets = target_positions(self.ref, self.params, window, float(self.capital))
        out = []
        for symbol, target in targets.items():
            lot = lots[symbol]
            delta = (Decimal(repr(target)) - held.get(symbol, Decimal(0)))
            quantity = (abs(delta) / lot).to_integral_value(ROUND_DOWN) * lot
            if quantity > 0:
                out.append((symbol, "buy" if delta > 0 else "sell", quantity))
        return out

    def bar_time(self) -> datetime:
        """Return the start of the last closed bar (for idempotent client order ids)."""
        return max(b.bars[-1][0] for b in self.builders.values())
