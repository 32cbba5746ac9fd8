"""Built-in long-only strategies, each a signal over one symbol's bars.

A :class:`SignalStrategy` computes, per symbol, an int8 signal array in :meth:`SignalStrategy.signal`:
``+1`` go long, ``-1`` go flat, ``0`` hold. On a ``+1`` bar while flat it buys all-in (with several
symbols, at most ``1 / n_symbols`` of equity each); on a ``-1`` bar while long it closes. Because
the decision is a pure function of the signal and the position, the backtester's compiled sweep path
replays it exactly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from athena.errors import InvalidParameter
from athena.strategies.base import BarView, Strategy
from athena.strategies.indicators import Indicators, crossover, crossunder

__all__ = ["BuyAndHold", "Breakout", "MeanReversion", "Momentum", "SignalStrategy", "SmaCross"]

Signal = npt.NDArray[np.int8]


class SignalStrategy(Strategy):
    """Base of the built-ins: long on ``+1``, flat on ``-1``; see the module docstring."""

    def signal(self, ind: Indicators) -> Signal:
        """Return the signal array of one symbol from its memoised indicators.

        Parameters
        ----------
        ind : Indicators
            The symbol's indicators (and raw columns).

        Returns
        -------
        numpy.ndarray of int8
            ``+1`` go long, ``-1`` go flat, ``0`` hold; one value per bar.
        """
        raise NotImplementedError

    def init(self) -> None:
        """Compute the signal of every symbol."""
        data = self.bars
        self._signals = {s: self.signal(Indicators(f)).tolist() for s, f in data.items()}
        self._weight = None if len(data) == 1 else 1.0 / len(data)
        self._only = self._signals[data.symbols[0]] if len(data) == 1 else None

    def on_bar(self, bar: BarView) -> None:
        """Trade the signal of ``bar``'s symbol."""
        sig = self._only if self._only is not None else self._signals[bar.symbol]
        s = sig[bar.i]
        if s == 0:
            return
        size = self.size_of(bar.symbol)
        if s > 0 and size == 0:
            self.buy(symbol=bar.symbol, weight=self._weight)
        elif s < 0 and size > 0:
            self.close(symbol=bar.symbol)


def _from_events(enter: npt.NDArray[np.bool_], leave: npt.NDArray[np.bool_]) -> Signal:
    out = np.zeros(len(enter), dtype=np.int8)
    out[leave] = -1
    out[enter] = 1
    return out


class SmaCross(SignalStrategy):
    """Go long when the fast SMA of the close crosses above the slow one; go flat when it crosses below.

    Crossing is strict on both bars (``fast[i-1] < slow[i-1]`` and ``fast[i] > slow[i]``), as in
    ``backtesting.lib.crossover``.
    """

    name = "sma_cross"
    fast: int = 10
    slow: int = 30

    def validate(self) -> None:
        """Require ``1 <= fast < slow``."""
        if self.fast < 1:
            raise InvalidParameter(f"fast must be >= 1, was fast={self.fast}")
        if self.fast >= self.slow:
            raise InvalidParameter(f"fast must be < slow, was fast={self.fast} slow={self.slow}")

    def signal(self, ind: Indicators) -> Signal:
        """Return +1 on golden crosses and -1 on death crosses."""
        fast, slow = ind.sma(self.fast), ind.sma(self.slow)
        return _from_events(crossover(fast, slow), crossunder(fast, slow))


class Momentum(SignalStrategy):
    """Go long while the ``lookback``-bar return exceeds ``threshold``; flat when it falls below ``-threshold``."""

    name = "momentum"
    lookback: int = 20
    threshold: float = 0.0

    def validate(self) -> None:
        """Require ``lookback >= 1`` and ``threshold >= 0``."""
        if self.lookback < 1:
            raise InvalidParameter(f"lookback must be >= 1, was lookback={self.lookback}")
        if self.threshold < 0:
            raise InvalidParameter(f"threshold must be >= 0, was threshold={self.threshold}")

    def signal(self, ind: Indicators) -> Signal:
        """Return +1 above ``threshold`` and -1 below ``-threshold``."""
        close = ind.column("close")
        ret = np.full(len(close), np.nan)
        ret[self.lookback :] = close[self.lookback :] / close[: -self.lookback] - 1.0
        with np.errstate(invalid="ignore"):
            return _from_events(ret > self.threshold, ret < -self.threshold)


class MeanReversion(SignalStrategy):
    """Buy a close below the lower Bollinger band; go flat on a close above the middle band."""

    name = "mean_reversion"
    window: int = 20
    k: float = 2.0

    def validate(self) -> None:
        """Require ``window >= 2`` and ``k > 0``."""
        if self.window < 2:
            raise InvalidParameter(f"window must be >= 2, was window={self.window}")
        if self.k <= 0:
            raise InvalidParameter(f"k must be > 0, was k={self.k}")

    def signal(self, ind: Indicators) -> Signal:
        """Return +1 below the lower band and -1 above the middle band."""
        close = ind.column("close")
        middle = ind.sma(self.window)
        width = self.k * ind.rolling_std(self.window)
        lower = middle - width
        with np.errstate(invalid="ignore"):
            return _from_events(close < lower, close > middle)


class Breakout(SignalStrategy):
    """Go long when the close exceeds the previous ``entry``-bar high; flat below the previous ``exit``-bar low."""

    name = "breakout"
    entry: int = 20
    exit: int = 10

    def validate(self) -> None:
        """Require both windows >= 1."""
        if self.entry < 1 or self.exit < 1:
            raise InvalidParameter(f"entry and exit must be >= 1, was entry={self.entry} exit={self.exit}")

    def signal(self, ind: Indicators) -> Signal:
        """Return +1 on an upside breakout and -1 on a downside one."""
        close = ind.column("close")
        top = np.roll(ind.highest(self.entry), 1)
        bottom = np.roll(ind.lowest(self.exit), 1)
        top[0] = bottom[0] = np.nan
        with np.errstate(invalid="ignore"):
            return _from_events(close > top, close < bottom)


class BuyAndHold(SignalStrategy):
    """Buy all-in on the first bar and hold to the end."""

    name = "buy_and_hold"

    def signal(self, ind: Indicators) -> Signal:
        """Return +1 on the first bar only."""
        out = np.zeros(len(ind.column("close")), dtype=np.int8)
        out[:1] = 1
        return out

