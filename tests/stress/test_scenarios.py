"""The scenario library, user YAML scenarios and their validation, shock lookup."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from athena import stress
from athena.data import Bars
from athena.stress import InvalidScenario, Scenario, UnknownScenario
from athena.testing import bar_frame

REQUIRED = ["black_monday_1987", "lehman_2008", "flash_crash_2010", "chf_unpeg_2015", "covid_crash_2020",
            "crypto_crash_may_2021", "luna_collapse_2022", "ftx_collapse_2022"]

GOOD = """
scenarios:
  - name: desk_crash
    title: Desk crash
    description: Equities down, crypto down more.
    source: Risk committee, 2026
    window: {start: 2026-01-05, end: 2026-01-09}
    shocks:
      default: -0.05
      asset_classes: {equity: -0.2, crypto: -0.4}
      symbols: {BTC: -0.5}
    volatility_multiplier: 3
    correlation: 1.0
    liquidity: {spread_bps: 40, slippage_bps: 60}
    gap_through_stops: true
    outage_minutes: 15
  - name: mild
    shocks: {default: -0.01}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenarios.yaml"
    path.write_text(text)
    return path


def test_library_when_loaded_holds_every_required_scenario_with_source_and_window() -> None:
    lib = stress.library()
    assert list(lib) == REQUIRED
    for s in lib.values():
        assert s.kind == "historical" and s.source and s.description and s.start and s.end
        assert s.symbol_shocks or s.class_shocks
    assert list(stress.scenarios().index) == REQUIRED


def test_get_when_name_unknown_suggests_nearest_names() -> None:
    with pytest.raises(UnknownScenario, match="did you mean 'covid_crash_2020'"):
        stress.get("covid_crash")
    with pytest.raises(UnknownScenario, match="'luna_collapse_2022'"):
        stress.get("luna")


def test_load_when_valid_yaml_builds_scenarios(tmp_path: Path) -> None:
    desk, mild = stress.load(write(tmp_path, GOOD))
    assert desk.name == "desk_crash" and desk.start == date(2026, 1, 5) and desk.kind == "user"
    assert desk.shock_for("BTC/USDT") == -0.5 and desk.shock_for("ETH/USDT") == -0.4
    assert desk.shock_for("AAPL") == -0.2 and desk.shock_for("EURUSD") == -0.05
    assert desk.volatility_multiplier == 3 and desk.correlation == 1.0 and not desk.stops_hold
    assert mild.title == "mild" and mild.default_shock == -0.01
    assert stress.get("mild", [desk, mild]) is mild
    assert stress.parse(desk.to_dict()) == desk


@pytest.mark.parametrize(("text", "message"), [
    ("scenarios:\n  - name: x\n    shoks: {default: -0.1}\n",
     r"scenario 'x': shoks is not a known field; did you mean 'shocks'"),
    ("scenarios:\n  - name: x\n    shocks: {asset_classes: {equities: -0.1}}\n",
     r"shocks.asset_classes.equities is not a known field; did you mean 'equity'"),
    ("scenarios:\n  - name: x\n    shocks: {symbols: {BTC: -1.5}}\n", r"shocks.symbols.BTC must be a return >= -1"),
    ("scenarios:\n  - name: x\n    shocks: {symbols: {BTC: lots}}\n",
     r"shocks.symbols.BTC must be a number, was 'lots'"),
    ("scenarios:\n  - name: x\n    window: {start: 2020-13-01, end: 2020-01-02}\n", r"window.start must be a date"),
    ("scenarios:\n  - name: x\n    window: {start: 2020-02-01, end: 2020-01-02}\n", r"window needs start <= end"),
    ("scenarios:\n  - name: x\n    volatility_multiplier: 0\n", r"volatility_multiplier must be > 0"),
    ("scenarios:\n  - name: x\n    correlation: 2\n", r"correlation must be within \[-1, 1\]"),
    ("scenarios:\n  - name: x\n    gap_through_stops: maybe\n", r"gap_through_stops must be true or false"),
    ("scenarios:\n  - name: Bad Name\n", r"lower_snake_case"),
    ("scenarios:\n  - title: nameless\n", r"every scenario needs a name"),
    ("scenarios:\n  - name: x\n  - name: x\n", r"'x' is defined twice"),
    ("scenarios: [\n", r"not valid YAML"),
    ("just text\n", r"expected a top-level `scenarios:` list"),
])
def test_load_when_yaml_malformed_names_file_scenario_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InvalidScenario, match=message) as info:
        stress.load(write(tmp_path, text))
    assert "scenarios.yaml" in str(info.value)


def test_load_when_file_missing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidScenario, match="scenario file not found"):
        stress.load(tmp_path / "nope.yaml")


def test_shock_for_when_pair_of_two_shocked_coins_divides_the_moves() -> None:
    s = Scenario(name="s", title="s", symbol_shocks={"BTC": -0.5, "ETH": -0.6, "USDT": -0.1})
    assert s.shock_for("ETH/BTC") == pytest.approx(0.4 / 0.5 - 1)
    assert s.shock_for("BTC-USD") == -0.5
    assert s.shock_for("BTC/USDT") == pytest.approx(0.5 / 0.9 - 1)
    assert s.shock_for("btcusdc") == -0.5
    assert s.shock_for("SOL/USDT") is None


@pytest.mark.parametrize(("symbol", "group"), [("BTC/USDT", "crypto"), ("ETHUSDT", "crypto"), ("EUR/CHF", "fx"),
                                               ("EURCHF", "fx"), ("AAPL", "equity"), ("LUNA", "crypto")])
def test_classify_when_symbol_known_returns_its_asset_class(symbol: str, group: str) -> None:
    assert stress.classify(symbol) == group


def test_from_history_when_bars_cover_window_measures_close_to_close() -> None:
    closes = np.linspace(100.0, 50.0, 40)
    closes[1], closes[34] = 90.0, 60.0  # 19 February and 23 March 2020
    frame = bar_frame(closes, start="2020-02-18")
    bars = Bars({"SPY": frame, "LATE": bar_frame([1.0, 2.0], start="2020-03-22")}, "1d")
    measured = stress.from_history(stress.get("covid_crash_2020"), bars)
    assert measured.shock_for("SPY") == pytest.approx(60.0 / 90.0 - 1)
    assert measured.shock_for("LATE") == stress.get("covid_crash_2020").class_shocks["equity"]


def test_from_history_when_scenario_measures_trough_takes_the_lowest_low_in_the_window() -> None:
    index = pd.date_range("2010-05-05 14:00", periods=6 * 24 * 3, freq="10min", tz="UTC")
    closes = np.where(index < pd.Timestamp("2010-05-06", tz="UTC"), 110.0, 100.0)
    lows = closes - 1.0
    lows[index == pd.Timestamp("2010-05-06 18:40", tz="UTC")] = 88.0
    lows[index == pd.Timestamp("2010-05-07 15:00", tz="UTC")] = 50.0  # after the window: ignored
    frame = bar_frame(closes, lows=lows, start="2010-05-05 14:00", timeframe="10m")
    measured = stress.from_history(stress.get("flash_crash_2010"), Bars({"SPY": frame}, "10m"))
    assert stress.get("flash_crash_2010").measure == "trough"
    assert measured.shock_for("SPY") == pytest.approx(88.0 / 110.0 - 1)


def test_parse_when_measure_unknown_names_the_allowed_ones() -> None:
    with pytest.raises(InvalidScenario, match="measure must be one of close, trough, was 'median'"):
        stress.parse({"name": "m", "window": {"start": "2020-01-01", "end": "2020-01-02"}, "measure": "median"})


@pytest.mark.parametrize(("name", "symbol", "before", "after"), [
    ("black_monday_1987", "SPX", 282.70, 224.84), ("black_monday_1987", "DJI", 2246.74, 1738.74),
    ("lehman_2008", "SPX", 1251.70, 899.22), ("lehman_2008", "DJI", 11421.99, 8451.19),
    ("covid_crash_2020", "SPX", 3386.15, 2237.40), ("chf_unpeg_2015", "USDCHF", 1.02, 0.731),
    ("chf_unpeg_2015", "EURCHF", 1.20, 0.85), ("crypto_crash_may_2021", "BTC", 56_704.57, 37_002.44),
    ("crypto_crash_may_2021", "ETH", 4_168.70, 2_430.62),
])
def test_library_when_levels_are_published_shocks_match_them(name: str, symbol: str, before: float,
                                                             after: float) -> None:
    assert stress.get(name).shock_for(symbol) == pytest.approx(after / before - 1, abs=0.005)


def test_combine_when_stacking_synthetic_stresses_merges_them() -> None:
    combined = stress.combine(stress.price_shock(-0.1, symbols={"BTC": -0.3}), stress.volatility_multiplier(2),
                              stress.volatility_multiplier(1.5), stress.correlation_to_one(),
                              stress.liquidity_haircut(20, 10), stress.exchange_outage(30),
                              stress.liquidity_haircut(10))
    assert combined.default_shock == -0.1 and combined.shock_for("BTC/USDT") == -0.3
    assert combined.volatility_multiplier == 3.0 and combined.correlation == 1.0
    assert combined.spread_bps == 30 and combined.slippage_bps == 10 and combined.outage_minutes == 30
    assert not combined.stops_hold and stress.gap_through_stops(-0.2).gap_through_stops
