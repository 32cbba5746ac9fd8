"""Walk-forward analysis: optimise in-sample, trade the next window out-of-sample, stitch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from athena.backtest.config import BacktestConfig
from athena.backtest.metrics import Metrics, compute_metrics
from athena.backtest.result import as_bars
from athena.backtest.sweep import SweepResult, _check_objective, evaluate, sweep
from athena.config import dask_address
from athena.data.bars import Bars, nanos
from athena.errors import InvalidInput
from athena.strategies.base import Strategy
from athena.strategies.indicators import Indicators
from athena.strategies.registry import get

__all__ = ["WalkForwardResult", "walk_forward", "windows"]


@dataclass(frozen=True, eq=False)
class WalkForwardResult:
    """Stitched out-of-sample performance and the choices made in each window.

    Attributes
    ----------
    strategy : str
        The strategy name.
    objective : str
        The in-sample objective.
    anchored : bool
        Whether every training window starts at the first bar.
    windows : pandas.DataFrame
        Per window: train and test bounds, chosen parameters, in-sample objective and trades,
        out-of-sample return and trades (``status`` says when no combination qualified).
    equity : pandas.Series
        Out-of-sample equity, each window starting from the previous one's final equity.
    trades : pandas.DataFrame
        Out-of-sample closed trades (positions are closed at each window's end).
    metrics : Metrics
        Metrics of the stitched out-of-sample equity and trades.
    stability : pandas.DataFrame
        Per parameter: most frequent value, its share of windows, number of changes between
        consecutive windows, min, max, mean and std of the chosen values.
    """

    strategy: str
    objective: str
    anchored: bool
    windows: pd.DataFrame
    equity: pd.Series
    trades: pd.DataFrame
    metrics: Metrics
    stability: pd.DataFrame


def _span(value: int | str, name: str) -> int | pd.Timedelta:
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be a bar count or a duration like '90D', was {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise InvalidInput(f"{name} must be >= 1 bar, was {name}={value}")
        return value
    try:
        span = pd.Timedelta(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a bar count or a duration like '90D', was {value!r}") from None
    if span <= pd.Timedelta(0):
        raise InvalidInput(f"{name} must be positive, was {value!r}")
    return span


def windows(
    timeline: pd.DatetimeIndex, train: int | str, test: int | str, *, anchored: bool = False
) -> list[tuple[int, int, int]]:
    """Return ``(train_start, test_start, test_end)`` row positions of each window (end exclusive).

    Parameters
    ----------
    timeline : pandas.DatetimeIndex
        Sorted timestamps.
    train, test : int or str
        Window lengths in bars, or durations (``"180D"``).
    anchored : bool
        Training windows all start at the first bar (and grow); otherwise they roll.

    Returns
    -------
    list of tuple
        The windows; empty when the data is shorter than one training plus one test window.
    """
    train_span, test_span = _span(train, "train"), _span(test, "test")
    n = len(timeline)
    out: list[tuple[int, int, int]] = []
    if isinstance(train_span, int) and isinstance(test_span, int):
        start = train_span
        while start < n:
            out.append((0 if anchored else start - train_span, start, min(start + test_span, n)))
            start += test_span
        return out
    first = timeline[0]
    begin = first + (train_span if isinstance(train_span, pd.Timedelta) else pd.Timedelta(0))
    start = int(timeline.searchsorted(begin)) if isinstance(train_span, pd.Timedelta) else train_span
    while start < n:
        if isinstance(test_span, pd.Timedelta):
            stop = int(timeline.searchsorted(timeline[start] + test_span))
        else:
            stop = min(start + test_span, n)
        if isinstance(train_span, pd.Timedelta):
            lo = 0 if anchored else int(timeline.searchsorted(timeline[start] - train_span))
        else:
            lo = 0 if anchored else max(start - train_span, 0)
        out.append((lo, start, stop))
        start = stop
    return out


def walk_forward(
    strategy: type[Strategy] | str,
    bars: Bars | pd.DataFrame,
    grid: Mapping[str, Sequence[object] | object],
    *,
    train: int | str,
    test: int | str,
    anchored: bool = False,
    objective: str = "sharpe",
    min_trades: int = 1,
    cash: float = 100_000.0,
    commission: float = 0.0,
    fixed_commission: float = 0.0,
    slippage_bps: float = 0.0,
    fill: Literal["close", "next_open"] = "close",
    fractional: bool = True,
    periods_per_year: float | None = None,
    mode: Literal["auto", "fast", "event"] = "auto",
    n_jobs: int = 1,
    progress: bool = True,
) -> WalkForwardResult:
    """Optimise on each training window, trade the best parameters on the next test window.

    Each test window is backtested with the training bars as indicator warm-up, starting from the
    previous window's final equity, and its positions are closed at the window's last close.

    Parameters
    ----------
    strategy : type[Strategy] or str
        A class, registered name or ``"module:Class"``.
    bars : Bars or pandas.DataFrame
        The data.
    grid : Mapping[str, sequence]
        Parameter values to search in each training window.
    train, test : int or str
        Window lengths in bars or as durations (``"365D"``).
    anchored : bool
        Grow training windows from the first bar instead of rolling them.
    objective : str
        Metric maximised in-sample (see ``athena.backtest.sweep.OBJECTIVES``).
    min_trades : int
        Minimum closed trades in-sample for a combination to qualify.
    cash, commission, fixed_commission, slippage_bps, fill, fractional, periods_per_year
        As for :func:`athena.backtest.run`.
    mode, n_jobs
        As for :func:`athena.backtest.sweep`. With ``ATHENA_DASK_ADDRESS`` set, the in-sample
        optimisation of every window runs on that Dask cluster at once (one task per window)
        and ``n_jobs`` is not used; the out-of-sample runs chain here, as they depend on each other.
    progress : bool
        Show a progress bar over windows.

    Returns
    -------
    WalkForwardResult
        Windows, stitched out-of-sample equity, trades, metrics and parameter stability.

    Raises
    ------
    InvalidInput
        For bad windows, objective or settings, or data too short for one window.
    """
    from tqdm.auto import tqdm

    _check_objective(objective)
    if n_jobs < 1 and n_jobs != -1:
        raise InvalidInput(f"n_jobs must be >= 1 or -1, was {n_jobs}")
    cls = get(strategy) if not (isinstance(strategy, type) and issubclass(strategy, Strategy)) else strategy
    data = as_bars(bars)
    timeline = pd.DatetimeIndex(np.unique(np.concatenate([nanos(f.index) for f in data.values()])), tz="UTC")
    plan = windows(timeline, train, test, anchored=anchored)
    if not plan:
        raise InvalidInput(
            f"data too short for walk-forward: {len(timeline)} bars, train={train!r} test={test!r}"
        )
    costs = dict(commission=commission, fixed_commission=fixed_commission, slippage_bps=slippage_bps,
                 fill=fill, fractional=fractional, periods_per_year=periods_per_year)
    equity = float(cash)
    rows: list[dict[str, object]] = []
    curves: list[pd.Series] = []
    trades: list[pd.DataFrame] = []
    exposure_bars = 0.0
    traded = 0.0
    names = tuple(grid)
    address = dask_address()
    train_spans = [(timeline[lo], timeline[start]) for lo, start, _ in plan]
    if address:
        from athena.backtest.cluster import cluster_map

        insamples = cluster_map(address, _insample, [(cls, data.slice(a, b), grid, cash, costs, mode, 1)
                                                      for a, b in train_spans])
    for k, (lo, start, stop) in enumerate(tqdm(plan, desc=f"walk-forward {cls.name}", disable=not progress)):
        t_lo, t_start = timeline[lo], timeline[start]
        t_stop = timeline[stop] if stop < len(timeline) else timeline[-1] + pd.Timedelta(1, "ns")
        row: dict[str, object] = {"window": k, "train_start": t_lo, "train_end": t_start,
                                  "test_start": t_start, "test_end": t_stop}
        insample = (insamples[k] if address else
                    _insample(cls, data.slice(t_lo, t_start), grid, cash, costs, mode, n_jobs))
        try:
            best = insample.best(objective, min_trades=min_trades)
        except InvalidInput:
            best = None
        window_bars = data.slice(t_lo, t_stop)
        if best is None:
            flat = pd.Series(equity, index=timeline[start:stop], name="equity")
            curves.append(flat)
            rows.append({**row, **{n: None for n in names}, f"is_{objective}": np.nan, "is_trades": 0,
                         "oos_return": 0.0, "oos_trades": 0, "status": "no combination qualified"})
            continue
        chosen = insample.table.loc[
            np.logical_and.reduce([insample.table[n] == best[n] for n in names])
        ].iloc[0] if names else insample.table.iloc[0]
        config = BacktestConfig(cash=equity, close_at_end=True, **costs)  # type: ignore[arg-type]
        fast = insample.mode == "fast"
        ind = Indicators(window_bars.frame) if fast else None
        metrics, out = evaluate(cls, window_bars, config, best, fast=fast, indicators=ind, start=t_start)
        curves.append(out.equity)
        trades.append(out.trades.assign(window=k))
        exposure_bars += out.exposure * len(out.equity)
        traded += out.traded_value
        rows.append({**row, **best, f"is_{objective}": chosen[objective], "is_trades": int(chosen["trades"]),
                     "oos_return": metrics.total_return, "oos_trades": metrics.trades, "status": "ok"})
        equity = metrics.final_equity
    curve = pd.concat(curves)
    curve.name = "equity"
    all_trades = pd.concat(trades, ignore_index=True) if trades else pd.DataFrame(columns=["pnl"])
    metrics = compute_metrics(
        curve, float(cash), all_trades["pnl"].to_numpy(dtype=float), exposure=exposure_bars / len(curve),
        traded_value=traded, periods_per_year=periods_per_year,
    )
    table = pd.DataFrame(rows)
    return WalkForwardResult(cls.name, objective, anchored, table, curve, all_trades, metrics,
                             _stability(table[table["status"] == "ok"], names))


def _insample(cls: type[Strategy], bars: Bars, grid: Mapping[str, Sequence[object] | object], cash: float,
              costs: Mapping[str, object], mode: str, n_jobs: int) -> SweepResult:
    return sweep(cls, bars, grid, cash=cash, **costs, mode=mode, n_jobs=n_jobs,  # type: ignore[arg-type]
                 progress=False, cluster=False)


def _stability(table: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for name in names:
        values = table[name]
        counts = values.value_counts()
        numeric = pd.to_numeric(values, errors="coerce")
        rows.append({
            "parameter": name,
            "mode": counts.index[0] if len(counts) else None,
            "mode_share": counts.iloc[0] / len(values) if len(values) else np.nan,
            "changes": int((values != values.shift()).iloc[1:].sum()) if len(values) else 0,
            "min": numeric.min(), "max": numeric.max(), "mean": numeric.mean(), "std": numeric.std(ddof=0),
        })
    return pd.DataFrame(rows, columns=["parameter", "mode", "mode_share", "changes", "min", "max", "mean", "std"])
