"""Athena against backtesting.py 0.6.6, vectorbt 1.0.0 and backtrader on the same data and semantics.

Shared semantics: long-only SMA 10/30 cross on the close (enter when fast crosses above slow, exit when
it crosses below, both strict as in ``backtesting.lib.crossover``), market orders filled at the
signal bar's close, 0.1% commission on each fill, all-in sizing ``units = cash / 1.001 / close``,
fractional or rounded down to whole units. The position still open at the end is not closed; final
equity marks it at the last close without exit commission.

Definitional differences handled in the peer set-up (not in Athena):
- backtesting.py trades whole units only, fills a ``trade_on_close`` order at the signal bar's close
  but records the commission in the next bar's equity; so it is compared on trades and final equity,
  not on the curve. Its all-in size is ``int(cash * (1 - eps) // (price * 1.001))``.
- vectorbt is given Athena's entry/exit signals (its own ``ma_crossed_above`` treats equal values
  differently); ``size=inf`` buys ``(cash / 1.001) / price`` units.
- backtrader fills at the close with ``set_coc(True)`` but books the fill on the next bar, so trades
  are matched by bar number (its 1-based ``baropen`` is our ``entry_bar + 2``); it refuses an order
  whose cost exceeds cash by one ulp, so the fractional size is nudged down by a few ulps (a
  relative change below 1e-15).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import athena.backtest as bt
from athena.data import Bars, synthetic
from athena.strategies import indicators
from athena.testing.bars import goog

REL = 1e-9
CASH = 10_000.0
COMMISSION = 0.001


def _cases() -> dict[str, Bars]:
    daily = synthetic(["SYN"], 1_500, timeframe="1d", seed=11, volatility=0.4)
    return {"goog": goog(), "synthetic": daily}


CASES = _cases()


def _signals(bars: Bars) -> tuple[np.ndarray, np.ndarray]:
    close = bars.frame["close"].to_numpy()
    fast, slow = indicators.sma(close, 10), indicators.sma(close, 30)
    return indicators.crossover(fast, slow), indicators.crossunder(fast, slow)


def _athena(bars: Bars, fractional: bool) -> bt.BacktestResult:
    return bt.run("sma_cross", bars, cash=CASH, commission=COMMISSION, fractional=fractional,
                  params={"fast": 10, "slow": 30})


def _assert_trades(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert len(ours) == len(theirs) > 5
    assert (ours["entry_time"].to_numpy() == theirs["entry_time"].to_numpy()).all()
    assert (ours["exit_time"].to_numpy() == theirs["exit_time"].to_numpy()).all()
    for column in ("size", "entry_price", "exit_price", "pnl"):
        np.testing.assert_allclose(ours[column].to_numpy(), theirs[column].to_numpy(), rtol=REL, atol=1e-9)


def _utc(values: object) -> np.ndarray:
    return pd.DatetimeIndex(pd.to_datetime(values)).tz_localize(None).tz_localize("UTC").to_numpy()


@pytest.mark.filterwarnings("ignore:Some trades remain open:UserWarning")
@pytest.mark.parametrize("case", list(CASES))
def test_backtest_when_compared_with_backtesting_py_same_trades_and_final_equity(case: str) -> None:
    from backtesting import Backtest
    from backtesting import Strategy as PeerStrategy
    from backtesting.lib import crossover

    bars = CASES[case]
    peer_data = bars.frame.rename(columns=str.capitalize)
    peer_data.index = peer_data.index.tz_localize(None)

    def sma(values: np.ndarray, n: int) -> pd.Series:
        return pd.Series(values).rolling(n).mean()

    class SmaCross(PeerStrategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, 10)
            self.slow = self.I(sma, self.data.Close, 30)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                if not self.position:
                    self.buy()
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    stats = Backtest(peer_data, SmaCross, cash=CASH, commission=COMMISSION, trade_on_close=True).run()
    peer = stats._trades
    theirs = pd.DataFrame({
        "entry_time": _utc(peer["EntryTime"]), "exit_time": _utc(peer["ExitTime"]),
        "size": peer["Size"].astype(float), "entry_price": peer["EntryPrice"], "exit_price": peer["ExitPrice"],
        "pnl": peer["PnL"],
    })
    ours = _athena(bars, fractional=False)
    _assert_trades(ours.trades, theirs)
    assert ours.metrics.final_equity == pytest.approx(stats["Equity Final [$]"], rel=REL)


@pytest.mark.parametrize("fractional", [True, False], ids=["fractional", "whole"])
@pytest.mark.parametrize("case", list(CASES))
def test_backtest_when_compared_with_vectorbt_same_trades_equity_and_curve(case: str, fractional: bool) -> None:
    import vectorbt as vbt

    bars = CASES[case]
    entries, exits = _signals(bars)
    close = bars.frame["close"]
    pf = vbt.Portfolio.from_signals(close, entries, exits, init_cash=CASH, fees=COMMISSION, size=np.inf,
                                    size_granularity=None if fractional else 1.0, freq="1D")
    records = pf.trades.records_readable
    closed = records[records["Status"] == "Closed"]
    theirs = pd.DataFrame({
        "entry_time": _utc(closed["Entry Timestamp"]), "exit_time": _utc(closed["Exit Timestamp"]),
        "size": closed["Size"], "entry_price": closed["Avg Entry Price"], "exit_price": closed["Avg Exit Price"],
        "pnl": closed["PnL"],
    })
    ours = _athena(bars, fractional)
    _assert_trades(ours.trades, theirs)
    assert ours.metrics.final_equity == pytest.approx(pf.final_value(), rel=REL)
    np.testing.assert_allclose(ours.equity.to_numpy(), pf.value().to_numpy(), rtol=REL)


@pytest.mark.parametrize("fractional", [True, False], ids=["fractional", "whole"])
@pytest.mark.parametrize("case", list(CASES))
def test_backtest_when_compared_with_backtrader_same_trades_and_final_equity(case: str, fractional: bool) -> None:
    import backtrader

    bars = CASES[case]
    entries, exits = _signals(bars)
    closed: list[tuple[float, int, int, float]] = []

    class SmaCross(backtrader.Strategy):  # type: ignore[misc]
        def next(self) -> None:
            i = len(self) - 1
            if entries[i] and not self.position:
                cash, price = self.broker.get_cash(), self.data.close[0]
                size = cash / (1 + COMMISSION) / price
                if not fractional:
                    size = math.floor(size)
                while (cash - size * price) - abs(size) * COMMISSION * price < 0:
                    size = float(np.nextafter(size, 0.0))
                self.buy(size=size)
            elif exits[i] and self.position:
                self.close()

        def notify_trade(self, trade: backtrader.Trade) -> None:
            if trade.isclosed:
                closed.append((trade.price, trade.baropen, trade.barclose, trade.pnlcomm))

    cerebro = backtrader.Cerebro(stdstats=False)
    frame = bars.frame.copy()
    frame.index = frame.index.tz_localize(None)
    cerebro.adddata(backtrader.feeds.PandasData(dataname=frame))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(CASH)
    cerebro.broker.set_coc(True)
    cerebro.broker.setcommission(commission=COMMISSION)
    cerebro.run()
    ours = _athena(bars, fractional)
    assert len(closed) == len(ours.trades) > 5
    # backtrader books a cheat-on-close fill on the next bar, and counts bars from 1: hence + 2.
    assert [c[1] for c in closed] == (ours.trades["entry_bar"] + 2).tolist()
    assert [c[2] for c in closed] == (ours.trades["exit_bar"] + 2).tolist()
    np.testing.assert_allclose([c[0] for c in closed], ours.trades["entry_price"].to_numpy(), rtol=REL)
    np.testing.assert_allclose([c[3] for c in closed], ours.trades["pnl"].to_numpy(), rtol=REL, atol=1e-8)
    assert ours.metrics.final_equity == pytest.approx(cerebro.broker.getvalue(), rel=REL)
