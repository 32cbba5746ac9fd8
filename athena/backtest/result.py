"""Run a backtest and hold its result."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from athena.backtest.config import BacktestConfig, FillAt
from athena.backtest.engine import Engine
from athena.backtest.metrics import Metrics, compute_metrics
from athena.data.bars import Bars
from athena.data.validation import validate
from athena.errors import InvalidInput
from athena.strategies.base import Strategy
from athena.strategies.registry import get

__all__ = ["BacktestResult", "run", "as_bars", "fresh"]


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """The outcome of one backtest.

    Attributes
    ----------
    strategy : str
        The strategy name.
    params : dict
        Its parameter values.
    config : BacktestConfig
        Cash, costs, fill timing and sizing.
    fill_at : str
        The fill timing in words.
    metrics : Metrics
        Performance (see :mod:`athena.backtest.metrics` for the definitions).
    equity : pandas.Series
        Equity at each bar's close.
    trades : pandas.DataFrame
        Closed trades, first-in first-out, net of commissions.
    open_trades : pandas.DataFrame
        Lots still open after the last bar, marked at the last close.
    orders : pandas.DataFrame
        Every order with its status, fill and reason.
    fills : pandas.DataFrame
        Every execution.
    config_hash : str
        SHA-256 of the config, strategy and parameters.
    data_fingerprint : str
        SHA-256 of the bars.
    """

    strategy: str
    params: dict[str, object]
    config: BacktestConfig
    fill_at: str
    metrics: Metrics
    equity: pd.Series = field(repr=False)
    trades: pd.DataFrame = field(repr=False)
    open_trades: pd.DataFrame = field(repr=False)
    orders: pd.DataFrame = field(repr=False)
    fills: pd.DataFrame = field(repr=False)
    config_hash: str = ""
    data_fingerprint: str = ""
    bars: Bars | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly summary: identity, config, metrics and trades."""
        trades = self.trades.copy()
        for column in ("entry_time", "exit_time"):
            trades[column] = trades[column].map(lambda t: t.isoformat())
        trades["duration"] = trades["duration"].dt.total_seconds()
        return {
            "strategy": self.strategy,
            "params": self.params,
            "config": {k: getattr(self.config, k) for k in self.config.__dataclass_fields__},
            "fill_at": self.fill_at,
            "config_hash": self.config_hash,
            "data_fingerprint": self.data_fingerprint,
            "metrics": {k: _json_number(v) for k, v in self.metrics.to_dict().items()},
            "trades": [{k: _json_number(v) for k, v in row.items()} for row in trades.to_dict("records")],
        }

    def to_json(self, path: str | Path | None = None) -> str:
        """Return the summary as JSON, and write it to ``path`` when given.

        Parameters
        ----------
        path : str or pathlib.Path, optional
            File to write.

        Returns
        -------
        str
            The JSON text (non-finite numbers become ``null``).
        """
        text = json.dumps(self.to_dict(), indent=2, sort_keys=False, allow_nan=False)
        if path is not None:
            Path(path).write_text(text)
        return text

    def report(self, path: str | Path) -> Path:
        """Write a standalone offline HTML report (Bokeh, inline resources).

        Parameters
        ----------
        path : str or pathlib.Path
            The HTML file to write.

        Returns
        -------
        pathlib.Path
            The written file.
        """
        from athena.backtest.report import write_html

        written: Path = write_html(self, Path(path))
        return written

    def plot(self) -> Any:
        """Return the Bokeh layout of the report, for display in a notebook."""
        from athena.backtest.report import layout

        return layout(self)


def _json_number(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def as_bars(data: Bars | pd.DataFrame) -> Bars:
    """Return ``data`` as ``Bars``, validating a plain DataFrame.

    Parameters
    ----------
    data : Bars or pandas.DataFrame
        Bars, or a frame in (or convertible to) the bar schema.

    Returns
    -------
    Bars
        The bars.

    Raises
    ------
    InvalidInput
        When ``data`` is neither.
    """
    if isinstance(data, Bars):
        return data
    if isinstance(data, pd.DataFrame):
        return validate(data)
    raise InvalidInput(f"bars must be athena.data.Bars or a pandas DataFrame, got {type(data).__name__}")


def fresh(strategy: Strategy | type[Strategy] | str, params: dict[str, object] | None = None) -> Strategy:
    """Return a new, unbound strategy instance.

    Parameters
    ----------
    strategy : Strategy, type[Strategy] or str
        An instance (copied with its parameters), a class, a registered name or a ``"module:Class"``.
    params : dict, optional
        Parameter overrides.

    Returns
    -------
    Strategy
        A new instance.
    """
    if isinstance(strategy, Strategy):
        return type(strategy)(**{**strategy.params, **(params or {})})
    return get(strategy)(**(params or {}))


def run(
    strategy: Strategy | type[Strategy] | str,
    bars: Bars | pd.DataFrame,
    *,
    cash: float = 100_000.0,
    commission: float = 0.0,
    fixed_commission: float = 0.0,
    slippage_bps: float = 0.0,
    fill: FillAt = "close",
    fractional: bool = True,
    close_at_end: bool = False,
    params: dict[str, object] | None = None,
    periods_per_year: float | None = None,
    risk_free: float = 0.0,
    start: pd.Timestamp | str | None = None,
    outage: tuple[pd.Timestamp | str, pd.Timestamp | str] | None = None,
) -> BacktestResult:
    """Backtest a strategy on bars with the event-driven engine.

    Parameters
    ----------
    strategy : Strategy, type[Strategy] or str
        An instance (its parameters are reused; the instance itself is not modified), a class, a
        registered name (``"sma_cross"``) or ``"module:Class"``.
    bars : Bars or pandas.DataFrame
        The data; a DataFrame is validated into one symbol ``"ASSET"``.
    cash : float
        Starting cash, > 0.
    commission : float
        Fraction of traded value per fill (0.001 = 0.1% per side).
    fixed_commission : float
        Cash per fill.
    slippage_bps : float
        Adverse move on market and stop fills, in basis points.
    fill : {"close", "next_open"}
        Market orders fill at the signal bar's close or the next bar's open.
    fractional : bool
        Allow fractional units; otherwise all-in sizes round down to whole units.
    close_at_end : bool
        Close open positions at the last close.
    params : dict, optional
        Parameter overrides for the strategy.
    periods_per_year : float, optional
        Bars per year for annualised metrics; inferred when omitted.
    risk_free : float
        Annual risk-free rate for Sharpe and Sortino.
    start : pandas.Timestamp or str, optional
        First timestamp traded; earlier bars only warm up indicators.
    outage : tuple of pandas.Timestamp or str, optional
        ``(start, end)`` of an exchange outage: nothing fills on bars stamped in ``[start, end)``;
        orders wait for the first bar after it (used by :func:`athena.stress.replay`; not part of
        the config hash).

    Returns
    -------
    BacktestResult
        Metrics, equity, trades, orders and fills.

    Raises
    ------
    InvalidInput
        For bad cash, costs or data (``InvalidData``), unknown strategies (``UnknownStrategy``) or
        parameters (``InvalidParameter``).
    StrategyError
        When strategy code raises; the message names the strategy, bar and error.
    """
    config = BacktestConfig(
        cash=cash, commission=commission, fixed_commission=fixed_commission, slippage_bps=slippage_bps,
        fill=fill, fractional=fractional, close_at_end=close_at_end, periods_per_year=periods_per_year,
        risk_free=risk_free,
    )
    data = as_bars(bars)
    instance = fresh(strategy, params)
    window = None
    if outage is not None:
        window = (_utc(outage[0]), _utc(outage[1]))
        if window[1] <= window[0]:
            raise InvalidInput(f"an outage must end after it starts, was {window[0]} .. {window[1]}")
    return execute(instance, data, config, start=None if start is None else _utc(start), outage=window)


def execute(
    strategy: Strategy, bars: Bars, config: BacktestConfig, start: pd.Timestamp | None = None,
    outage: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> BacktestResult:
    """Run an unbound strategy instance with a ready config; the building block of :func:`run`.

    Parameters
    ----------
    strategy : Strategy
        A fresh instance; it is bound and consumed.
    bars : Bars
        The data.
    config : BacktestConfig
        The settings.
    start : pandas.Timestamp, optional
        First timestamp traded.
    outage : tuple of pandas.Timestamp, optional
        ``(start, end)`` of an exchange outage (no fills in between).

    Returns
    -------
    BacktestResult
        The result.
    """
    engine = Engine(strategy, bars, config, start=start, outage=outage)
    engine.run()
    out = engine.output()
    if len(out.equity) == 0:
        raise InvalidInput(f"no bars to trade from {start}")
    metrics = compute_metrics(
        out.equity, config.cash, out.trades["pnl"].to_numpy(), exposure=out.exposure,
        traded_value=out.traded_value, periods_per_year=config.periods_per_year, risk_free=config.risk_free,
    )
    params = strategy.params
    return BacktestResult(
        strategy=strategy.name, params=params, config=config, fill_at=config.fill_description, metrics=metrics,
        equity=out.equity, trades=out.trades, open_trades=out.open_trades, orders=out.orders, fills=out.fills,
        config_hash=config.digest(strategy.name, params), data_fingerprint=bars.fingerprint(), bars=bars,
    )


def _utc(value: pd.Timestamp | str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
