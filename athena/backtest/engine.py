"""The event-driven, multi-symbol portfolio backtester.

Bars are replayed in time order (symbols in ``Bars`` order within a timestamp). For each bar:
resting orders of that symbol are matched against it, then the strategy's ``on_bar`` runs. Market
orders placed in ``on_bar`` fill, in submission order, at the close of that timestamp
(``fill="close"``) or at the open of the symbol's next bar (``fill="next_open"``). Limit and stop
orders rest from the next bar: a buy limit fills at the open if it gaps below the limit, else at the
limit once the low reaches it; a buy stop fills at the open if it gaps above, else at the stop once the
high reaches it (sells mirror). During an exchange ``outage`` (bars stamped in ``[start, end)``) nothing
fills: orders placed then (for any symbol, whether or not it has a bar then), and resting orders the
outage bars would have reached, wait and are matched from the first bar after it (a market order at
that bar's open, stops and limits gapping at the open). Slippage moves market and stop fills against
the trader; commission is ``|value| * commission + fixed_commission`` per fill. An all-in order
(``size=None``) covers the opposite position first, then spends all free cash (capped at
``weight * equity``), so
``units = (budget - fixed) / (1 + commission) / price``, rounded down to whole units unless
``fractional``. Closed trades pair fills first-in first-out. Nothing checks margin: explicit sizes
may lever.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.backtest.config import BacktestConfig
from athena.data.bars import Bars, nanos
from athena.errors import InvalidOrder, StrategyError
from athena.strategies.base import BarView, Strategy, suggest
from athena.strategies.orders import Fill, Order, OrderStatus, OrderType, Position

__all__ = ["Engine", "RunOutput"]

TRADE_COLUMNS = [
    "symbol", "size", "entry_time", "exit_time", "entry_bar", "exit_bar", "entry_price", "exit_price",
    "pnl", "return", "commission", "tag",
]
FILL_COLUMNS = ["order_id", "symbol", "time", "bar", "size", "price", "commission", "tag"]

_EPS = 1e-12
_MAX_CHAIN = 10_000


@dataclass(frozen=True, slots=True)
class RunOutput:
    """What one engine run produced, before metrics."""

    equity: pd.Series
    exposure: float
    traded_value: float
    trades: pd.DataFrame
    open_trades: pd.DataFrame
    orders: pd.DataFrame
    fills: pd.DataFrame


class _Order:
    __slots__ = (
        "close", "filled", "id", "limit", "price", "reason", "side", "size", "status", "stop",
        "sym", "t", "tag", "time", "type", "weight",
    )

    def __init__(self, oid: int, sym: int, side: int, kind: OrderType, size: float | None, limit: float | None,
                 stop: float | None, weight: float | None, close: bool, t: int, time: int,
                 tag: str | None) -> None:
        self.id, self.sym, self.side, self.type = oid, sym, side, kind
        self.size, self.limit, self.stop, self.weight, self.close = size, limit, stop, weight, close
        self.t, self.time, self.tag = t, time, tag
        self.status = OrderStatus.OPEN
        self.filled = 0.0
        self.price = math.nan
        self.reason = ""


class _Lot:
    __slots__ = ("bar", "comm", "price", "size", "tag", "time")

    def __init__(self, size: float, price: float, comm: float, bar: int, time: int, tag: str | None) -> None:
        self.size, self.price, self.comm, self.bar, self.time, self.tag = size, price, comm, bar, time, tag


class Engine:
    """One backtest run of one strategy over ``Bars``; the strategy's broker while it runs.

    Parameters
    ----------
    strategy : Strategy
        A fresh strategy instance (the engine binds it).
    bars : Bars
        The data.
    config : BacktestConfig
        Cash, costs, fill timing and sizing.
    start : pandas.Timestamp, optional
        First timestamp on which ``on_bar`` runs; earlier bars only feed ``init`` (warm-up).
    outage : tuple of pandas.Timestamp, optional
        ``(start, end)`` of an exchange outage: no fills on bars stamped in ``[start, end)``.
    """

    def __init__(
        self, strategy: Strategy, bars: Bars, config: BacktestConfig, start: pd.Timestamp | None = None,
        outage: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    ) -> None:
        self.strategy, self.bars, self.config = strategy, bars, config
        self.symbols = bars.symbols
        self._sym_of = {s: k for k, s in enumerate(self.symbols)}
        frames = [bars[s] for s in self.symbols]
        self._index = [f.index for f in frames]
        self._ns = [nanos(f.index) for f in frames]
        self._open = [f["open"].to_numpy() for f in frames]
        self._high = [f["high"].to_numpy() for f in frames]
        self._low = [f["low"].to_numpy() for f in frames]
        self._close = [f["close"].to_numpy() for f in frames]
        self._views = []
        for s, frame in zip(self.symbols, frames, strict=True):
            view = BarView()
            view.attach(s, frame)
            self._views.append(view)
        self._view = self._views[0]
        self._cur = 0
        self._start = start
        self._outage = (outage[0].value, outage[1].value) if outage is not None else None
        self._cash = config.cash
        self._pos = [0.0] * len(frames)
        self._last = [-1] * len(frames)
        self._lots: list[list[_Lot]] = [[] for _ in frames]
        self._slip = config.slippage_bps / 10_000.0
        self._t = 0
        self._next_id = 0
        self._orders: list[_Order] = []
        self._resting: list[_Order] = []
        self._queued: list[_Order] = []
        self._fills: list[tuple[Any, ...]] = []
        self._trades: list[tuple[Any, ...]] = []
        self._snaps: list[tuple[int, float, int, float]] = []
        self._notify = type(strategy).on_fill is not Strategy.on_fill
        self.timeline = pd.DatetimeIndex([], tz="UTC", name="timestamp")
        self._t0 = 0

    # -- the broker seen by the strategy ------------------------------------------------------

    def submit(self, *, side: int, symbol: str | None, size: float | None, limit: float | None,
               stop: float | None, weight: float | None, close: bool, tag: str | None) -> int:
        """Validate and accept an order; see :meth:`athena.strategies.Strategy.buy`."""
        sym = self._symbol(symbol)
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, (int, float)) or not math.isfinite(size) or size <= 0:
                raise InvalidOrder(f"size must be a finite number > 0 (units), was size={size!r}")
            if not self.config.fractional and not float(size).is_integer():
                raise InvalidOrder(f"size must be whole units (fractional=False), was size={size!r}")
            if weight is not None:
                raise InvalidOrder(f"give size or weight, not both; was size={size!r} weight={weight!r}")
        for label, price in (("limit", limit), ("stop", stop)):
            if price is not None and (not isinstance(price, (int, float)) or not math.isfinite(price) or price <= 0):
                raise InvalidOrder(f"{label} price must be a finite number > 0, was {label}={price!r}")
        if limit is not None and stop is not None:
            raise InvalidOrder(f"give limit or stop, not both; was limit={limit!r} stop={stop!r}")
        if weight is not None and not (isinstance(weight, (int, float)) and 0 < weight <= 1):
            raise InvalidOrder(f"weight must be in (0, 1], was weight={weight!r}")
        kind = OrderType.LIMIT if limit is not None else OrderType.STOP if stop is not None else OrderType.MARKET
        view = self._view
        self._next_id += 1
        order = _Order(self._next_id, sym, side, kind, None if size is None else float(size), limit, stop,
                       weight, close, self._t, int(self._ns[self._cur][view.i]), tag)
        self._orders.append(order)
        if kind is OrderType.MARKET and self.config.fill == "close":
            self._queued.append(order)
        else:
            self._resting.append(order)
        return order.id

    def cancel(self, order_id: int) -> bool:
        """Cancel an open order; return whether it was open."""
        for book in (self._resting, self._queued):
            for order in book:
                if order.id == order_id:
                    book.remove(order)
                    order.status, order.reason = OrderStatus.CANCELLED, "cancelled by strategy"
                    return True
        return False

    def position(self, symbol: str | None) -> Position:
        """Return the position of ``symbol``."""
        sym = self._symbol(symbol)
        lots = self._lots[sym]
        size = self._pos[sym]
        held = sum(lot.size for lot in lots)
        avg = sum(lot.size * lot.price for lot in lots) / held if lots and held else math.nan
        return Position(self.symbols[sym], size, avg)

    def size_of(self, symbol: str | None) -> float:
        """Return the signed position size of ``symbol``."""
        return self._pos[self._symbol(symbol)]

    def open_orders(self) -> tuple[Order, ...]:
        """Return the open orders, oldest first."""
        live = sorted(self._resting + self._queued, key=lambda o: o.id)
        return tuple(
            Order(o.id, self.symbols[o.sym], o.side, o.type, o.size, o.limit, o.stop, o.weight, o.close,
                  pd.Timestamp(o.time, tz="UTC"), o.tag)
            for o in live
        )

    @property
    def cash(self) -> float:
        """Return free cash."""
        return self._cash

    @property
    def equity(self) -> float:
        """Return cash plus positions at their last close."""
        total = self._cash
        for sym, pos in enumerate(self._pos):
            if pos:
                total += pos * self._mark(sym)
        return total

    # -- running ------------------------------------------------------------------------------

    def run(self) -> None:
        """Run the strategy over all bars; raise ``StrategyError`` when strategy code fails."""
        strategy = self.strategy
        strategy.bind(self, self.bars)
        self._call(strategy.init, "init")
        if len(self.symbols) == 1:
            self._run_single()
        else:
            self._run_multi()
        if self.config.close_at_end:
            self._close_all()

    def _call(self, hook: Any, where: str, *args: Any) -> None:
        try:
            hook(*args)
        except Exception as exc:
            raise StrategyError(self.strategy.name, f"{type(exc).__name__} in {where}: {exc}") from exc

    def _fail(self, exc: Exception) -> StrategyError:
        view = self._view
        when = view._index[view.i] if view.i < len(view._index) else "?"
        return StrategyError(
            self.strategy.name, f"{type(exc).__name__} in on_bar at {when} ({view.symbol}): {exc}"
        )

    def _run_single(self) -> None:
        n = len(self._close[0])
        first = 0 if self._start is None else int(self._index[0].searchsorted(self._start))
        self.timeline = pd.DatetimeIndex(self._index[0][first:])
        self._t0 = first
        view = self._view
        on_bar = self.strategy.on_bar
        resting, queued = self._resting, self._queued
        last = self._last
        try:
            for i in range(first, n):
                if resting:
                    self._t = i
                    self._match(0, i)
                view.i = i
                on_bar(view)
                if queued:
                    last[0] = i
                    self._t = i
                    self._flush()
        except StrategyError:
            raise
        except Exception as exc:
            raise self._fail(exc) from exc
        last[0] = n - 1
        self._t = n - 1

    def _run_multi(self) -> None:
        stamps = np.unique(np.concatenate(self._ns))
        first = 0 if self._start is None else int(np.searchsorted(stamps, self._start.value))
        self.timeline = pd.DatetimeIndex(stamps[first:], tz="UTC", name="timestamp")
        self._t0 = first
        t_of = [np.searchsorted(stamps, ns) for ns in self._ns]
        ev_t = np.concatenate(t_of)
        ev_s = np.concatenate([np.full(len(ns), k) for k, ns in enumerate(self._ns)])
        ev_i = np.concatenate([np.arange(len(ns)) for ns in self._ns])
        order = np.lexsort((ev_s, ev_t))
        ev_t, ev_s, ev_i = ev_t[order], ev_s[order], ev_i[order]
        ev_end = np.append(ev_t[1:] != ev_t[:-1], True)
        begin = int(np.searchsorted(ev_t, first))
        for s in range(len(self.symbols)):
            before = ev_i[:begin][ev_s[:begin] == s]
            self._last[s] = int(before[-1]) if len(before) else -1
        views, on_bar = self._views, self.strategy.on_bar
        resting, queued, last = self._resting, self._queued, self._last
        try:
            for t, s, i, end in zip(ev_t[begin:].tolist(), ev_s[begin:].tolist(), ev_i[begin:].tolist(),
                                    ev_end[begin:].tolist(), strict=True):
                self._t = t
                if resting:
                    self._match(s, i)
                view = views[s]
                view.i = i
                last[s] = i
                self._view, self._cur = view, s
                on_bar(view)
                if queued and end:
                    self._flush()
        except StrategyError:
            raise
        except Exception as exc:
            raise self._fail(exc) from exc
        self._t = len(stamps) - 1

    def _mark(self, sym: int) -> float:
        i = self._view.i if len(self.symbols) == 1 else max(self._last[sym], 0)
        return float(self._close[sym][i])

    def _flush(self) -> None:
        queued = self._queued
        # The outage is judged at the current bar's time: the ordered symbol's own last bar may predate it.
        now = int(self._ns[self._cur][self._view.i])
        out = self._outage is not None and self._outage[0] <= now < self._outage[1]
        for _ in range(_MAX_CHAIN):
            batch = queued[:]
            queued.clear()
            for order in batch:
                i = self._last[order.sym]
                if i < 0:
                    order.status, order.reason = OrderStatus.REJECTED, "no bar yet for the symbol"
                    continue
                if out:
                    self._resting.append(order)
                    continue
                self._execute(order, float(self._close[order.sym][i]), i, True)
            if not queued:
                return
        raise StrategyError(self.strategy.name, f"more than {_MAX_CHAIN} chained orders in one bar")

    def _out(self, sym: int, i: int) -> bool:
        outage = self._outage
        return outage is not None and outage[0] <= int(self._ns[sym][i]) < outage[1]

    def _match(self, sym: int, i: int) -> None:
        if self._outage is not None and self._out(sym, i):
            return
        o, high, low = float(self._open[sym][i]), float(self._high[sym][i]), float(self._low[sym][i])
        for order in self._resting[:]:
            if order.sym != sym or order.t >= self._t:
                continue
            kind = order.type
            price: float | None
            if kind is OrderType.MARKET:
                price, slip = o, True
            else:
                if order.close and self._pos[sym] == 0:
                    self._resting.remove(order)
                    order.status, order.reason = OrderStatus.CANCELLED, "position already flat"
                    continue
                buy = order.side > 0 or (order.close and self._pos[sym] < 0)
                if kind is OrderType.LIMIT:
                    level = float(order.limit)  # type: ignore[arg-type]
                    slip = False
                    if buy:
                        price = o if o <= level else level if low <= level else None
                    else:
                        price = o if o >= level else level if high >= level else None
                else:
                    level = float(order.stop)  # type: ignore[arg-type]
                    slip = True
                    if buy:
                        price = o if o >= level else level if high >= level else None
                    else:
                        price = o if o <= level else level if low <= level else None
            if price is None:
                continue
            self._resting.remove(order)
            self._execute(order, price, i, slip)

    def _execute(self, order: _Order, price: float, i: int, slip: bool) -> None:
        sym = order.sym
        pos = self._pos[sym]
        if order.close:
            if pos == 0:
                order.status, order.reason = OrderStatus.CANCELLED, "position already flat"
            else:
                self._fill(order, sym, -pos, price, i, slip)
            return
        if order.size is not None:
            self._fill(order, sym, order.side * order.size, price, i, slip)
            return
        side = order.side
        if pos * side < 0:
            self._fill(order, sym, -pos, price, i, slip)
        px = price * (1.0 + side * self._slip) if slip else price
        weight = 1.0 if order.weight is None else order.weight
        if side > 0:
            budget = self._cash if order.weight is None else min(self._cash, weight * self.equity)
        else:
            budget = weight * self.equity + min(self._pos[sym], 0.0) * px
        units = (budget - self.config.fixed_commission) / (1.0 + self.config.commission) / px
        if not self.config.fractional:
            units = math.floor(units)
        if not units > 0:
            if order.filled == 0:
                order.status = OrderStatus.REJECTED
                order.reason = f"insufficient cash for one unit: budget={budget:.6g} price={px:.6g}"
            return
        self._fill(order, sym, side * units, price, i, slip)

    def _fill(self, order: _Order, sym: int, qty: float, price: float, i: int, slip: bool) -> None:
        px = price * (1.0 + self._slip) if slip and qty > 0 else price * (1.0 - self._slip) if slip else price
        value = qty * px
        comm = abs(value) * self.config.commission + self.config.fixed_commission
        self._cash = self._cash - value - comm
        pos = self._pos[sym] + qty
        self._pos[sym] = pos
        order.filled += qty
        order.price = px
        order.status = OrderStatus.FILLED
        time = int(self._ns[sym][i])
        self._fills.append((order.id, self.symbols[sym], time, i, qty, px, comm, order.tag))
        self._snaps.append((self._t, self._cash, sym, pos))
        self._book(sym, qty, px, comm, i, time, order.tag)
        if self._notify:
            fill = Fill(order.id, self.symbols[sym], qty, px, comm, pd.Timestamp(time, tz="UTC"), i)
            self._call(self.strategy.on_fill, "on_fill", fill)

    def _book(self, sym: int, qty: float, px: float, comm: float, i: int, time: int, tag: str | None) -> None:
        lots = self._lots[sym]
        per_unit = comm / abs(qty)
        left = qty
        while lots and left and (lots[0].size > 0) != (left > 0):
            lot = lots[0]
            take = lot.size if abs(lot.size) <= abs(left) else -left
            units = abs(take)
            pnl = take * (px - lot.price) - units * (lot.comm + per_unit)
            cost = units * lot.price
            self._trades.append((
                self.symbols[sym], take, lot.time, time, lot.bar, i, lot.price, px, pnl,
                pnl / cost if cost else math.nan, units * (lot.comm + per_unit), lot.tag,
            ))
            lot.size -= take
            left += take
            if abs(lot.size) <= _EPS * units:
                lots.pop(0)
            if abs(left) <= _EPS * abs(qty):
                left = 0.0
        if left:
            lots.append(_Lot(left, px, per_unit, i, time, tag))

    def _close_all(self) -> None:
        self._t = self._t0 + len(self.timeline) - 1
        for sym, pos in enumerate(self._pos):
            if pos and self._last[sym] >= 0:
                self._next_id += 1
                i = self._last[sym]
                order = _Order(self._next_id, sym, 0, OrderType.MARKET, None, None, None, None, True, self._t,
                               int(self._ns[sym][i]), "close_at_end")
                self._orders.append(order)
                self._execute(order, float(self._close[sym][i]), i, True)

    def _symbol(self, symbol: str | None) -> int:
        if symbol is None:
            if len(self.symbols) == 1:
                return 0
            raise InvalidOrder(
                f"symbol is required with several symbols ({', '.join(self.symbols)})"
            )
        sym = self._sym_of.get(symbol)
        if sym is None:
            raise InvalidOrder(
                f"unknown symbol {symbol!r}{suggest(symbol, self.symbols)} (symbols: {', '.join(self.symbols)})"
            )
        return sym

    def output(self) -> RunOutput:
        """Return the equity curve, trades, orders and fills of the finished run."""
        timeline = self.timeline
        n, t0 = len(timeline), self._t0
        snaps = self._snaps
        snap_t = np.fromiter((x[0] for x in snaps), dtype=np.int64, count=len(snaps)) - t0
        snap_cash = np.fromiter((x[1] for x in snaps), dtype=np.float64, count=len(snaps))
        snap_sym = np.fromiter((x[2] for x in snaps), dtype=np.int64, count=len(snaps))
        snap_pos = np.fromiter((x[3] for x in snaps), dtype=np.float64, count=len(snaps))
        steps = np.arange(n)
        at = np.searchsorted(snap_t, steps, side="right") - 1
        if len(snaps):
            cash = np.where(at >= 0, snap_cash[np.maximum(at, 0)], self.config.cash)
        else:
            cash = np.full(n, self.config.cash)
        equity = cash.copy()
        held = np.zeros(n, dtype=bool)
        for sym in range(len(self.symbols)):
            mine = snap_sym == sym
            if not mine.any():
                continue
            k = np.searchsorted(snap_t[mine], steps, side="right") - 1
            pos = np.where(k >= 0, snap_pos[mine][np.maximum(k, 0)], 0.0)
            equity += pos * self._close_on(sym, timeline)
            held |= pos != 0
        trades = _stamped(pd.DataFrame(self._trades, columns=TRADE_COLUMNS), "entry_time", "exit_time")
        trades["duration"] = trades["exit_time"] - trades["entry_time"]
        fills = _stamped(pd.DataFrame(self._fills, columns=FILL_COLUMNS), "time")
        return RunOutput(
            equity=pd.Series(equity, index=timeline, name="equity"),
            exposure=float(held.mean()) if n else 0.0,
            traded_value=float(np.abs(fills["size"] * fills["price"]).sum()),
            trades=trades,
            open_trades=self._open_trades(),
            orders=self._order_table(),
            fills=fills,
        )

    def _close_on(self, sym: int, timeline: pd.DatetimeIndex) -> npt.NDArray[np.float64]:
        close = self._close[sym]
        if len(self.symbols) == 1:
            return close[self._t0:]
        k = self._index[sym].searchsorted(timeline, side="right") - 1
        return np.where(k >= 0, close[np.maximum(k, 0)], 0.0)

    def _open_trades(self) -> pd.DataFrame:
        rows = []
        for sym, lots in enumerate(self._lots):
            mark = float(self._close[sym][self._last[sym]]) if self._last[sym] >= 0 else math.nan
            for lot in lots:
                pnl = lot.size * (mark - lot.price) - abs(lot.size) * lot.comm
                rows.append((self.symbols[sym], lot.size, lot.time, lot.bar, lot.price, mark, pnl, lot.tag))
        return _stamped(pd.DataFrame(
            rows, columns=["symbol", "size", "entry_time", "entry_bar", "entry_price", "last_price", "pnl", "tag"]
        ), "entry_time")

    def _order_table(self) -> pd.DataFrame:
        side = {1: "buy", -1: "sell", 0: "close"}
        rows = [
            (o.id, self.symbols[o.sym], side[o.side], str(o.type), o.size, o.weight, o.limit, o.stop, o.time,
             str(o.status), o.filled, o.price, o.reason, o.tag)
            for o in self._orders
        ]
        return _stamped(pd.DataFrame(rows, columns=[
            "id", "symbol", "side", "type", "size", "weight", "limit", "stop", "submitted", "status", "filled",
            "price", "reason", "tag",
        ]), "submitted")


def _stamped(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column].astype("int64"), unit="ns", utc=True)
    return frame
