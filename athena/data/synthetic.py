"""Seeded synthetic bars: correlated geometric random walks with jumps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from athena.data.bars import Bars, parse_timeframe
from athena.errors import InvalidInput

__all__ = ["synthetic"]

_YEAR = pd.Timedelta(days=365.25)


def synthetic(
    symbols: Sequence[str] | int = ("SYN",),
    periods: int = 1_000,
    timeframe: str = "1m",
    seed: int = 0,
    start: str | pd.Timestamp = "2024-01-01",
    *,
    price: float = 100.0,
    drift: float = 0.05,
    volatility: float = 0.6,
    correlation: float = 0.5,
    jump_rate: float = 12.0,
    jump_size: float = 0.03,
) -> Bars:
    """Generate reproducible bars for several correlated symbols.

    Log prices follow a geometric Brownian motion (annual ``drift`` and ``volatility``) with
    Poisson jumps (``jump_rate`` a year on average, normal log size with standard deviation
    ``jump_size``). Every pair of symbols has diffusion correlation ``correlation``. Each bar opens
    at the previous close; high and low extend beyond the open and close by a random fraction of the
    bar's volatility. The same arguments always give the same bars.

    Parameters
    ----------
    symbols : sequence of str or int
        Symbol names, or a count (named ``SYN0``, ``SYN1``, ...).
    periods : int
        Bars per symbol.
    timeframe : str
        Bar duration, e.g. ``"1m"``, ``"1h"``, ``"1d"``; bars are contiguous (no gaps).
    seed : int
        Seed of the random generator.
    start : str or pandas.Timestamp
        Time of the first bar; naive values are read as UTC.
    price : float
        Starting price of every symbol.
    drift, volatility : float
        Annualised log drift and volatility.
    correlation : float
        Pairwise correlation of the diffusion parts, in ``(-1/(n-1), 1)``.
    jump_rate : float
        Expected jumps a year per symbol.
    jump_size : float
        Standard deviation of the log jump.

    Returns
    -------
    Bars
        The generated bars.

    Raises
    ------
    InvalidInput
        When an argument is out of range.
    """
    names = [f"SYN{k}" for k in range(symbols)] if isinstance(symbols, int) else [str(s) for s in symbols]
    n = len(names)
    if n == 0 or len(set(names)) != n:
        raise InvalidInput(f"symbols must be distinct and at least one, was {names}")
    if periods < 2:
        raise InvalidInput(f"periods must be >= 2, was {periods}")
    if price <= 0 or volatility < 0 or jump_rate < 0 or jump_size < 0:
        raise InvalidInput(
            f"price must be > 0 and volatility, jump_rate, jump_size >= 0, was price={price} "
            f"volatility={volatility} jump_rate={jump_rate} jump_size={jump_size}"
        )
    if n > 1 and not -1.0 / (n - 1) < correlation < 1.0:
        raise InvalidInput(f"correlation must be in (-1/(n-1), 1) for {n} symbols, was {correlation}")
    step = parse_timeframe(timeframe)
    dt = step / _YEAR
    rng = np.random.default_rng(seed)
    corr = np.full((n, n), correlation) + np.eye(n) * (1.0 - correlation)
    chol = np.linalg.cholesky(corr)
    shocks = rng.standard_normal((periods, n)) @ chol.T
    log_ret = (drift - 0.5 * volatility**2) * dt + volatility * np.sqrt(dt) * shocks
    jumps = rng.poisson(jump_rate * dt, (periods, n))
    log_ret += jumps * rng.normal(0.0, jump_size, (periods, n))
    log_ret[0] = 0.0
    close = price * np.exp(np.cumsum(log_ret, axis=0))
    opens = np.vstack([close[:1], close[:-1]])
    bar_vol = volatility * np.sqrt(dt)
    wick_up = np.abs(rng.standard_normal((periods, n))) * bar_vol * 0.5
    wick_down = np.abs(rng.standard_normal((periods, n))) * bar_vol * 0.5
    high = np.maximum(opens, close) * np.exp(wick_up)
    low = np.minimum(opens, close) * np.exp(-wick_down)
    volume = np.round(rng.lognormal(10.0, 0.5, (periods, n)))
    first = pd.Timestamp(start)
    first = first.tz_localize("UTC") if first.tzinfo is None else first.tz_convert("UTC")
    index = pd.date_range(first, periods=periods, freq=step, name="timestamp")
    frames = {
        name: pd.DataFrame(
            {
                "open": opens[:, k],
                "high": high[:, k],
                "low": low[:, k],
                "close": close[:, k],
                "volume": volume[:, k],
            },
            index=index,
        )
        for k, name in enumerate(names)
    }
    return Bars(frames, timeframe)
