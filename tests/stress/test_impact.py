"""Scenario impacts on small portfolios computed by hand, limits, what-if orders and live books."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from athena import stress
from athena.backtest import run as backtest
from athena.console import Console
from athena.errors import InvalidData, InvalidInput
from athena.execution import PaperVenue
from athena.risk.var import stressed_var
from athena.stress import Limits, Portfolio, Scenario
from athena.testing import ADMIN_PASSWORD, bars_from_closes
from athena.workspace import Workspace

SHOCK = Scenario(name="hand", title="hand", symbol_shocks={"AAA": -0.20, "BBB": 0.10})


def book(**kwargs: object) -> Portfolio:
    # NAV = 5,000 cash + 10 x 100 (AAA) - 20 x 50 (BBB) = 5,000
    return Portfolio(positions={"AAA": 10, "BBB": -20}, prices={"AAA": 100.0, "BBB": 50.0}, cash=5_000.0,
                     **kwargs)  # type: ignore[arg-type]


def test_impact_when_long_falls_and_short_rises_matches_hand_computation() -> None:
    result = stress.impact(SHOCK, book(peak_nav=6_000.0))
    # AAA: 10 x (80 - 100) = -200; BBB: -20 x (55 - 50) = -100
    assert result.pnl == pytest.approx(-300.0) and result.nav_after == pytest.approx(4_700.0)
    assert result.return_pct == pytest.approx(-0.06)
    assert result.drawdown == pytest.approx(1 - 4_700 / 6_000)
    assert result.gross_before == 2_000 and result.gross_after == pytest.approx(800 + 1_100)
    assert result.net_after == pytest.approx(800 - 1_100)
    assert result.leverage_after == pytest.approx(1_900 / 4_700)
    assert result.positions.loc["AAA", "price_after"] == pytest.approx(80.0)
    assert result.unshocked == () and result.breaches == ()


def test_impact_when_stop_holds_exits_at_stop_and_when_gapped_at_shocked_price() -> None:
    held = stress.impact(SHOCK, book(stops={"AAA": 90.0}))
    assert held.positions.loc["AAA", "stopped"] and held.positions.loc["AAA", "exit_price"] == 90.0
    assert held.pnl == pytest.approx(10 * (90 - 100) - 100)
    assert held.gross_after == pytest.approx(1_100.0)
    gapped = stress.impact(stress.combine(SHOCK, stress.gap_through_stops(0.0)), book(stops={"AAA": 90.0}))
    assert gapped.positions.loc["AAA", "exit_price"] == pytest.approx(80.0)
    assert gapped.pnl == pytest.approx(-300.0)
    outage = stress.impact(stress.combine(SHOCK, stress.exchange_outage(30)), book(stops={"AAA": 90.0}))
    assert outage.pnl == pytest.approx(-300.0)


def test_impact_when_short_stop_above_is_hit_buys_back_at_stop() -> None:
    result = stress.impact(SHOCK, book(stops={"BBB": 52.0}))
    assert result.positions.loc["BBB", "pnl"] == pytest.approx(-20 * (52 - 50))


def test_impact_when_liquidity_haircut_charges_half_spread_plus_slippage() -> None:
    scenario = stress.combine(SHOCK, stress.liquidity_haircut(spread_bps=40, slippage_bps=30))
    result = stress.impact(scenario, book())
    cost = (10 * 80 + 20 * 55) * (20 + 30) / 10_000
    assert result.liquidity_cost == pytest.approx(cost)
    assert result.pnl == pytest.approx(-300.0 - cost)


def test_impact_when_symbol_not_in_scenario_lists_it_unshocked() -> None:
    result = stress.impact(stress.price_shock(symbols={"AAA": -0.5}), book())
    assert result.unshocked == ("BBB",) and result.positions.loc["BBB", "shock"] == 0.0


def test_impact_when_limits_broken_reports_each_breach_with_levels() -> None:
    limits = Limits(max_gross_leverage=0.3, max_drawdown=0.05, max_loss=0.1, max_position_notional=1_000.0)
    result = stress.impact(SHOCK, book(), limits=limits)
    codes = {(b.code, b.symbol) for b in result.breaches}
    assert codes == {("MAX_GROSS_LEVERAGE", None), ("MAX_DRAWDOWN", None), ("MAX_POSITION_NOTIONAL", "BBB")}
    drawdown = next(b for b in result.breaches if b.code == "MAX_DRAWDOWN")
    assert drawdown.limit == 0.05 and drawdown.value == pytest.approx(0.06)
    assert "MAX_DRAWDOWN: 0.06 > 0.05" in str(drawdown)


def test_impact_when_nav_wiped_out_leverage_is_infinite_and_breaches() -> None:
    wipe = Portfolio(positions={"AAA": 100}, prices={"AAA": 100.0}, cash=-9_000.0)
    result = stress.impact(SHOCK, wipe, limits=Limits(max_gross_leverage=10))
    assert result.nav_after == pytest.approx(-1_000.0) and math.isinf(result.leverage_after)
    assert [b.code for b in result.breaches] == ["MAX_GROSS_LEVERAGE"]
    assert result.to_dict()["leverage_after"] is None


def test_impact_when_margin_rate_given_reports_margin_usage() -> None:
    result = stress.impact(SHOCK, book(margin_rate=0.5), limits=Limits(max_margin_usage=0.1))
    assert result.margin_usage == pytest.approx(1_900 * 0.5 / 4_700)
    assert [b.code for b in result.breaches] == ["MAX_MARGIN_USAGE"]


def test_impact_when_returns_given_reports_stressed_var() -> None:
    rng = np.random.default_rng(0)
    returns = pd.DataFrame(rng.normal(0, 0.01, size=(500, 2)), columns=["AAA", "BBB"],
                           index=pd.date_range("2024-01-01", periods=500, freq="D", tz="UTC"))
    calm = stress.impact(stress.price_shock(0.0), book(), returns=returns)
    wild = stress.impact(stress.combine(stress.price_shock(0.0), stress.volatility_multiplier(3)), book(),
                         returns=returns, limits=Limits(max_var=0.0001))
    assert calm.var_before == pytest.approx(calm.var_after)
    assert wild.var_after is not None and calm.var_after is not None
    assert wild.var_after > 2.5 * calm.var_after
    assert [b.code for b in wild.breaches] == ["MAX_VAR"]


def test_what_if_when_order_adds_leverage_reports_new_breach() -> None:
    limits = Limits(max_gross_leverage=0.5)
    check = stress.what_if(SHOCK, book(), "AAA", 30, limits=limits)
    assert check.before.breaches == () and not check.allowed
    assert [b.code for b in check.new_breaches] == ["MAX_GROSS_LEVERAGE"]
    assert check.after.nav_before == pytest.approx(check.before.nav_before)
    assert check.after.pnl == pytest.approx(40 * -20 - 100)
    assert stress.what_if(SHOCK, book(), "AAA", -5, limits=limits).allowed


def test_run_when_several_scenarios_returns_one_row_each() -> None:
    table = stress.run(["covid_crash_2020", SHOCK], book())
    assert list(table.index) == ["covid_crash_2020", "hand"]
    assert table.loc["hand", "pnl"] == pytest.approx(-300.0)
    assert table.loc["covid_crash_2020", "impact"].unshocked == ()


def test_portfolio_when_price_is_nan_or_missing_names_the_symbols() -> None:
    with pytest.raises(InvalidData, match="no price for BBB, CCC"):
        Portfolio(positions={"AAA": 1, "BBB": 1, "CCC": 1}, prices={"AAA": 1.0, "BBB": float("nan")})
    with pytest.raises(InvalidData, match="quantity of AAA must be finite"):
        Portfolio(positions={"AAA": float("nan")}, prices={"AAA": 1.0})


def test_portfolio_when_stop_on_wrong_side_is_refused() -> None:
    with pytest.raises(InvalidInput, match="stop of AAA .110.0. must be below its price"):
        book(stops={"AAA": 110.0})


def test_limits_when_name_misspelt_suggests_the_field() -> None:
    with pytest.raises(InvalidInput, match="did you mean 'max_drawdown'"):
        Limits.from_mapping({"max_drawdwn": 0.2})
    with pytest.raises(InvalidInput, match="must be >= 0"):
        Limits(max_loss=-1)


def test_portfolio_when_from_backtest_values_final_equity() -> None:
    bars = bars_from_closes([100.0, 101, 103, 102, 105, 107], symbol="AAA")
    result = backtest("buy_and_hold", bars, cash=10_000.0)
    book_after = Portfolio.from_backtest(result)
    assert book_after.nav == pytest.approx(float(result.equity.iloc[-1]))
    assert book_after.prices["AAA"] == 107.0 and book_after.positions["AAA"] > 0
    table = stress.run(stress.price_shock(-0.5), result)
    assert table.iloc[0]["pnl"] == pytest.approx(-0.5 * 107.0 * book_after.positions["AAA"])


def test_read_positions_when_csv_or_json_sums_rows_and_reports_bad_rows(tmp_path: Path) -> None:
    csv_file = tmp_path / "book.csv"
    csv_file.write_text("symbol,quantity,price\nAAA,10,100\nAAA,-4,\nBBB,2,50\n")
    assert stress.read_positions(csv_file) == {"AAA": 6.0, "BBB": 2.0}
    assert stress.read_positions_table(csv_file)["AAA"]["price"] == 100.0
    json_file = tmp_path / "book.json"
    json_file.write_text('{"AAA": 1.5}')
    assert stress.read_positions(json_file) == {"AAA": 1.5}
    bad = tmp_path / "bad.csv"
    bad.write_text("symbol,quantity\nAAA,ten\n")
    with pytest.raises(InvalidInput, match="bad.csv: row 1 quantity must be a number, was 'ten'"):
        stress.read_positions(bad)


def test_portfolio_when_from_console_reads_live_positions_and_marks(sqlite_workspace: Workspace) -> None:
    admin: Console = sqlite_workspace.login("admin", ADMIN_PASSWORD)
    with sqlite_workspace.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", "50000", sqlite_workspace.clock.now())
    admin.submit_order("BTC/USDT", "buy", "2")
    live = Portfolio.from_console(admin)
    assert live.positions == {"BTC/USDT": 2.0} and live.prices["BTC/USDT"] == 50_000.0
    assert live.cash == pytest.approx(float(admin.portfolio().cash)) and live.nav > 0
    assert Portfolio.from_console(admin, cash=1_000.0).cash == 1_000.0
    result = stress.impact("ftx_collapse_2022", live)
    assert result.positions.loc["BTC/USDT", "shock"] == -0.24


def test_summary_when_library_applied_names_the_worst_scenario_and_breaches() -> None:
    crypto = Portfolio(positions={"LUNA/USDT": 100.0, "BTC/USDT": 0.1},
                       prices={"LUNA/USDT": 80.0, "BTC/USDT": 30_000.0})
    out = stress.summary(crypto, limits=Limits(max_drawdown=0.5))
    assert out["worst_scenario"] == "luna_collapse_2022" and len(out["pnl"]) == 8
    assert out["breached"] == {"luna_collapse_2022": ["MAX_DRAWDOWN"]}
    assert out["worst_pnl"] == pytest.approx(min(out["pnl"].values()))


def test_impact_when_outage_lengthens_the_stressed_var_horizon() -> None:
    rng = np.random.default_rng(1)
    returns = pd.DataFrame(rng.normal(0, 0.001, size=(300, 2)), columns=["AAA", "BBB"],
                           index=pd.date_range("2024-01-01", periods=300, freq="min", tz="UTC"))
    out = stress.impact(stress.combine(stress.price_shock(0.0), stress.exchange_outage(16)), book(), returns=returns)
    direct = stressed_var(returns, {"AAA": 1_000.0, "BBB": -1_000.0}, horizon=16)
    assert out.var_after == pytest.approx(direct.var)
