"""Exposures, concentration and correlation on hand-computed portfolios."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from athena.data import Bars
from athena.errors import InvalidData, InvalidInput
from athena.risk.correlation import average_correlation, correlation_matrix
from athena.risk.exposures import concentration, exposures
from athena.risk.returns import returns_of
from athena.testing import bar_frame, sample_bars


def test_exposures_when_long_and_short_sum_gross_net_and_leverage() -> None:
    exp = exposures({"A": 10, "B": Decimal("-4"), "C": 0}, {"A": 50.0, "B": Decimal("100"), "C": 1.0}, nav=500.0)
    assert exp.gross == 900.0 and exp.net == 100.0 and exp.long == 500.0 and exp.short == -400.0
    assert exp.gross_leverage == pytest.approx(1.8) and exp.net_leverage == pytest.approx(0.2)
    assert list(exp.table.index) == ["A", "B"]
    assert exp.table.loc["B", "weight"] == pytest.approx(-0.8)


def test_exposures_when_nav_not_positive_leverage_is_infinite() -> None:
    exp = exposures({"A": 1}, {"A": 10.0}, nav=-5.0)
    assert exp.gross_leverage == math.inf and exp.to_dict()["gross_leverage"] is None


def test_exposures_when_price_missing_or_nan_names_the_symbols() -> None:
    with pytest.raises(InvalidInput, match="no valid price for B, C"):
        exposures({"A": 1, "B": 2, "C": 3}, {"A": 1.0, "C": float("nan")})


def test_concentration_when_equal_weights_hhi_is_one_over_n() -> None:
    conc = concentration({"A": 100.0, "B": -100.0, "C": 100.0, "D": 100.0}, top=2)
    assert conc.hhi == pytest.approx(0.25) and conc.effective_positions == pytest.approx(4.0)
    assert len(conc.top) == 2


def test_concentration_when_uneven_matches_hand_computation() -> None:
    conc = concentration({"A": 600.0, "B": -300.0, "C": 100.0})
    assert list(conc.weights.index) == ["A", "B", "C"]
    assert conc.hhi == pytest.approx(0.6**2 + 0.3**2 + 0.1**2)


def test_concentration_when_empty_is_refused() -> None:
    with pytest.raises(InvalidInput, match="non-zero finite notional"):
        concentration({"A": 0.0})


def test_correlation_matrix_when_computed_matches_pandas() -> None:
    returns = returns_of(sample_bars(300, symbols=("X", "Y", "Z"), timeframe="1d"))
    corr = correlation_matrix(returns)
    pd.testing.assert_frame_equal(corr, returns.corr(), check_names=False, atol=1e-12)
    off = corr.to_numpy()[~np.eye(3, dtype=bool)]
    assert average_correlation(corr) == pytest.approx(off.mean())


def test_correlation_matrix_when_a_column_is_constant_is_refused() -> None:
    returns = pd.DataFrame({"A": [0.01, -0.02, 0.03], "B": [0.0, 0.0, 0.0]},
                           index=pd.date_range("2024-01-01", periods=3, tz="UTC"))
    with pytest.raises(InvalidData, match="constant returns of B"):
        correlation_matrix(returns)


def test_returns_of_when_symbols_have_different_histories_aligns_on_common_times() -> None:
    bars = Bars({"A": bar_frame([100, 110, 121, 133.1, 146.41]), "B": bar_frame([50, 40, 60], start="2024-01-03")},
                "1d")
    returns = returns_of(bars, ["B", "A"])
    assert list(returns.columns) == ["B", "A"] and len(returns) == 2
    np.testing.assert_allclose(returns.to_numpy(), [[-0.2, 0.1], [0.5, 0.1]])
