"""Scenario replay: run a strategy through a scenario in the backtester and report the whole path.

When the bars cover the scenario's historical window, the strategy trades that window (earlier bars
only warm it up). Otherwise a synthetic path is appended to the bars: each symbol moves by its
scenario shock over ``length`` bars, with noise drawn from its own historical volatility times the
scenario's volatility multiplier (a Brownian bridge, so the move ends exactly on the shock); with
``gap_through_stops`` the whole shock is a gap at the first bar's open.

A scenario with ``outage_minutes`` (:func:`athena.stress.exchange_outage`) takes the exchange down
from the first bar of the stressed stretch for that long: the backtester fills nothing on bars
stamped in ``[start, start + outage)``. Orders placed during it, and stops or limits those bars
would have reached, are not refused: they wait and fill from the first bar after the outage, a
market order or a gapped stop at that bar's open. The path then marks the outage bars in an
``outage`` column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from athena.data.bars import Bars, parse_timeframe
from athena.errors import InvalidInput
from athena.strategies.base import Strategy
from athena.stress.scenarios import Scenario, get

if TYPE_CHECKING:
    from athena.backtest import BacktestResult

__all__ = ["Replay", "replay", "scenario_path"]


@dataclass(frozen=True)
class Replay:
    """A strategy's path through a scenario.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    source : str
        ``history`` (the bars covered the window) or ``synthetic``.
    start, end : pandas.Timestamp
        The stressed stretch.
    path : pandas.DataFrame
        Over the stressed stretch: ``equity``, ``drawdown`` (from the running peak since the start of
        the backtest), each symbol's close and, when the scenario has an outage, ``outage`` (True on
        bars during which the exchange filled nothing).
    pnl : float
        Equity change over the stretch.
    max_drawdown : float
        Largest drawdown reached during the stretch, as a fraction.
    result : BacktestResult
        The full backtest.
    outage : tuple of pandas.Timestamp or None
        ``(start, end)`` of the exchange outage, when the scenario has one.
    """

    scenario: str
    source: str
    start: pd.Timestamp
    end: pd.Timestamp
    path: pd.DataFrame = field(repr=False)
    pnl: float
    max_drawdown: float
    result: BacktestResult = field(repr=False)
    outage: tuple[pd.Timestamp, pd.Timestamp] | None = None


def scenario_path(bars: Bars, scenario: Scenario, *, length: int = 20, seed: int = 0) -> tuple[Bars, pd.Timestamp]:
    """Return ``bars`` with a synthetic stretch of ``length`` bars built from ``scenario`` appended.

    Parameters
    ----------
    bars : Bars
        History before the stress; the stretch starts after its last bar.
    scenario : Scenario
        Supplies each symbol's shock (unshocked symbols drift back to where they started),
        volatility multiplier and gap behaviour.
    length : int
        Bars in the stretch, at least 1.
    seed : int
        Seed of the noise.

    Returns
    -------
    tuple of Bars and pandas.Timestamp
        The extended bars and the time of the stretch's first bar.

    Raises
    ------
    InvalidInput
        When ``length`` is below 1.
    """
    if length < 1:
        raise InvalidInput(f"length must be at least 1 bar, was {length}")
    rng = np.random.default_rng(seed)
    step = parse_timeframe(bars.timeframe)
    frames = {}
    first = pd.Timestamp(0)
    for symbol in bars.symbols:
        frame = bars[symbol]
        last = float(frame["close"].iloc[-1])
        logs = np.diff(np.log(frame["close"].to_numpy(dtype=np.float64)))
        sigma = float(logs.std()) * scenario.volatility_multiplier if len(logs) > 1 else 0.0
        target = math.log(max(1.0 + (scenario.shock_for(symbol) or 0.0), 1e-6))
        walk = np.cumsum(rng.standard_normal(length) * sigma)
        bridge = walk - np.arange(1, length + 1) / length * walk[-1]
        if scenario.gap_through_stops:
            levels = target + bridge
            opens = np.concatenate([[target], levels[:-1]])
        else:
            levels = np.arange(1, length + 1) / length * target + bridge
            opens = np.concatenate([[0.0], levels[:-1]])
        close, open_ = last * np.exp(levels), last * np.exp(opens)
        index = pd.date_range(frame.index[-1] + step, periods=length, freq=step, name="timestamp")
        first = index[0]
        stretch = pd.DataFrame({"open": open_, "high": np.maximum(open_, close), "low": np.minimum(open_, close),
                                "close": close, "volume": np.full(length, float(frame["volume"].iloc[-1]))},
                               index=index)
        frames[symbol] = pd.concat([frame, stretch])
    return Bars(frames, bars.timeframe), first


def replay(
    strategy: Strategy | type[Strategy] | str,
    scenario: Scenario | str,
    bars: Bars,
    *,
    length: int = 20,
    seed: int = 0,
    params: dict[str, object] | None = None,
    **backtest: Any,
) -> Replay:
    """Backtest ``strategy`` through ``scenario`` and return the path over the stressed stretch.

    Parameters
    ----------
    strategy : Strategy, type[Strategy] or str
        As for :func:`athena.backtest.run`.
    scenario : Scenario or str
        A scenario or library name.
    bars : Bars
        History: it covers the scenario's window, or it is the warm-up before a synthetic stretch.
    length : int
        Bars in a synthetic stretch.
    seed : int
        Seed of a synthetic stretch.
    params : dict, optional
        Strategy parameters.
    **backtest
        Other arguments of :func:`athena.backtest.run` (``cash``, ``commission``, ...).

    Returns
    -------
    Replay
        The path, PnL, maximum drawdown and the full backtest result.
    """
    from athena.backtest import run

    s = get(scenario) if isinstance(scenario, str) else scenario
    index = bars[bars.symbols[0]].index
    if s.start is not None and s.end is not None and index[0] < pd.Timestamp(s.start, tz="UTC") \
            and index[-1] >= pd.Timestamp(s.end, tz="UTC"):
        start = pd.Timestamp(s.start, tz="UTC")
        end = pd.Timestamp(s.end, tz="UTC") + pd.Timedelta(days=1)
        data = Bars({sym: bars[sym].loc[bars[sym].index < end] for sym in bars.symbols}, bars.timeframe)
        source = "history"
    else:
        data, start = scenario_path(bars, s, length=length, seed=seed)
        source = "synthetic"
    outage = (start, start + pd.Timedelta(minutes=s.outage_minutes)) if s.outage_minutes > 0 else None
    result = run(strategy, data, params=params, outage=outage, **backtest)
    equity = result.equity
    drawdown = 1.0 - equity / equity.cummax()
    stretch = equity.index >= start
    before = equity[~stretch]
    base = float(before.iloc[-1]) if len(before) else float(result.config.cash)
    path = pd.DataFrame({"equity": equity[stretch], "drawdown": drawdown[stretch]})
    if outage is not None:
        path["outage"] = (path.index >= outage[0]) & (path.index < outage[1])
    for sym in data.symbols:
        path[sym] = data[sym]["close"].reindex(path.index)
    return Replay(scenario=s.name, source=source, start=path.index[0], end=path.index[-1], path=path,
                  pnl=float(path["equity"].iloc[-1]) - base, max_drawdown=float(path["drawdown"].max()), result=result,
                  outage=outage)
