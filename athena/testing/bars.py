"""Sample bar builders for tests, notebooks and benchmarks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.data.bars import Bars, parse_timeframe
from athena.data.synthetic import synthetic

__all__ = ["bar_frame", "bars_from_closes", "goog", "sample_bars"]


def bar_frame(
    closes: Sequence[float] | npt.NDArray[np.float64],
    *,
    opens: Sequence[float] | npt.NDArray[np.float64] | None = None,
    highs: Sequence[float] | npt.NDArray[np.float64] | None = None,
    lows: Sequence[float] | npt.NDArray[np.float64] | None = None,
    start: str = "2024-01-01",
    timeframe: str = "1d",
) -> pd.DataFrame:
    """Return a bar-schema frame from closes; opens default to the previous close.

    Parameters
    ----------
    closes : sequence of float
        Close prices.
    opens, highs, lows : sequence of float, optional
        Defaults: previous close (first bar: its close), max and min of open and close.
    start : str
        Time of the first bar (UTC).
    timeframe : str
        Bar spacing.

    Returns
    -------
    pandas.DataFrame
        The frame, indexed by UTC timestamps.
    """
    close = np.asarray(closes, dtype=np.float64)
    open_ = np.asarray(opens, dtype=np.float64) if opens is not None else np.concatenate([close[:1], close[:-1]])
    high = np.asarray(highs, dtype=np.float64) if highs is not None else np.maximum(open_, close)
    low = np.asarray(lows, dtype=np.float64) if lows is not None else np.minimum(open_, close)
    index = pd.date_range(pd.Timestamp(start, tz="UTC"), periods=len(close), freq=parse_timeframe(timeframe),
                          name="timestamp")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": np.full(len(close), 1_000.0)},
        index=index,
    )


def bars_from_closes(
    closes: Sequence[float] | npt.NDArray[np.float64],
    *,
    symbol: str = "ASSET",
    opens: Sequence[float] | npt.NDArray[np.float64] | None = None,
    highs: Sequence[float] | npt.NDArray[np.float64] | None = None,
    lows: Sequence[float] | npt.NDArray[np.float64] | None = None,
    start: str = "2024-01-01",
    timeframe: str = "1d",
) -> Bars:
    """Return one-symbol ``Bars`` built by :func:`bar_frame`.

    Parameters
    ----------
    closes : sequence of float
        Close prices.
    symbol : str
        The symbol.
    opens, highs, lows : sequence of float, optional
        As for :func:`bar_frame`.
    start : str
        Time of the first bar (UTC).
    timeframe : str
        Bar spacing.

    Returns
    -------
    Bars
        The bars.
    """
    frame = bar_frame(closes, opens=opens, highs=highs, lows=lows, start=start, timeframe=timeframe)
    return Bars({symbol: frame}, timeframe)


def sample_bars(periods: int = 2_000, *, symbols: Sequence[str] = ("SYN",), seed: int = 7,
                timeframe: str = "1h") -> Bars:
    """Return small seeded synthetic bars (see :func:`athena.data.synthetic`).

    Parameters
    ----------
    periods : int
        Bars per symbol.
    symbols : sequence of str
        Symbols.
    seed : int
        Random seed.
    timeframe : str
        Bar spacing.

    Returns
    -------
    Bars
        The bars.
    """
    return synthetic(symbols=list(symbols), periods=periods, timeframe=timeframe, seed=seed)


def goog() -> Bars:
    """Return the GOOG daily bars shipped with backtesting.py (2004-2013), symbol ``"GOOG"``.

    Returns
    -------
    Bars
        2,148 daily bars.
    """
    from backtesting.test import GOOG

    return Bars.from_frame(GOOG, symbol="GOOG", timeframe="1d")
