"""VaR and CVaR checked against independent computations: scipy, closed forms, numpy quantiles."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from athena.errors import InvalidData, InvalidInput, InvalidParameter
from athena.risk.var import METHODS, stressed_var, value_at_risk, var, var_with_order
from athena.testing import bars_from_closes, sample_bars

EXPOSURES = {"A": 1_000_000.0, "B": -300_000.0, "C": 250_000.0}
MEAN = np.array([0.0008, 0.0002, -0.0001])
COV = np.array([[1.0e-4, 4.0e-5, 1.0e-5], [4.0e-5, 4.0e-4, -2.0e-5], [1.0e-5, -2.0e-5, 2.25e-4]])


def normal_returns(n: int = 4_000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2010-01-01", periods=n, freq="D", tz="UTC")
    return pd.DataFrame(rng.multivariate_normal(MEAN, COV, size=n), index=index, columns=list(EXPOSURES))


def moments(returns: pd.DataFrame) -> tuple[float, float]:
    e = np.array(list(EXPOSURES.values()))
    pnl = returns.to_numpy() @ e
    return float(pnl.mean()), float(pnl.std(ddof=1))


@pytest.mark.parametrize(("confidence", "horizon"), [(0.95, 1), (0.99, 10), (0.975, 5)])
def test_parametric_when_normal_matches_closed_form_and_scipy(confidence: float, horizon: int) -> None:
    returns = normal_returns()
    mu, sigma = moments(returns)
    result = value_at_risk(returns, EXPOSURES, method="parametric", confidence=confidence, horizon=horizon)
    z = stats.norm.ppf(confidence)
    assert result.var == pytest.approx(-mu * horizon + z * sigma * math.sqrt(horizon), rel=1e-10)
    assert result.cvar == pytest.approx(
        -mu * horizon + sigma * math.sqrt(horizon) * stats.norm.pdf(z) / (1 - confidence), rel=1e-10)
    dist = stats.norm(loc=mu * horizon, scale=sigma * math.sqrt(horizon))
    assert result.var == pytest.approx(-dist.ppf(1 - confidence), rel=1e-9)
    tail_mean = dist.expect(lambda x: x, ub=dist.ppf(1 - confidence), conditional=True)
    assert result.cvar == pytest.approx(-tail_mean, rel=1e-6)


def test_parametric_components_when_computed_match_euler_and_sum_to_var() -> None:
    returns = normal_returns()
    result = value_at_risk(returns, EXPOSURES, method="parametric", confidence=0.99)
    e = np.array(list(EXPOSURES.values()))
    cov = np.cov(returns.to_numpy(), rowvar=False)
    sigma = math.sqrt(e @ cov @ e)
    expected = e * (cov @ e) / sigma * stats.norm.ppf(0.99) - e * returns.to_numpy().mean(axis=0)
    np.testing.assert_allclose(result.components.to_numpy(), expected, rtol=1e-10)
    assert list(result.components.index) == list(EXPOSURES)


@pytest.mark.parametrize("method", METHODS)
def test_components_when_any_method_sum_to_var_and_cvar(method: str) -> None:
    result = value_at_risk(normal_returns(1_000), EXPOSURES, method=method, confidence=0.99, horizon=3,
                           simulations=2_000)
    assert result.components.sum() == pytest.approx(result.var, rel=1e-9)
    assert result.cvar_components.sum() == pytest.approx(result.cvar, rel=1e-9)
    assert result.cvar >= result.var > 0


def test_historical_when_one_period_matches_numpy_linear_quantile() -> None:
    returns = normal_returns(997)
    pnl = returns.to_numpy() @ np.array(list(EXPOSURES.values()))
    result = value_at_risk(returns, EXPOSURES, method="historical", confidence=0.99)
    q = np.quantile(pnl, 0.01, method="linear")
    assert result.var == pytest.approx(-q, rel=1e-12)
    assert result.cvar == pytest.approx(-pnl[pnl <= q].mean(), rel=1e-12)
    assert result.observations == 997


def test_historical_when_horizon_uses_overlapping_sums() -> None:
    returns = normal_returns(500)
    pnl = returns.to_numpy() @ np.array(list(EXPOSURES.values()))
    h = 5
    windows = np.array([pnl[i:i + h].sum() for i in range(len(pnl) - h + 1)])
    result = value_at_risk(returns, EXPOSURES, method="historical", confidence=0.95, horizon="5d")
    assert result.horizon == 5
    assert result.var == pytest.approx(-np.quantile(windows, 0.05), rel=1e-10)
    assert result.cvar == pytest.approx(-windows[windows <= np.quantile(windows, 0.05)].mean(), rel=1e-10)


def test_cornish_fisher_when_skew_and_kurtosis_are_zero_equals_parametric() -> None:
    # 0 with weight 2/3 and +-1 with weight 1/6 each: skewness 0 and kurtosis exactly 3.
    values = np.array([0.0] * 4_000 + [0.01] * 1_000 + [-0.01] * 1_000)
    frame = pd.DataFrame({"A": values}, index=pd.date_range("2000-01-01", periods=len(values), freq="D", tz="UTC"))
    assert stats.skew(values) == pytest.approx(0.0, abs=1e-12)
    assert stats.kurtosis(values) == pytest.approx(0.0, abs=1e-12)
    cf = value_at_risk(frame, {"A": 1e6}, method="cornish_fisher", confidence=0.99, horizon=4)
    normal = value_at_risk(frame, {"A": 1e6}, method="parametric", confidence=0.99, horizon=4)
    assert cf.var == pytest.approx(normal.var, rel=1e-9)
    assert cf.cvar == pytest.approx(normal.cvar, rel=1e-9)


def test_cornish_fisher_when_skewed_matches_expansion_and_tail_integral() -> None:
    rng = np.random.default_rng(5)
    values = rng.gamma(4.0, 0.004, size=5_000) - 0.016  # right-skewed
    frame = pd.DataFrame({"A": -values}, index=pd.date_range("2000-01-01", periods=len(values), freq="D", tz="UTC"))
    pnl = -values * 1e6
    c = 0.99
    s, k = stats.skew(pnl), stats.kurtosis(pnl)
    mu, sigma = pnl.mean(), pnl.std(ddof=1)

    def quantile(z: float) -> float:
        return z + (z * z - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s * s / 36

    result = value_at_risk(frame, {"A": 1e6}, method="cornish_fisher", confidence=c)
    assert result.var == pytest.approx(-(mu + sigma * quantile(stats.norm.ppf(1 - c))), rel=1e-9)
    tail, _ = integrate.quad(lambda u: quantile(stats.norm.ppf(u)), 0, 1 - c, limit=200)
    assert result.cvar == pytest.approx(-(mu + sigma * tail / (1 - c)), rel=1e-6)
    assert result.var > value_at_risk(frame, {"A": 1e6}, method="parametric", confidence=c).var


def test_montecarlo_when_normal_converges_to_parametric_within_standard_error() -> None:
    returns = normal_returns()
    mc = value_at_risk(returns, EXPOSURES, method="montecarlo", confidence=0.99, horizon=10, simulations=40_000,
                       seed=11)
    normal = value_at_risk(returns, EXPOSURES, method="parametric", confidence=0.99, horizon=10)
    assert mc.standard_error is not None and 0 < mc.standard_error < 0.05 * normal.var
    assert abs(mc.var - normal.var) < 4 * mc.standard_error
    assert mc.cvar == pytest.approx(normal.cvar, rel=0.05)
    np.testing.assert_allclose(mc.components.to_numpy(), normal.components.to_numpy(), rtol=0.15, atol=0.02 * mc.var)


def test_montecarlo_when_same_seed_is_reproducible_and_other_seed_differs() -> None:
    returns = normal_returns(500)
    first = value_at_risk(returns, EXPOSURES, method="montecarlo", simulations=1_000, seed=1)
    again = value_at_risk(returns, EXPOSURES, method="montecarlo", simulations=1_000, seed=1)
    other = value_at_risk(returns, EXPOSURES, method="montecarlo", simulations=1_000, seed=2)
    assert first.var == again.var and first.var != other.var


def test_montecarlo_when_covariance_is_singular_still_simulates() -> None:
    returns = normal_returns(300)
    returns["D"] = returns["A"]
    result = value_at_risk(returns, {**EXPOSURES, "D": 100_000.0}, method="montecarlo", simulations=2_000)
    assert math.isfinite(result.var) and result.var > 0


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.1])
def test_value_at_risk_when_confidence_outside_unit_interval_is_refused(confidence: float) -> None:
    with pytest.raises(InvalidParameter, match="confidence must be strictly between 0 and 1"):
        value_at_risk(normal_returns(100), EXPOSURES, confidence=confidence)


def test_value_at_risk_when_method_misspelt_suggests_the_name() -> None:
    with pytest.raises(InvalidParameter, match="did you mean 'montecarlo'"):
        value_at_risk(normal_returns(100), EXPOSURES, method="monte_carlo")


@pytest.mark.parametrize(("horizon", "message"), [("1h", "not a whole number"), (0, "at least 1"),
                                                  ("soon", "duration like 1d")])
def test_value_at_risk_when_horizon_bad_is_refused(horizon: int | str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        value_at_risk(normal_returns(100), EXPOSURES, horizon=horizon)


def test_value_at_risk_when_returns_hold_nan_names_the_cell() -> None:
    returns = normal_returns(100)
    returns.iloc[7, 1] = np.nan
    with pytest.raises(InvalidData, match="NaN or infinite.*B at 2010-01-08"):
        value_at_risk(returns, EXPOSURES)


def test_value_at_risk_when_symbol_has_no_history_names_it() -> None:
    with pytest.raises(InvalidInput, match="no price history for ZZZ"):
        value_at_risk(normal_returns(100), {**EXPOSURES, "ZZZ": 1.0})


def test_historical_when_horizon_longer_than_history_is_refused() -> None:
    with pytest.raises(InvalidData, match="needs more than 200 return periods"):
        value_at_risk(normal_returns(150), EXPOSURES, horizon=200)


def test_var_when_given_bars_and_quantities_values_at_last_close() -> None:
    bars = sample_bars(400, symbols=("X", "Y"), timeframe="1d")
    result = var(bars, {"X": 10, "Y": -5}, method="parametric")
    from athena.risk.returns import returns_of

    closes = {s: float(bars[s]["close"].iloc[-1]) for s in ("X", "Y")}
    direct = value_at_risk(returns_of(bars), {"X": 10 * closes["X"], "Y": -5 * closes["Y"]}, method="parametric")
    assert result.var == pytest.approx(direct.var)
    assert result.gross == pytest.approx(10 * closes["X"] + 5 * closes["Y"])


def test_var_when_a_symbol_lacks_price_history_lists_the_data() -> None:
    bars = bars_from_closes([100, 101, 99, 102], symbol="BTC/USDT")
    with pytest.raises(InvalidInput, match=r"no price history for ETH/USDT; the data holds BTC/USDT"):
        var(bars, {"BTC/USDT": 1, "ETH/USDT": 2})


def test_stressed_var_when_volatility_doubles_and_correlation_one_matches_closed_form() -> None:
    returns = normal_returns()
    mu, sigma = moments(returns)
    e = np.array(list(EXPOSURES.values()))
    mean = returns.to_numpy().mean(axis=0)
    z = stats.norm.ppf(0.99)
    doubled = stressed_var(returns, EXPOSURES, vol_multiplier=2.0)
    assert doubled.var == pytest.approx(-mu + 2 * z * sigma, rel=1e-9)
    vols = returns.to_numpy().std(axis=0, ddof=1)
    one = stressed_var(returns, EXPOSURES, correlation=1.0)
    assert one.var == pytest.approx(-(e @ mean) + z * abs(e @ vols), rel=1e-9)


def test_var_with_order_when_adding_to_the_largest_long_raises_var() -> None:
    returns = normal_returns(1_000)
    before, after = var_with_order(returns, EXPOSURES, {"A": 500_000.0})
    assert after.var > before.var
    direct = value_at_risk(returns, {**EXPOSURES, "A": 1_500_000.0}, method="parametric")
    assert after.var == pytest.approx(direct.var)
    hedge_before, hedge_after = var_with_order(returns, EXPOSURES, {"A": -900_000.0}, method="montecarlo",
                                               simulations=5_000)
    assert hedge_after.var < hedge_before.var
