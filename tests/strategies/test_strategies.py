"""Strategy base class, parameters, registry, indicators and built-in signals."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import athena.strategies as strategies
from athena.errors import InvalidOrder, InvalidParameter, UnknownStrategy
from athena.strategies import Strategy, indicators
from athena.strategies.indicators import Indicators
from athena.testing.bars import bar_frame


class Tunable(Strategy):
    window: int = 10
    level: float = 1.5
    long_only: bool = True
    label: str = "x"


def test_parameters_when_declared_are_typed_and_overridable() -> None:
    strat = Tunable(window="20", level=2, long_only="false")
    assert strat.params == {"window": 20, "level": 2.0, "long_only": False, "label": "x"}
    assert Tunable.parameters == {"window": int, "level": float, "long_only": bool, "label": str}
    assert repr(strat) == "Tunable(window=20, level=2.0, long_only=False, label='x')"
    assert Tunable.name == "tunable"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"windw": 5}, "unknown parameter 'windw' for strategy 'tunable'; did you mean 'window'"),
        ({"window": 2.5}, "window must be int for strategy 'tunable', was 2.5"),
        ({"window": "ten"}, "window must be int.*'ten'"),
        ({"long_only": "maybe"}, "long_only must be bool"),
        ({"level": "high"}, "level must be float"),
    ],
)
def test_parameters_when_wrong_raise_invalid_parameter(params: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        Tunable(**params)


def test_parameters_when_not_a_plain_type_or_reserved_fail_at_class_definition() -> None:
    with pytest.raises(TypeError, match="must be bool, int, float or str"):
        type("Bad", (Strategy,), {"__annotations__": {"size": list}, "size": []})
    with pytest.raises(TypeError, match="taken by Strategy"):
        type("Clash", (Strategy,), {"__annotations__": {"cash": float}, "cash": 1.0})


def test_validate_when_cross_parameter_rule_broken_names_values() -> None:
    with pytest.raises(InvalidParameter, match="fast must be < slow, was fast=30 slow=10"):
        strategies.SmaCross(fast=30, slow=10)
    with pytest.raises(InvalidParameter, match="k must be > 0"):
        strategies.MeanReversion(k=0)


def test_orders_when_strategy_not_running_raise_invalid_order() -> None:
    with pytest.raises(InvalidOrder, match="not running"):
        Tunable().buy(size=1)
    with pytest.raises(TypeError):
        Tunable().buy(1)  # type: ignore[misc]


def test_registry_when_looked_up_by_name_or_path_finds_class() -> None:
    assert set(strategies.available()) >= {"sma_cross", "momentum", "mean_reversion", "breakout", "buy_and_hold"}
    assert strategies.get("sma_cross") is strategies.SmaCross
    assert strategies.get("athena.strategies:Breakout") is strategies.Breakout
    assert strategies.create("momentum", {"lookback": "7"}).params == {"lookback": 7, "threshold": 0.0}


def test_registry_when_unknown_suggests_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UnknownStrategy, match="did you mean 'momentum'"):
        strategies.get("momentun")
    with pytest.raises(UnknownStrategy, match="cannot import module 'no_such_mod'"):
        strategies.get("no_such_mod:X")
    (tmp_path / "user_strats.py").write_text(textwrap.dedent("""
        from athena.strategies import Strategy

        class Trend(Strategy):
            period: int = 3
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert strategies.get("user_strats:Trend").parameters == {"period": int}
    with pytest.raises(UnknownStrategy, match="'Trnd' not found.*did you mean 'Trend'"):
        strategies.get("user_strats:Trnd")
    monkeypatch.delitem(sys.modules, "user_strats")


def test_register_when_custom_strategy_is_found_by_its_name() -> None:
    @strategies.register(name="tunable_test")
    class Registered(Tunable):
        pass

    assert strategies.get("tunable_test") is Registered
    with pytest.raises(TypeError, match="only Strategy subclasses"):
        strategies.register(int)  # type: ignore[arg-type]


def test_indicators_when_computed_match_pandas_definitions() -> None:
    values = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0])
    series = pd.Series(values)
    np.testing.assert_allclose(indicators.sma(values, 3), series.rolling(3).mean())
    np.testing.assert_allclose(indicators.rolling_std(values, 3), series.rolling(3).std(ddof=0))
    np.testing.assert_allclose(indicators.highest(values, 2), series.rolling(2).max())
    np.testing.assert_allclose(indicators.lowest(values, 2), series.rolling(2).min())
    ema = indicators.ema(values, 3)
    assert np.isnan(ema[:2]).all()
    assert ema[2] == pytest.approx(0.25 * 1 + 0.25 * 3 + 0.5 * 2)
    lower, middle, upper = indicators.bollinger(values, 3, 2.0)
    np.testing.assert_allclose(upper - middle, middle - lower)
    assert indicators.crossover([1, 2, 3], [2, 2, 2]).tolist() == [False, False, False]
    assert indicators.crossover([1, 3, 1], [2, 2, 2]).tolist() == [False, True, False]
    assert indicators.crossunder([1, 3, 1], [2, 2, 2]).tolist() == [False, False, True]
    with pytest.raises(InvalidParameter, match="sma window must be an integer >= 1, was 0"):
        indicators.sma(values, 0)


def test_builtin_signals_when_computed_follow_their_rules() -> None:
    closes = np.array([10, 10, 10, 10, 12, 14, 15, 13, 9, 8, 8, 8, 11, 12], dtype=float)
    ind = Indicators(bar_frame(closes))
    sma = strategies.SmaCross(fast=2, slow=4).signal(ind)
    fast, slow = indicators.sma(closes, 2), indicators.sma(closes, 4)
    assert (np.flatnonzero(sma == 1) == np.flatnonzero(indicators.crossover(fast, slow))).all()
    assert (np.flatnonzero(sma == -1) == np.flatnonzero(indicators.crossunder(fast, slow))).all()
    breakout = strategies.Breakout(entry=3, exit=2).signal(ind)
    assert breakout[4] == 1 and breakout[8] == -1
    momentum = strategies.Momentum(lookback=2, threshold=0.1).signal(ind)
    assert momentum[:2].tolist() == [0, 0] and momentum[4] == 1 and momentum[8] == -1
    hold = strategies.BuyAndHold().signal(ind)
    assert hold.tolist() == [1] + [0] * (len(closes) - 1)
    lower, middle, _ = indicators.bollinger(closes, 3, 1.0)
    mr = strategies.MeanReversion(window=3, k=1.0).signal(ind)
    assert ((mr == 1) == (closes < lower)).all()


def test_indicators_cache_when_reused_computes_once() -> None:
    ind = Indicators(bar_frame(np.arange(1.0, 50.0)))
    assert ind.sma(5) is ind.sma(5)
    assert ind.highest(3) is not ind.highest(4)
