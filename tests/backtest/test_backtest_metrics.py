"""Metrics against independent computations on the same equity curve and trades."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import athena.backtest as bt
from athena.backtest import compute_metrics
from athena.testing.bars import goog, sample_bars


@pytest.fixture(scope="module")
def result() -> bt.BacktestResult:
    return bt.run("sma_cross", goog(), cash=10_000, commission=0.001)


def test_metrics_when_recomputed_by_hand_match(result: bt.BacktestResult) -> None:
    m, equity, pnl = result.metrics, result.equity.to_numpy(), result.trades["pnl"].to_numpy()
    values = np.concatenate([[10_000.0], equity])
    rets = np.diff(values) / values[:-1]
    years = (result.equity.index[-1] - result.equity.index[0]).days / 365.25
    ppy = (len(equity) - 1) / years
    assert m.periods_per_year == pytest.approx(ppy, rel=1e-9)
    assert m.total_return == pytest.approx(equity[-1] / 10_000 - 1, rel=1e-12)
    assert m.cagr == pytest.approx((equity[-1] / 10_000) ** (1 / years) - 1, rel=1e-9)
    assert m.volatility == pytest.approx(rets.std(ddof=1) * math.sqrt(ppy), rel=1e-9)
    assert m.sharpe == pytest.approx(rets.mean() / rets.std(ddof=1) * math.sqrt(ppy), rel=1e-9)
    downside = math.sqrt(np.mean(np.minimum(rets, 0) ** 2))
    assert m.sortino == pytest.approx(rets.mean() / downside * math.sqrt(ppy), rel=1e-9)
    peak = pd.Series(equity).cummax().to_numpy()
    assert m.max_drawdown == pytest.approx((equity / peak - 1).min(), rel=1e-12)
    assert m.calmar == pytest.approx(m.cagr / -m.max_drawdown, rel=1e-12)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    assert m.trades == len(pnl) == 32
    assert m.win_rate == pytest.approx(len(wins) / len(pnl))
    assert m.profit_factor == pytest.approx(wins.sum() / -losses.sum())
    assert m.expectancy == pytest.approx(pnl.mean())
    assert m.avg_win == pytest.approx(wins.mean())
    assert m.avg_loss == pytest.approx(losses.mean())
    held = np.zeros(len(equity), dtype=bool)
    for _, t in result.trades.iterrows():
        held[t.entry_bar : t.exit_bar] = True
    held[result.open_trades["entry_bar"].iloc[0] :] = True
    assert m.exposure == pytest.approx(held.mean())
    traded = (result.fills["size"].abs() * result.fills["price"]).sum()
    assert m.turnover == pytest.approx(traded / equity.mean())


def test_max_drawdown_duration_when_hand_walked_matches(result: bt.BacktestResult) -> None:
    equity, stamps = result.equity.to_numpy(), result.equity.index
    longest, peak_at, peak = pd.Timedelta(0), 0, equity[0]
    for i, value in enumerate(equity):
        if value >= peak:
            longest = max(longest, stamps[i] - stamps[peak_at])
            peak, peak_at = value, i
    longest = max(longest, stamps[-1] - stamps[peak_at])
    assert result.metrics.max_drawdown_duration == longest


def test_metrics_when_compared_with_vectorbt_on_the_same_curve_match(result: bt.BacktestResult) -> None:
    """vectorbt annualises with ``year_freq / freq``: give Athena the same 365 bars a year."""
    import vectorbt as vbt

    from athena.strategies import indicators

    bars = goog()
    close = bars.frame["close"]
    fast, slow = indicators.sma(close, 10), indicators.sma(close, 30)
    pf = vbt.Portfolio.from_signals(close, indicators.crossover(fast, slow), indicators.crossunder(fast, slow),
                                    init_cash=10_000, fees=0.001, size=np.inf, freq="1D")
    ours = bt.run("sma_cross", bars, cash=10_000, commission=0.001, periods_per_year=365).metrics
    assert ours.total_return == pytest.approx(pf.total_return(), rel=1e-9)
    assert ours.max_drawdown == pytest.approx(pf.max_drawdown(), rel=1e-9)
    assert ours.sharpe == pytest.approx(pf.sharpe_ratio(), rel=1e-9)
    assert ours.sortino == pytest.approx(pf.sortino_ratio(), rel=1e-9)
    assert ours.volatility == pytest.approx(pf.annualized_volatility(), rel=1e-9)
    closed = pf.trades.closed
    assert ours.win_rate == pytest.approx(closed.win_rate(), rel=1e-9)
    assert ours.profit_factor == pytest.approx(closed.profit_factor(), rel=1e-9)
    assert ours.expectancy == pytest.approx(closed.expectancy(), rel=1e-9)


def test_metrics_when_no_trades_are_nan_not_errors() -> None:
    bars = sample_bars(50)
    m = bt.run("sma_cross", bars, params={"fast": 40, "slow": 49}).metrics
    assert m.trades == 0
    assert math.isnan(m.win_rate) and math.isnan(m.profit_factor) and math.isnan(m.sharpe)
    assert m.total_return == 0.0 and m.max_drawdown == 0.0 and m.exposure == 0.0


def test_compute_metrics_when_only_wins_gives_infinite_profit_factor() -> None:
    index = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    m = compute_metrics(pd.Series([100.0, 110.0, 120.0], index=index), 100.0, [5.0, 15.0],
                        exposure=1.0, traded_value=200.0)
    assert m.profit_factor == math.inf
    assert m.max_drawdown == 0.0 and m.max_drawdown_bars == 0
    assert m.to_dict()["max_drawdown_duration"] == 0.0
