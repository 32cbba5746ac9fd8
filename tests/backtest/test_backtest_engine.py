"""The event engine: fills, order types, costs, sizing, positions, multi-symbol, errors."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

import athena.backtest as bt
from athena.data import Bars
from athena.errors import InvalidInput, InvalidParameter, StrategyError, UnknownStrategy
from athena.strategies import BarView, Fill, Strategy
from athena.testing.bars import bar_frame, bars_from_closes, sample_bars


class Script(Strategy):
    """Place the orders of ``plan[bar.i]`` (a list of (method, kwargs)) on each bar."""

    plan: ClassVar[dict[int, list[tuple[str, dict[str, object]]]]] = {}
    seen: ClassVar[list[object]] = []

    def on_bar(self, bar: BarView) -> None:
        for method, kwargs in self.plan.get(bar.i, []):
            getattr(self, method)(**kwargs)

    def on_fill(self, fill: Fill) -> None:
        self.seen.append(fill)


def scripted(plan: dict[int, list[tuple[str, dict[str, object]]]]) -> type[Strategy]:
    return type("Scripted", (Script,), {"plan": plan, "seen": [], "name": "scripted"})


CLOSES = [10.0, 11.0, 12.0, 13.0, 12.0, 11.0, 10.0, 11.0]
OPENS = [10.0, 10.5, 11.5, 12.5, 12.5, 11.5, 10.5, 10.5]


def test_market_order_when_fill_close_fills_at_signal_bar_close() -> None:
    bars = bars_from_closes(CLOSES, opens=OPENS)
    result = bt.run(scripted({1: [("buy", {"size": 10})], 3: [("close", {})]}), bars, cash=1_000)
    trade = result.trades.iloc[0]
    assert (trade.entry_bar, trade.entry_price, trade.exit_bar, trade.exit_price) == (1, 11.0, 3, 13.0)
    assert trade.pnl == pytest.approx(20.0)
    assert result.fill_at == "market orders fill at the close of the signal bar"
    assert result.equity.iloc[-1] == pytest.approx(1_020.0)


def test_market_order_when_fill_next_open_fills_at_next_bar_open() -> None:
    bars = bars_from_closes(CLOSES, opens=OPENS)
    result = bt.run(scripted({1: [("buy", {"size": 10})], 3: [("close", {})]}), bars, cash=1_000, fill="next_open")
    trade = result.trades.iloc[0]
    assert (trade.entry_bar, trade.entry_price, trade.exit_bar, trade.exit_price) == (2, 11.5, 4, 12.5)
    assert "open of the bar after" in result.fill_at


def test_market_order_when_placed_on_last_bar_with_next_open_stays_open() -> None:
    bars = bars_from_closes(CLOSES)
    result = bt.run(scripted({7: [("buy", {"size": 1})]}), bars, cash=1_000, fill="next_open")
    assert result.orders["status"].tolist() == ["open"]
    assert result.trades.empty


def test_limit_buy_when_low_touches_fills_at_limit_and_at_open_on_gap() -> None:
    closes = [10.0, 10.0, 10.0, 8.0]
    lows = [9.5, 9.5, 8.9, 7.5]
    opens = [10.0, 10.0, 10.0, 8.5]
    bars = bars_from_closes(closes, opens=opens, lows=lows, highs=[10.5] * 4)
    plan = {0: [("buy", {"size": 1, "limit": 9.0})], 2: [("buy", {"size": 1, "limit": 9.0})]}
    result = bt.run(scripted(plan), bars, cash=1_000)
    fills = result.fills
    assert fills["bar"].tolist() == [2, 3]
    assert fills["price"].tolist() == [9.0, 8.5]


def test_stop_sell_when_triggered_fills_at_stop_with_slippage() -> None:
    closes = [10.0, 10.0, 10.0, 9.0]
    bars = bars_from_closes(closes, opens=[10.0] * 4, lows=[9.8, 9.8, 9.8, 8.5], highs=[10.2] * 4)
    plan = {0: [("buy", {"size": 10}), ("sell", {"size": 10, "stop": 9.5})]}
    result = bt.run(scripted(plan), bars, cash=1_000, slippage_bps=10)
    buy, sell = result.fills.itertuples()
    assert buy.price == pytest.approx(10.0 * 1.001)
    assert (sell.bar, sell.price) == (3, pytest.approx(9.5 * 0.999))


def test_commission_when_fraction_and_fixed_charges_both_per_fill() -> None:
    bars = bars_from_closes(CLOSES)
    result = bt.run(scripted({0: [("buy", {"size": 10})], 2: [("close", {})]}), bars, cash=1_000,
                    commission=0.01, fixed_commission=2.0)
    assert result.fills["commission"].tolist() == pytest.approx([100 * 0.01 + 2, 120 * 0.01 + 2])
    assert result.trades["pnl"].iloc[0] == pytest.approx(20 - 3 - 3.2)
    assert result.equity.iloc[-1] == pytest.approx(1_000 + 20 - 6.2)


def test_all_in_when_whole_units_rounds_down_and_rejects_below_one_unit() -> None:
    bars = bars_from_closes([300.0, 310.0, 320.0])
    result = bt.run(scripted({0: [("buy", {})]}), bars, cash=1_000, fractional=False, commission=0.001)
    assert result.fills["size"].tolist() == [3.0]
    poor = bt.run(scripted({0: [("buy", {})]}), bars, cash=200, fractional=False)
    assert poor.orders["status"].tolist() == ["rejected"]
    assert "insufficient cash" in poor.orders["reason"].iloc[0]


def test_sell_when_short_then_cover_books_short_trade_profit() -> None:
    bars = bars_from_closes(CLOSES)
    result = bt.run(scripted({3: [("sell", {"size": 5})], 6: [("close", {})]}), bars, cash=1_000)
    trade = result.trades.iloc[0]
    assert trade["size"] == -5 and trade.pnl == pytest.approx(15.0)
    assert result.equity.iloc[-1] == pytest.approx(1_015.0)


def test_partial_closes_when_several_lots_pair_first_in_first_out() -> None:
    bars = bars_from_closes(CLOSES)
    plan = {0: [("buy", {"size": 10})], 1: [("buy", {"size": 10})], 3: [("sell", {"size": 15})]}
    result = bt.run(scripted(plan), bars, cash=1_000)
    assert result.trades[["size", "entry_price", "exit_price"]].values.tolist() == [[10, 10, 13], [5, 11, 13]]
    assert result.open_trades[["size", "entry_price"]].values.tolist() == [[5, 11]]


def test_cancel_and_views_when_used_are_read_only_snapshots() -> None:
    captured: dict[str, object] = {}

    class Viewer(Strategy):
        def on_bar(self, bar: BarView) -> None:
            if bar.i == 0:
                captured["id"] = self.buy(size=1, limit=1.0)
                captured["orders"] = self.orders
            if bar.i == 1:
                captured["cancelled"] = self.cancel(int(captured["id"]))  # type: ignore[call-overload]
                captured["after"] = self.orders
                captured["position"] = self.position

    result = bt.run(Viewer, bars_from_closes(CLOSES), cash=1_000)
    orders = captured["orders"]
    assert isinstance(orders, tuple) and orders[0].limit == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        orders[0].size = 5  # type: ignore[misc]
    assert captured["cancelled"] is True and captured["after"] == ()
    assert not captured["position"]
    assert result.orders["status"].tolist() == ["cancelled"]


def test_on_fill_when_orders_fill_receives_each_fill() -> None:
    cls = scripted({0: [("buy", {"size": 2})], 2: [("close", {})]})
    bt.run(cls, bars_from_closes(CLOSES), cash=1_000)
    assert [(f.size, f.price) for f in cls.seen] == [(2, 10.0), (-2, 12.0)]  # type: ignore[attr-defined]


def test_close_at_end_when_position_open_closes_it_at_last_close() -> None:
    result = bt.run(scripted({0: [("buy", {"size": 10})]}), bars_from_closes(CLOSES), cash=1_000,
                    close_at_end=True, commission=0.001)
    assert result.open_trades.empty
    assert result.trades["exit_price"].tolist() == [11.0]
    assert result.equity.iloc[-1] == pytest.approx(1_000 + 10 - 0.1 - 0.11)


def test_multi_symbol_when_weighted_equity_sums_positions() -> None:
    bars = sample_bars(300, symbols=("AAA", "BBB"), seed=3)
    result = bt.run("sma_cross", bars, cash=10_000, commission=0.001, params={"fast": 5, "slow": 20})
    assert set(result.trades["symbol"]) == {"AAA", "BBB"}
    fills = result.fills
    first = fills.groupby("symbol").first()
    assert (first["size"] * first["price"] <= 10_000 * 0.5 + 1e-6).all()
    closes = pd.DataFrame({s: bars[s]["close"] for s in bars})
    position = pd.DataFrame({s: fills[fills.symbol == s].set_index("time")["size"].cumsum() for s in bars})
    position = position.reindex(closes.index).ffill().fillna(0.0)
    cash = 10_000 - (fills["size"] * fills["price"] + fills["commission"]).groupby(fills["time"]).sum().cumsum()
    cash = cash.reindex(closes.index).ffill().fillna(10_000)
    expected = cash + (position * closes).sum(axis=1)
    np.testing.assert_allclose(result.equity.to_numpy(), expected.to_numpy(), rtol=1e-9)


def test_multi_symbol_when_symbol_missing_in_order_raises_strategy_error() -> None:
    bars = sample_bars(20, symbols=("AAA", "BBB"))
    with pytest.raises(StrategyError, match="symbol is required"):
        bt.run(scripted({0: [("buy", {"size": 1})]}), bars)


def test_strategy_when_on_bar_raises_becomes_strategy_error_naming_it() -> None:
    class Broken(Strategy):
        def on_bar(self, bar: BarView) -> None:
            if bar.i == 3:
                raise ZeroDivisionError("boom")

    with pytest.raises(StrategyError, match=r"'broken' failed: ZeroDivisionError in on_bar at 2024-01-04.*boom"):
        bt.run(Broken, bars_from_closes(CLOSES))


def test_strategy_when_init_raises_becomes_strategy_error() -> None:
    class BadInit(Strategy):
        def init(self) -> None:
            raise KeyError("missing")

    with pytest.raises(StrategyError, match="bad_init.*KeyError in init"):
        bt.run(BadInit, bars_from_closes(CLOSES))


@pytest.mark.parametrize(
    ("order", "message"),
    [
        ({"size": -1}, "size must be a finite number > 0"),
        ({"size": 1.5}, "whole units"),
        ({"size": 1, "limit": 1.0, "stop": 2.0}, "limit or stop, not both"),
        ({"weight": 1.5}, "weight must be in"),
        ({"size": 1, "symbol": "ASSTE"}, "did you mean 'ASSET'"),
    ],
)
def test_order_when_invalid_raises_specific_error(order: dict[str, object], message: str) -> None:
    with pytest.raises(StrategyError, match=message):
        bt.run(scripted({0: [("buy", order)]}), bars_from_closes(CLOSES), fractional=False)


@pytest.mark.parametrize("cash", [0, -5, float("nan")])
def test_run_when_cash_not_positive_raises_invalid_input(cash: float) -> None:
    with pytest.raises(InvalidInput, match="cash must be > 0"):
        bt.run("sma_cross", bars_from_closes(CLOSES), cash=cash)


def test_run_when_strategy_or_parameter_unknown_raises_with_suggestion() -> None:
    with pytest.raises(UnknownStrategy, match="did you mean 'sma_cross'"):
        bt.run("sma_crss", bars_from_closes(CLOSES))
    with pytest.raises(InvalidParameter, match="did you mean 'slow'"):
        bt.run("sma_cross", bars_from_closes(CLOSES), params={"slw": 5})
    with pytest.raises(InvalidParameter, match="fast must be < slow, was fast=30 slow=10"):
        bt.run("sma_cross", bars_from_closes(CLOSES), params={"fast": 30, "slow": 10})


def test_run_when_given_instance_leaves_it_unbound_and_reusable() -> None:
    from athena.strategies import SmaCross

    strategy = SmaCross(fast=3, slow=5)
    bars = sample_bars(200)
    first = bt.run(strategy, bars)
    second = bt.run(strategy, bars)
    assert strategy.data is None
    assert first.metrics == second.metrics
    assert first.params == {"fast": 3, "slow": 5}


def test_result_when_serialised_to_json_has_identity_and_metrics(tmp_path: object) -> None:
    import json
    from pathlib import Path

    result = bt.run("sma_cross", sample_bars(300), params={"fast": 5, "slow": 20})
    path = Path(str(tmp_path)) / "run.json"
    payload = json.loads(result.to_json(path))
    assert payload == json.loads(path.read_text())
    assert payload["strategy"] == "sma_cross" and payload["params"] == {"fast": 5, "slow": 20}
    assert len(payload["config_hash"]) == 64 and len(payload["data_fingerprint"]) == 64
    assert payload["metrics"]["trades"] == len(payload["trades"])


def test_report_when_written_is_offline_html_with_every_section(tmp_path: object) -> None:
    from pathlib import Path

    from athena.backtest.report import monthly_returns

    result = bt.run("sma_cross", sample_bars(3_000, timeframe="1h"), params={"fast": 5, "slow": 20})
    path = result.report(Path(str(tmp_path)) / "run.html")
    text = path.read_text()
    assert "cdn.bokeh.org" not in text and '<script src="http' not in text
    assert "Bokeh" in text and "Monthly returns" in text and "Trades on price" in text and "Drawdown" in text
    months = monthly_returns(result.equity, 100_000.0)
    compounded = float(np.prod(1 + months.stack().to_numpy()))
    assert compounded == pytest.approx(result.equity.iloc[-1] / 100_000.0, rel=1e-12)
    assert result.plot() is not None


def test_multi_symbol_when_orders_placed_records_current_timestamp_and_fills_next_bar() -> None:
    bars = sample_bars(30, symbols=("AAA", "BBB"), seed=9)
    plan = {5: [("buy", {"size": 1, "symbol": "BBB"})]}

    class OnA(Script):
        def on_bar(self, bar: BarView) -> None:
            if bar.symbol == "AAA":
                super().on_bar(bar)

    cls = type("OnA2", (OnA,), {"plan": plan, "seen": [], "name": "on_a"})
    result = bt.run(cls, bars, fill="next_open")
    order = result.orders.iloc[0]
    assert order["submitted"] == bars["AAA"].index[5]
    fill = result.fills.iloc[0]
    assert (fill["symbol"], fill["bar"], fill["price"]) == ("BBB", 6, bars["BBB"]["open"].iloc[6])


class _BuyOtherInOutage(Strategy):
    name = "buy_other_in_outage"

    def on_bar(self, bar: BarView) -> None:
        if bar.symbol == "AAA" and bar.time == pd.Timestamp("2024-01-03", tz="UTC"):
            self.buy(size=1, symbol="BBB")


def test_market_order_when_outage_covers_now_but_not_the_symbols_last_bar_waits_for_its_next_bar() -> None:
    aaa = bar_frame([10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
    bbb = bar_frame([100.0, 101.0, 102.0, 103.0, 110.0, 111.0], opens=[100.0, 100.0, 101.0, 102.0, 108.0, 110.0])
    bbb = bbb.drop(bbb.index[2:4])  # no BBB bar during the outage: its last bar is from before it
    bars = Bars({"AAA": aaa, "BBB": bbb}, "1d")
    result = bt.run(_BuyOtherInOutage, bars, cash=1_000,
                    outage=(pd.Timestamp("2024-01-03", tz="UTC"), pd.Timestamp("2024-01-05", tz="UTC")))
    fill = result.fills.iloc[0]
    # Placed at 01-03, inside the outage: not at BBB's old close of 101, but at its first open after it.
    assert (fill.symbol, fill.time, fill.price) == ("BBB", pd.Timestamp("2024-01-05", tz="UTC"), 108.0)
