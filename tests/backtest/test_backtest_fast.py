"""The compiled replay gives exactly the event engine's trades and equity."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import athena.backtest as bt
from athena.backtest.config import BacktestConfig
from athena.backtest.fast import replay, supports
from athena.strategies import Breakout, BuyAndHold, MeanReversion, Momentum, SmaCross, Strategy
from athena.strategies.builtins import SignalStrategy
from athena.strategies.indicators import Indicators
from athena.testing.bars import sample_bars

BARS = sample_bars(3_000, seed=21)
STRATEGIES = [
    SmaCross(fast=5, slow=20), SmaCross(fast=12, slow=40), Momentum(lookback=24, threshold=0.01),
    MeanReversion(window=30, k=1.5), Breakout(entry=30, exit=15), BuyAndHold(),
]
SETTINGS = list(itertools.product(["close", "next_open"], [True, False], [False, True], [0.0, 7.5], [0.0, 1.0]))


def _same(event: pd.DataFrame, fast: pd.DataFrame) -> None:
    assert len(event) == len(fast)
    for column in event.columns:
        if column != "tag":
            assert (event[column].to_numpy() == fast[column].to_numpy()).all(), column


@pytest.mark.parametrize("strategy", STRATEGIES, ids=repr)
def test_replay_when_compared_with_event_engine_over_settings_is_identical(strategy: SignalStrategy) -> None:
    frame, ind = BARS.frame, Indicators(BARS.frame)
    for fill, fractional, close_at_end, slippage, fixed in SETTINGS:
        config = BacktestConfig(cash=10_000, commission=0.001, fill=fill, fractional=fractional,  # type: ignore[arg-type]
                                close_at_end=close_at_end, slippage_bps=slippage, fixed_commission=fixed)
        event = bt.execute(type(strategy)(**strategy.params), BARS, config)
        fast = replay(strategy, frame, config, indicators=ind, symbol="SYN")
        _same(event.trades, fast.trades)
        _same(event.open_trades, fast.open_trades)
        assert np.array_equal(event.equity.to_numpy(), fast.equity.to_numpy())
        assert event.metrics.exposure == fast.exposure


def test_sweep_when_fast_and_event_modes_compared_over_grid_are_identical() -> None:
    grid = {"fast": [3, 5, 8, 13], "slow": [10, 21, 34]}
    fast = bt.sweep("sma_cross", BARS, grid, commission=0.001, fractional=False, progress=False)
    event = bt.sweep("sma_cross", BARS, grid, commission=0.001, fractional=False, mode="event", progress=False)
    assert (fast.mode, event.mode) == ("fast", "event")
    assert len(fast.table) == 11
    assert fast.skipped[["fast", "slow"]].values.tolist() == [[13, 10]]
    assert "fast must be < slow, was fast=13 slow=10" in fast.skipped["reason"].iloc[0]
    pd.testing.assert_frame_equal(fast.table[["fast", "slow", "trades", "final_equity", "exposure"]],
                                  event.table[["fast", "slow", "trades", "final_equity", "exposure"]])
    numeric = ["sharpe", "sortino", "max_drawdown", "total_return", "turnover"]
    np.testing.assert_allclose(fast.table[numeric].to_numpy(float), event.table[numeric].to_numpy(float), rtol=1e-12)


def test_supports_when_strategy_customised_or_multi_symbol_is_false() -> None:
    class Custom(SmaCross):
        def on_bar(self, bar: object) -> None:
            return None

    assert supports(SmaCross, 1)
    assert not supports(SmaCross, 2)
    assert not supports(Custom, 1)
    assert not supports(Strategy, 1)


def test_replay_when_start_given_matches_engine_warm_up() -> None:
    config = BacktestConfig(cash=5_000, commission=0.002, close_at_end=True)
    start = BARS.frame.index[1_000]
    strategy = SmaCross(fast=5, slow=20)
    event = bt.execute(SmaCross(fast=5, slow=20), BARS, config, start=start)
    fast = replay(strategy, BARS.frame, config, first=1_000)
    assert event.equity.index[0] == start
    assert np.array_equal(event.equity.to_numpy(), fast.equity.to_numpy())
    assert (event.trades["entry_bar"] >= 1_000).all()
