"""Indicator helpers on float64 arrays, causal (each value uses only bars up to its own).

Every function takes an array-like and returns a float64 numpy array of the same length, NaN while
the window is warming up. :class:`Indicators` memoises them for one frame, so parameter sweeps reuse
each moving average once per window.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.errors import InvalidParameter

__all__ = [
    "Indicators",
    "bollinger",
    "crossover",
    "crossunder",
    "ema",
    "highest",
    "lowest",
    "rolling_std",
    "sma",
]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def _window(name: str, n: int) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise InvalidParameter(f"{name} window must be an integer >= 1, was {n!r}")


def _series(values: ArrayLike) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=np.float64))


def sma(values: ArrayLike, n: int) -> FloatArray:
    """Return the simple moving average over ``n`` bars (pandas rolling mean).

    Parameters
    ----------
    values : array-like
        Input series.
    n : int
        Window length, >= 1.

    Returns
    -------
    numpy.ndarray
        The average, NaN for the first ``n - 1`` bars.
    """
    _window("sma", n)
    return _series(values).rolling(n).mean().to_numpy()


def ema(values: ArrayLike, n: int) -> FloatArray:
    """Return the exponential moving average with span ``n`` (alpha = 2 / (n + 1)), seeded by the first value.

    Parameters
    ----------
    values : array-like
        Input series.
    n : int
        Span, >= 1.

    Returns
    -------
    numpy.ndarray
        The average, NaN for the first ``n - 1`` bars.
    """
    _window("ema", n)
    out = _series(values).ewm(span=n, adjust=False).mean().to_numpy()
    out[: n - 1] = np.nan
    return out


def rolling_std(values: ArrayLike, n: int) -> FloatArray:
    """Return the population standard deviation (ddof=0) over ``n`` bars.

    Parameters
    ----------
    values : array-like
        Input series.
    n : int
        Window length, >= 1.

    Returns
    -------
    numpy.ndarray
        The deviation, NaN for the first ``n - 1`` bars.
    """
    _window("rolling_std", n)
    return _series(values).rolling(n).std(ddof=0).to_numpy()


def bollinger(values: ArrayLike, n: int = 20, k: float = 2.0) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return the Bollinger bands ``(lower, middle, upper)``: sma -/+ k population std.

    Parameters
    ----------
    values : array-like
        Input series.
    n : int
        Window length, >= 1.
    k : float
        Width in standard deviations.

    Returns
    -------
    tuple of numpy.ndarray
        Lower band, middle (the sma) and upper band.
    """
    middle = sma(values, n)
    width = k * rolling_std(values, n)
    return middle - width, middle, middle + width


def highest(values: ArrayLike, n: int) -> FloatArray:
    """Return the highest value over the last ``n`` bars, this bar included.

    Parameters
    ----------
    values : array-like
        Input series.
    n : int
        Window length, >= 1.

    Returns
    -------
    numpy.ndarray
        The rolling maximum, NaN for the first ``n - 1`` bars.
    """
    _window("highest", n)
    return _series(values).rolling(n).max().to_numpy()


def lowest(values: ArrayLike, n: int) -> FloatArray:
    """Return the lowest value over the last ``n`` bars, this bar included.

    Parameters
    ----------
    values : array-like
        Input series.
    n : int
        Window length, >= 1.

    Returns
    -------
    numpy.ndarray
        The rolling minimum, NaN for the first ``n - 1`` bars.
    """
    _window("lowest", n)
    return _series(values).rolling(n).min().to_numpy()


def crossover(a: ArrayLike, b: ArrayLike) -> npt.NDArray[np.bool_]:
    """Return where ``a`` crosses above ``b``: ``a[i-1] < b[i-1]`` and ``a[i] > b[i]``.

    Parameters
    ----------
    a, b : array-like
        Series of equal length (or scalars).

    Returns
    -------
    numpy.ndarray of bool
        True on the crossing bars; False on the first bar and wherever a value is NaN.
    """
    x, y = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    out = np.zeros(x.shape, dtype=bool)
    out[1:] = (x[:-1] < y[:-1]) & (x[1:] > y[1:])
    return out


def crossunder(a: ArrayLike, b: ArrayLike) -> npt.NDArray[np.bool_]:
    """Return where ``a`` crosses below ``b``: ``a[i-1] > b[i-1]`` and ``a[i] < b[i]``.

    Parameters
    ----------
    a, b : array-like
        Series of equal length (or scalars).

    Returns
    -------
    numpy.ndarray of bool
        True on the crossing bars.
    """
    return crossover(b, a)


class Indicators:
    """Memoised indicators of one bar frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame in the bar schema.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._columns = {name: frame[name].to_numpy() for name in ("open", "high", "low", "close", "volume")}
        self._memo: dict[tuple[object, ...], object] = {}

    def column(self, name: str) -> FloatArray:
        """Return a raw column (``open``, ``high``, ``low``, ``close``, ``volume``).

        Parameters
        ----------
        name : str
            The column.

        Returns
        -------
        numpy.ndarray
            The values.
        """
        return self._columns[name]

    def _memoised(self, key: tuple[object, ...], make: Callable[[], object]) -> object:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def sma(self, n: int, column: str = "close") -> FloatArray:
        """Return :func:`sma` of ``column``, computed once."""
        return self._memoised(("sma", column, n), lambda: sma(self._columns[column], n))  # type: ignore[return-value]

    def ema(self, n: int, column: str = "close") -> FloatArray:
        """Return :func:`ema` of ``column``, computed once."""
        return self._memoised(("ema", column, n), lambda: ema(self._columns[column], n))  # type: ignore[return-value]

    def rolling_std(self, n: int, column: str = "close") -> FloatArray:
        """Return :func:`rolling_std` of ``column``, computed once."""
        return self._memoised(("std", column, n), lambda: rolling_std(self._columns[column], n))  # type: ignore[return-value]

    def highest(self, n: int, column: str = "high") -> FloatArray:
        """Return :func:`highest` of ``column``, computed once."""
        return self._memoised(("highest", column, n), lambda: highest(self._columns[column], n))  # type: ignore[return-value]

    def lowest(self, n: int, column: str = "low") -> FloatArray:
        """Return :func:`lowest` of ``column``, computed once."""
        return self._memoised(("lowest", column, n), lambda: lowest(self._columns[column], n))  # type: ignore[return-value]
