"""The compiled replay of signal strategies: the engine's exact trades, without the event loop.

For a :class:`~athena.strategies.SignalStrategy` that keeps the built-in ``init``/``on_bar`` on one
symbol, the event engine's decisions depend only on the signal array and the position, so a numba
kernel can replay them with the same floating-point operations in the same order. The tests assert
equal trades and equity against the engine over parameter grids. numba is imported on first use and
the kernel is cached on disk (``cache=True``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.backtest.config import BacktestConfig
from athena.backtest.engine import TRADE_COLUMNS, RunOutput
from athena.data.bars import nanos
from athena.strategies.base import Strategy
from athena.strategies.builtins import SignalStrategy
from athena.strategies.indicators import Indicators

__all__ = ["kernel_outputs", "replay", "supports"]

_KERNEL: list[Callable[..., Any]] = []


def supports(strategy: type[Strategy], n_symbols: int) -> bool:
    """Return whether :func:`replay` reproduces ``strategy`` exactly.

    Parameters
    ----------
    strategy : type[Strategy]
        The strategy class.
    n_symbols : int
        Number of symbols in the data.

    Returns
    -------
    bool
        True for one symbol and a ``SignalStrategy`` that keeps the built-in hooks.
    """
    return (
        n_symbols == 1
        and issubclass(strategy, SignalStrategy)
        and strategy.init is SignalStrategy.init
        and strategy.on_bar is SignalStrategy.on_bar
        and strategy.on_fill is Strategy.on_fill
    )


def _kernel() -> Callable[..., Any]:
    if not _KERNEL:
        import numba

        _KERNEL.append(numba.njit(cache=True, nogil=True)(_replay_py))
    return _KERNEL[0]


def _replay_py(
    sig: npt.NDArray[np.int8], opens: npt.NDArray[np.float64], close: npt.NDArray[np.float64], first: int,
    cash: float, commission: float, fixed: float, slip: float, next_open: bool, whole: bool, close_at_end: bool,
) -> tuple[Any, ...]:
    n = close.shape[0]
    equity = np.empty(n - first)
    cap = (n - first) // 2 + 2
    t_int = np.empty((cap, 2), dtype=np.int64)
    t_flt = np.empty((cap, 6))
    n_trades = 0
    pos = 0.0
    lot_px = 0.0
    lot_comm = 0.0
    lot_bar = 0
    pending = 0
    held = 0
    traded = 0.0
    for i in range(first, n + (1 if close_at_end else 0)):
        last = i == n
        if last:
            i = n - 1
        action = 0
        price = 0.0
        if last:
            if pos != 0.0:
                action = -1
                price = close[i]
                held -= 1
        elif pending != 0:
            action = pending
            price = opens[i]
            pending = 0
        for step in range(2):
            if action == 1 and pos == 0.0:
                px = price * (1.0 + slip)
                units = (cash - fixed) / (1.0 + commission) / px
                if whole:
                    units = math.floor(units)
                if units > 0:
                    value = units * px
                    comm = abs(value) * commission + fixed
                    cash = cash - value - comm
                    pos = pos + units
                    lot_px = px
                    lot_comm = comm / abs(units)
                    lot_bar = i
                    traded += abs(value)
            elif action == -1 and pos != 0.0:
                qty = -pos
                px = price * (1.0 - slip)
                value = qty * px
                comm = abs(value) * commission + fixed
                cash = cash - value - comm
                per_unit = comm / abs(qty)
                take = pos
                units = abs(take)
                pnl = take * (px - lot_px) - units * (lot_comm + per_unit)
                cost = units * lot_px
                t_int[n_trades, 0] = lot_bar
                t_int[n_trades, 1] = i
                t_flt[n_trades, 0] = take
                t_flt[n_trades, 1] = lot_px
                t_flt[n_trades, 2] = px
                t_flt[n_trades, 3] = pnl
                t_flt[n_trades, 4] = pnl / cost if cost != 0.0 else np.nan
                t_flt[n_trades, 5] = units * (lot_comm + per_unit)
                n_trades += 1
                pos = pos + qty
                traded += abs(value)
            if step == 1 or last:
                break
            s = sig[i]
            action = 0
            if s > 0 and pos == 0.0:
                action = 1
            elif s < 0 and pos > 0.0:
                action = -1
            if action != 0 and next_open:
                pending = action
                action = 0
            price = close[i]
        equity[i - first] = cash + pos * close[i]
        if pos != 0.0 and not last:
            held += 1
    return equity, t_int[:n_trades], t_flt[:n_trades], held, traded, pos, lot_px, lot_comm, lot_bar


def kernel_outputs(
    strategy: SignalStrategy, ind: Indicators, config: BacktestConfig, first: int = 0
) -> tuple[Any, ...]:
    """Run the compiled kernel and return its raw arrays.

    Parameters
    ----------
    strategy : SignalStrategy
        A strategy for which :func:`supports` holds.
    ind : Indicators
        Memoised indicators of the symbol's frame.
    config : BacktestConfig
        The settings.
    first : int
        Row of the first traded bar.

    Returns
    -------
    tuple
        ``equity, trade_bars (entry, exit), trade_values (size, entry, exit, pnl, return,
        commission), held_bars, traded_value, open_size, open_price, open_commission_per_unit,
        open_bar``.
    """
    sig = np.ascontiguousarray(strategy.signal(ind), dtype=np.int8)
    return tuple(_kernel()(
        sig, ind.column("open"), ind.column("close"), int(first), float(config.cash), float(config.commission),
        float(config.fixed_commission), config.slippage_bps / 10_000.0, config.fill == "next_open",
        not config.fractional, config.close_at_end,
    ))


def replay(
    strategy: SignalStrategy, frame: pd.DataFrame, config: BacktestConfig, *, first: int = 0,
    indicators: Indicators | None = None, symbol: str = "ASSET",
) -> RunOutput:
    """Replay a signal strategy on one symbol; return what the event engine would.

    Parameters
    ----------
    strategy : SignalStrategy
        A strategy for which :func:`supports` holds.
    frame : pandas.DataFrame
        The symbol's bars.
    config : BacktestConfig
        The settings.
    first : int
        Row of the first traded bar (earlier rows only warm up).
    indicators : Indicators, optional
        Memoised indicators of ``frame`` to share across parameter combinations.
    symbol : str
        The symbol, for the trade table.

    Returns
    -------
    RunOutput
        Equity, trades and open trades; ``orders`` and ``fills`` are empty (the sweep needs neither).
    """
    ind = indicators if indicators is not None else Indicators(frame)
    close = ind.column("close")
    equity, t_int, t_flt, held, traded, pos, lot_px, lot_comm, lot_bar = kernel_outputs(strategy, ind, config, first)
    index = frame.index
    stamps = nanos(index)
    trades = pd.DataFrame(
        {
            "symbol": symbol,
            "size": t_flt[:, 0],
            "entry_time": pd.to_datetime(stamps[t_int[:, 0]], unit="ns", utc=True),
            "exit_time": pd.to_datetime(stamps[t_int[:, 1]], unit="ns", utc=True),
            "entry_bar": t_int[:, 0],
            "exit_bar": t_int[:, 1],
            "entry_price": t_flt[:, 1],
            "exit_price": t_flt[:, 2],
            "pnl": t_flt[:, 3],
            "return": t_flt[:, 4],
            "commission": t_flt[:, 5],
            "tag": None,
        },
        columns=TRADE_COLUMNS,
    )
    trades["duration"] = trades["exit_time"] - trades["entry_time"]
    open_rows = []
    if pos != 0.0:
        mark = float(close[-1])
        pnl = pos * (mark - lot_px) - abs(pos) * lot_comm
        open_rows.append((symbol, pos, index[lot_bar], lot_bar, lot_px, mark, pnl, None))
    open_trades = pd.DataFrame(
        open_rows, columns=["symbol", "size", "entry_time", "entry_bar", "entry_price", "last_price", "pnl", "tag"]
    )
    n = len(equity)
    return RunOutput(
        equity=pd.Series(equity, index=index[first:], name="equity"),
        exposure=held / n if n else 0.0,
        traded_value=float(traded),
        trades=trades,
        open_trades=open_trades,
        orders=pd.DataFrame(),
        fills=pd.DataFrame(),
    )
