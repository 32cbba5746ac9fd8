"""Performance metrics of an equity curve and its closed trades, with their definitions.

Per-bar returns ``r`` are taken on the equity curve preceded by the starting cash, so
``prod(1 + r) - 1`` is the total return. ``ppy`` is bars per year (inferred as
``(bars - 1) / years`` of the timestamps unless given; years are 365.25 days).

- total_return: ``final / cash - 1``
- cagr: ``(final / cash) ** (1 / years) - 1``
- volatility: ``std(r, ddof=1) * sqrt(ppy)``
- sharpe: ``mean(r - rf) / std(r, ddof=1) * sqrt(ppy)``, ``rf`` = annual rate / ppy
- sortino: ``mean(r - rf) / sqrt(mean(min(r - rf, 0) ** 2)) * sqrt(ppy)``
- max_drawdown: ``min(equity / cummax(equity) - 1)`` on the curve (a negative fraction)
- max_drawdown_duration: longest time from a peak to the bar that regains it (or the last bar)
- calmar: ``cagr / -max_drawdown``
- win_rate, profit_factor (gross wins / gross losses), expectancy (mean net PnL), avg_win,
  avg_loss (negative) over closed trades, net of commissions
- exposure: fraction of bars ending with an open position
- turnover: traded value (sum of ``|size * price|`` over fills) / mean equity

Undefined values (no trades, zero volatility, ...) are NaN; a profit factor without losses is inf.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.data.bars import nanos
from athena.errors import InvalidInput

__all__ = ["Metrics", "compute_metrics"]

_YEAR_NS = pd.Timedelta(days=365.25).value


@dataclass(frozen=True, slots=True)
class Metrics:
    """Performance of one backtest; see the module docstring for each definition."""

    start: pd.Timestamp
    end: pd.Timestamp
    bars: int
    initial_equity: float
    final_equity: float
    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown: float
    max_drawdown_duration: pd.Timedelta
    max_drawdown_bars: int
    trades: int
    win_rate: float
    profit_factor: float
    expectancy: float
    avg_win: float
    avg_loss: float
    exposure: float
    turnover: float
    periods_per_year: float

    def to_dict(self) -> dict[str, object]:
        """Return the metrics as JSON-friendly values (timestamps ISO, durations in seconds)."""
        out: dict[str, object] = {}
        for key in self.__dataclass_fields__:
            value = getattr(self, key)
            if isinstance(value, pd.Timestamp):
                out[key] = value.isoformat()
            elif isinstance(value, pd.Timedelta):
                out[key] = value.total_seconds()
            else:
                out[key] = value
        return out

    def to_series(self) -> pd.Series:
        """Return the metrics as a pandas Series."""
        return pd.Series(asdict(self), dtype=object)


def compute_metrics(
    equity: pd.Series,
    initial_equity: float,
    pnl: npt.ArrayLike,
    *,
    exposure: float,
    traded_value: float,
    periods_per_year: float | None = None,
    risk_free: float = 0.0,
) -> Metrics:
    """Compute :class:`Metrics` of an equity curve and closed-trade PnLs.

    Parameters
    ----------
    equity : pandas.Series
        Equity at each bar's close, indexed by UTC time.
    initial_equity : float
        Cash before the first bar.
    pnl : array-like
        Net PnL of each closed trade.
    exposure : float
        Fraction of bars ending with an open position.
    traded_value : float
        Sum of absolute fill values.
    periods_per_year : float, optional
        Bars per year; inferred from the index when omitted.
    risk_free : float
        Annual risk-free rate.

    Returns
    -------
    Metrics
        The metrics.

    Raises
    ------
    InvalidInput
        When the equity curve is empty.
    """
    values = np.asarray(equity, dtype=np.float64)
    stamps = pd.DatetimeIndex(equity.index)
    n = len(values)
    if n == 0:
        raise InvalidInput("metrics need an equity curve of at least one bar")
    span_ns = float(stamps[-1].value - stamps[0].value)
    years = span_ns / _YEAR_NS
    ppy = periods_per_year if periods_per_year is not None else ((n - 1) / years if years > 0 else math.nan)
    final = float(values[-1])
    growth = final / initial_equity
    total_return = growth - 1.0
    if years > 0:
        cagr = growth ** (1.0 / years) - 1.0 if growth > 0 else -1.0
    else:
        cagr = math.nan
    chained = np.concatenate(([initial_equity], values))
    with np.errstate(divide="ignore", invalid="ignore"):
        rets = chained[1:] / chained[:-1] - 1.0
    excess = rets - (risk_free / ppy if risk_free else 0.0)
    root = math.sqrt(ppy) if ppy == ppy else math.nan
    std = float(np.std(rets, ddof=1)) if n > 1 else math.nan
    mean = float(np.mean(excess))
    volatility = std * root
    sharpe = mean / std * root if std > 0 else math.nan
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    sortino = mean / downside * root if downside > 0 else math.nan
    max_dd, dd_bars, dd_time = _drawdown(values, stamps)
    calmar = cagr / -max_dd if max_dd < 0 else math.nan
    trade_pnl = np.asarray(pnl, dtype=np.float64)
    wins, losses = trade_pnl[trade_pnl > 0], trade_pnl[trade_pnl < 0]
    count = len(trade_pnl)
    gross_loss = -float(losses.sum())
    if count == 0:
        profit_factor = math.nan
    elif gross_loss > 0:
        profit_factor = float(wins.sum()) / gross_loss
    else:
        profit_factor = math.inf if len(wins) else math.nan
    mean_equity = float(np.mean(values))
    return Metrics(
        start=stamps[0],
        end=stamps[-1],
        bars=n,
        initial_equity=float(initial_equity),
        final_equity=final,
        total_return=total_return,
        cagr=cagr,
        volatility=volatility,
        sharpe=sharpe,
        sortino=sortino,
        calmar=calmar,
        max_drawdown=max_dd,
        max_drawdown_duration=dd_time,
        max_drawdown_bars=dd_bars,
        trades=count,
        win_rate=len(wins) / count if count else math.nan,
        profit_factor=profit_factor,
        expectancy=float(trade_pnl.mean()) if count else math.nan,
        avg_win=float(wins.mean()) if len(wins) else math.nan,
        avg_loss=float(losses.mean()) if len(losses) else math.nan,
        exposure=float(exposure),
        turnover=traded_value / mean_equity if mean_equity > 0 else math.nan,
        periods_per_year=float(ppy),
    )


def _drawdown(values: npt.NDArray[np.float64], stamps: pd.DatetimeIndex) -> tuple[float, int, pd.Timedelta]:
    peaks = np.maximum.accumulate(values)
    max_dd = float(np.min(values / peaks)) - 1.0
    under = values < peaks
    if not under.any():
        return max_dd, 0, pd.Timedelta(0)
    # A run of underwater bars starts right after its peak bar and ends at the next bar back at a
    # peak, or at the last bar (the first bar is always a peak).
    edges = np.diff(under.view(np.int8))
    begins = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) + 1
    if len(ends) < len(begins):
        ends = np.append(ends, len(values) - 1)
    ns = nanos(stamps)
    bars = ends - begins
    times = ns[ends] - ns[begins]
    k = int(np.argmax(times))
    return max_dd, int(bars[k]), pd.Timedelta(int(times[k]), unit="ns")
