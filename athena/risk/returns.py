"""Return matrices for risk: aligned simple returns of bar closes, checked for gaps and NaN."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.data.bars import Bars
from athena.errors import InvalidData, InvalidInput

__all__ = ["check_returns", "returns_of"]


def returns_of(bars: Bars, symbols: Iterable[str] | None = None) -> pd.DataFrame:
    """Return the simple close-to-close returns of ``symbols``, aligned on their common timestamps.

    Parameters
    ----------
    bars : Bars
        Price history.
    symbols : iterable of str, optional
        The symbols wanted (default: every symbol of ``bars``), in the column order of the result.

    Returns
    -------
    pandas.DataFrame
        One float64 column per symbol, indexed by the later timestamp of each pair of closes.

    Raises
    ------
    InvalidInput
        When a symbol has no price history in ``bars`` (the message lists them all).
    InvalidData
        When fewer than two common timestamps remain.
    """
    wanted = list(bars.symbols) if symbols is None else [str(s) for s in symbols]
    missing = [s for s in wanted if s not in bars.symbols]
    if missing:
        raise InvalidInput(
            f"no price history for {', '.join(sorted(missing))}; the data holds {', '.join(bars.symbols)}"
        )
    closes = pd.concat({s: bars[s]["close"] for s in wanted}, axis=1, join="inner")
    if len(closes) < 2:
        raise InvalidData(f"need at least two common timestamps for {', '.join(wanted)}, found {len(closes)}")
    values = closes.to_numpy(dtype=np.float64)
    out = pd.DataFrame(values[1:] / values[:-1] - 1.0, index=closes.index[1:], columns=wanted)
    out.index.name = "timestamp"
    return out


def check_returns(returns: pd.DataFrame, symbols: Iterable[str]) -> npt.NDArray[np.float64]:
    """Return the float64 matrix of ``returns`` for ``symbols``, refusing gaps and non-finite values.

    Parameters
    ----------
    returns : pandas.DataFrame
        Returns per period, one column per symbol.
    symbols : iterable of str
        The columns wanted, in order.

    Returns
    -------
    numpy.ndarray
        A ``(periods, len(symbols))`` float64 array.

    Raises
    ------
    InvalidInput
        When a symbol has no column in ``returns``.
    InvalidData
        When a value is NaN or infinite, or fewer than two periods are given.
    """
    wanted = [str(s) for s in symbols]
    missing = [s for s in wanted if s not in returns.columns]
    if missing:
        raise InvalidInput(f"no price history for {', '.join(sorted(missing))}")
    matrix = np.asarray(returns[wanted].to_numpy(dtype=np.float64), dtype=np.float64)
    bad = ~np.isfinite(matrix)
    if bad.any():
        rows, cols = np.nonzero(bad)
        where = ", ".join(f"{wanted[c]} at {returns.index[r]}" for r, c in list(zip(rows, cols, strict=True))[:3])
        raise InvalidData(f"returns hold {int(bad.sum())} NaN or infinite values (first: {where})")
    if matrix.shape[0] < 2:
        raise InvalidData(f"need at least two return periods, got {matrix.shape[0]}")
    return matrix
