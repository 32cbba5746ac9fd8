"""Scenario replay through the backtester: synthetic stretches and historical windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from athena import stress
from athena.data import Bars
from athena.errors import InvalidInput
from athena.strategies.base import BarView, Strategy
from athena.testing import bar_frame, sample_bars


def test_scenario_path_when_drifting_ends_exactly_on_the_shock() -> None:
    bars = sample_bars(200, symbols=("AAA", "BBB"), timeframe="1d")
    scenario = stress.combine(stress.price_shock(symbols={"AAA": -0.3}), stress.volatility_multiplier(2))
    extended, first = stress.scenario_path(bars, scenario, length=15, seed=4)
    for symbol, move in (("AAA", -0.3), ("BBB", 0.0)):
        last = float(bars[symbol]["close"].iloc[-1])
        stretch = extended[symbol].loc[first:]
        assert len(stretch) == 15
        assert float(stretch["close"].iloc[-1]) == pytest.approx(last * (1 + move))
        assert float(stretch["open"].iloc[0]) == pytest.approx(last)
    assert first == bars["AAA"].index[-1] + (bars["AAA"].index[1] - bars["AAA"].index[0])


def test_scenario_path_when_gapping_opens_the_first_bar_at_the_shocked_price() -> None:
    bars = sample_bars(50, symbols=("AAA",), timeframe="1h")
    extended, first = stress.scenario_path(bars, stress.gap_through_stops(-0.25), length=5)
    last = float(bars["AAA"]["close"].iloc[-1])
    assert float(extended["AAA"].loc[first, "open"]) == pytest.approx(0.75 * last)
    assert float(extended["AAA"]["close"].iloc[-1]) == pytest.approx(0.75 * last)


def test_scenario_path_when_length_below_one_is_refused() -> None:
    with pytest.raises(InvalidInput, match="length must be at least 1"):
        stress.scenario_path(sample_bars(20), stress.price_shock(-0.1), length=0)


def test_replay_when_synthetic_reports_the_path_and_loss_of_a_long() -> None:
    bars = sample_bars(300, symbols=("AAA",), timeframe="1d")
    result = stress.replay("buy_and_hold", stress.price_shock(-0.2), bars, length=10, cash=10_000.0)
    assert result.source == "synthetic" and len(result.path) == 10
    assert list(result.path.columns) == ["equity", "drawdown", "AAA"]
    before = float(result.result.equity.loc[: result.start].iloc[-2])
    assert result.pnl == pytest.approx(-0.2 * before, rel=1e-6)
    assert result.max_drawdown >= 0.2 - 1e-9
    assert np.all(result.path["drawdown"] >= 0)


def test_replay_when_bars_cover_the_window_trades_the_history() -> None:
    closes = np.linspace(100.0, 60.0, 120)
    bars = Bars({"SPY": bar_frame(closes, start="2019-12-01")}, "1d")
    result = stress.replay("buy_and_hold", "covid_crash_2020", bars, cash=1_000.0)
    assert result.source == "history"
    assert str(result.start.date()) == "2020-02-19" and str(result.end.date()) == "2020-03-23"
    assert result.pnl < 0 and result.path["SPY"].iloc[-1] == pytest.approx(closes[113])


def test_plots_when_built_hold_one_bar_per_scenario_and_the_replay_path() -> None:
    from bokeh.models import HBar

    bars = sample_bars(100, symbols=("AAA",), timeframe="1d")
    result = stress.replay("buy_and_hold", stress.price_shock(-0.2), bars, length=5)
    layout = stress.replay_plot(result)
    assert len(layout.children) == 2
    book = stress.Portfolio(positions={"AAA": 1}, prices={"AAA": 100.0})
    table = stress.run(["covid_crash_2020", stress.price_shock(0.1)], book, limits=stress.Limits(max_loss=0.1))
    fig = stress.impact_plot(table)
    glyph = fig.renderers[0]
    assert isinstance(glyph.glyph, HBar)
    assert glyph.data_source.data["color"] == ["firebrick", "steelblue"]


class _BuyThenStop(Strategy):
    """Buy 10 on the last calm bar with a sell stop at 93; buy 1 more on the stretch's first bar."""

    def on_bar(self, bar: BarView) -> None:
        if bar.time == CALM_END:
            self.buy(size=10)
            self.sell(size=10, stop=93.0)
        elif bar.time == CALM_END + pd.Timedelta(hours=1):
            self.buy(size=1)


CALM_END = pd.Timestamp("2024-01-01 09:00", tz="UTC")


def test_replay_when_exchange_out_fills_waiting_orders_at_the_open_after_it() -> None:
    bars = Bars({"AAA": bar_frame([100.0] * 10, timeframe="1h")}, "1h")
    # Flat history: no noise, so the stretch closes at 100 x 0.8^(k/5): 95.64, 91.47, 87.49, 83.67, 80.
    calm = stress.replay(_BuyThenStop, stress.price_shock(-0.2), bars, length=5, cash=10_000.0)
    out = stress.replay(_BuyThenStop, stress.combine(stress.price_shock(-0.2), stress.exchange_outage(150)), bars,
                        length=5, cash=10_000.0)
    closes = [100 * 0.8 ** (k / 5) for k in range(1, 6)]
    start = CALM_END + pd.Timedelta(hours=1)
    assert out.outage == (start, start + pd.Timedelta(minutes=150))
    assert out.path["outage"].tolist() == [True, True, True, False, False]
    fills = out.result.fills.set_index("size")["price"]
    # Without the outage: the buy fills at the first close, the stop at 93 on the second bar.
    calm_fills = calm.result.fills.set_index("size")["price"]
    assert calm_fills[1.0] == pytest.approx(closes[0]) and calm_fills[-10.0] == pytest.approx(93.0)
    # With it: nothing fills on the three outage bars; both wait for the fourth bar's open (the third close).
    assert fills[1.0] == pytest.approx(closes[2]) and fills[-10.0] == pytest.approx(closes[2])
    assert out.pnl == pytest.approx(10 * (closes[2] - 100) + 1 * (closes[4] - closes[2]))
    assert calm.pnl == pytest.approx(10 * (93 - 100) + 1 * (closes[4] - closes[0]))
