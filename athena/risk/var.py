"""Value at Risk and Conditional VaR (expected shortfall) of a portfolio of linear positions.

A portfolio is a vector of currency exposures ``e`` (quantity times price, signed); a period's
profit is ``r @ e`` for the simple returns ``r`` of that period (exposures held constant). VaR and
CVaR are losses, positive numbers in the currency of the exposures, at ``confidence`` over
``horizon`` periods.

Methods
-------
historical
    Empirical quantile of the portfolio profit with numpy's ``linear`` interpolation (Hyndman-Fan
    type 7): ``VaR = -np.quantile(pnl, 1 - confidence)``; CVaR is minus the mean of the profits at
    or below that quantile. Horizons above one period use overlapping sums of ``horizon``
    consecutive period profits (``T - h + 1`` windows), not sqrt-time scaling.
parametric
    Normal with the sample mean and covariance (``ddof=1``): ``VaR = -mu*h + z*sigma*sqrt(h)``,
    ``CVaR = -mu*h + sigma*sqrt(h)*phi(z)/(1-c)`` (square-root-of-time scaling).
cornish_fisher
    The normal quantile corrected for the skewness and excess kurtosis of the portfolio profit
    (population moments, scaled to the horizon as ``S/sqrt(h)`` and ``K/h``); CVaR integrates the
    corrected quantile over the tail in closed form.
montecarlo
    ``simulations`` draws of correlated normal horizon returns (mean ``mu*h``, covariance ``Sigma*h``,
    Cholesky factor, eigen-decomposition when the covariance is singular), seeded; VaR and CVaR as
    for historical. ``standard_error`` estimates the VaR's sampling error from the order statistics.

Component VaR (``components``) splits VaR by position and sums to it exactly: the Euler allocation
for parametric and Cornish-Fisher (the corrected quantile held fixed); for historical and Monte
Carlo, each position's mean loss in the tail (``cvar_components``, summing to CVaR) rescaled by
``VaR / CVaR``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import NormalDist
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.data.bars import Bars, parse_timeframe, timeframe_of
from athena.errors import InvalidData, InvalidInput, InvalidParameter
from athena.risk.returns import check_returns, returns_of

__all__ = [
    "METHODS",
    "Method",
    "VaRResult",
    "horizon_periods",
    "stressed_var",
    "value_at_risk",
    "var",
    "var_with_order",
]

Method = Literal["historical", "parametric", "cornish_fisher", "montecarlo"]
METHODS: tuple[str, ...] = get_args(Method)
_NORMAL = NormalDist()
_Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class VaRResult:
    """VaR and CVaR of a portfolio, with their split by position.

    Attributes
    ----------
    method : str
        One of :data:`METHODS`.
    confidence : float
        The confidence level, e.g. 0.99.
    horizon : int
        The horizon in periods of the return data.
    var, cvar : float
        The losses, positive in the exposure currency.
    components, cvar_components : pandas.Series
        Per symbol; they sum to ``var`` and ``cvar``.
    observations : int
        Return periods used.
    gross : float
        Gross exposure (sum of absolute exposures).
    standard_error : float or None
        Monte Carlo only: the estimated standard error of ``var``.
    """

    method: str
    confidence: float
    horizon: int
    var: float
    cvar: float
    components: pd.Series = field(repr=False)
    cvar_components: pd.Series = field(repr=False)
    observations: int
    gross: float
    standard_error: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly summary."""
        return {
            "method": self.method, "confidence": self.confidence, "horizon": self.horizon, "var": self.var,
            "cvar": self.cvar, "observations": self.observations, "gross": self.gross,
            "var_pct_gross": self.var / self.gross if self.gross else None,
            "standard_error": self.standard_error,
            "components": {str(k): float(v) for k, v in self.components.items()},
            "cvar_components": {str(k): float(v) for k, v in self.cvar_components.items()},
        }


def _confidence(confidence: float) -> float:
    value = float(confidence)
    if not 0.0 < value < 1.0:
        raise InvalidParameter(f"confidence must be strictly between 0 and 1, was {confidence}")
    return value


def horizon_periods(horizon: int | str, index: pd.Index) -> int:
    """Return a horizon as a whole number of periods of the data indexed by ``index``.

    Parameters
    ----------
    horizon : int or str
        Periods (``10``) or a duration (``"1d"``, ``"10d"``, ``"4h"``) that is a whole multiple of the
        data's timeframe.
    index : pandas.Index
        The ``DatetimeIndex`` of the returns (its median spacing is the timeframe).

    Returns
    -------
    int
        Periods, at least 1.

    Raises
    ------
    InvalidParameter
        When the horizon is not positive or not a whole number of periods.
    """
    if isinstance(horizon, str) and horizon.strip().isdigit():
        horizon = int(horizon.strip())
    if isinstance(horizon, int):
        if horizon < 1:
            raise InvalidParameter(f"horizon must be at least 1 period, was {horizon}")
        return horizon
    try:
        span = parse_timeframe(horizon.strip())
    except InvalidInput:
        raise InvalidParameter(
            f"horizon must be a number of periods or a duration like 1d or 4h, was {horizon!r}"
        ) from None
    step = parse_timeframe(timeframe_of(pd.DatetimeIndex(index)))
    periods = span / step
    if periods < 1 or periods != int(periods):
        raise InvalidParameter(
            f"horizon {horizon} is not a whole number of the data's {timeframe_of(pd.DatetimeIndex(index))} periods"
        )
    return int(periods)


def _exposures(exposures: Mapping[str, float | Decimal] | pd.Series) -> tuple[list[str], _Array]:
    series = pd.Series({str(k): float(v) for k, v in dict(exposures).items()}, dtype=np.float64)
    if series.empty:
        raise InvalidInput("the portfolio holds no positions")
    bad = series[~np.isfinite(series.to_numpy())]
    if not bad.empty:
        raise InvalidInput(f"exposures must be finite numbers, were {dict(bad)}")
    return [str(s) for s in series.index], np.asarray(series.to_numpy(), dtype=np.float64)


def _tail(pnl: _Array, positions: _Array, confidence: float) -> tuple[float, float, _Array, _Array]:
    cut = float(np.quantile(pnl, 1.0 - confidence))
    tail = pnl <= cut
    cvar = -float(pnl[tail].mean())
    cvar_parts = -positions[tail].mean(axis=0)
    parts = cvar_parts * (-cut / cvar) if cvar != 0.0 else np.zeros_like(cvar_parts)
    return -cut, cvar, parts, cvar_parts


def _moments(matrix: _Array) -> tuple[_Array, _Array]:
    return matrix.mean(axis=0), np.atleast_2d(np.cov(matrix, rowvar=False, ddof=1))


def _euler(e: _Array, mean: _Array, cov: _Array, quantile: float, shortfall: float,
           h: int) -> tuple[float, float, _Array, _Array]:
    sigma = math.sqrt(max(float(e @ cov @ e), 0.0))
    marginal = (cov @ e) / sigma if sigma > 0.0 else np.zeros_like(e)
    drift = e * mean * h
    parts = e * marginal * quantile * math.sqrt(h) - drift
    cvar_parts = e * marginal * shortfall * math.sqrt(h) - drift
    return float(parts.sum()), float(cvar_parts.sum()), parts, cvar_parts


def _cornish_fisher(pnl: _Array, confidence: float, h: int) -> tuple[float, float]:
    centred = pnl - pnl.mean()
    m2 = float(np.mean(centred**2))
    skew = float(np.mean(centred**3)) / m2**1.5 if m2 > 0.0 else 0.0
    kurt = float(np.mean(centred**4)) / m2**2 - 3.0 if m2 > 0.0 else 0.0
    s, k = skew / math.sqrt(h), kurt / h
    a = -_NORMAL.inv_cdf(confidence)
    alpha = 1.0 - confidence
    quantile = a + (a * a - 1) * s / 6 + (a**3 - 3 * a) * k / 24 - (2 * a**3 - 5 * a) * s * s / 36
    tail_mean = _NORMAL.pdf(a) / alpha * (-1 - a * s / 6 + (1 - a * a) * k / 24 - (1 - 2 * a * a) * s * s / 36)
    return -quantile, -tail_mean


def _factor(cov: _Array) -> _Array:
    try:
        return np.asarray(np.linalg.cholesky(cov), dtype=np.float64)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(cov)
        return np.asarray(vectors * np.sqrt(np.clip(values, 0.0, None)), dtype=np.float64)


def _simulate(e: _Array, mean: _Array, cov: _Array, h: int, simulations: int, seed: int) -> _Array:
    rng = np.random.default_rng(seed)
    scaled = _factor(cov).T * (e * math.sqrt(h))
    draws = rng.standard_normal((simulations, len(e)))
    out: _Array = draws @ scaled
    out += e * mean * h
    return out


def _order_statistic_error(pnl: _Array, confidence: float) -> float:
    n = len(pnl)
    alpha = 1.0 - confidence
    spread = 1.96 * math.sqrt(n * alpha * (1.0 - alpha))
    ordered = np.sort(pnl)
    lo = int(max(math.floor(n * alpha - spread), 0))
    hi = int(min(math.ceil(n * alpha + spread), n - 1))
    return float(ordered[hi] - ordered[lo]) / (2 * 1.96)


def value_at_risk(
    returns: pd.DataFrame,
    exposures: Mapping[str, float | Decimal] | pd.Series,
    *,
    method: Method | str = "historical",
    confidence: float = 0.99,
    horizon: int | str = 1,
    simulations: int = 10_000,
    seed: int = 0,
) -> VaRResult:
    """Return VaR and CVaR of currency exposures from a history of returns.

    Parameters
    ----------
    returns : pandas.DataFrame
        Simple returns per period, one column per symbol (see :func:`athena.risk.returns.returns_of`).
    exposures : mapping of str to float
        Signed exposure (quantity times price) per symbol; every symbol needs a returns column.
    method : {"historical", "parametric", "cornish_fisher", "montecarlo"}
        See the module docstring.
    confidence : float
        Strictly between 0 and 1.
    horizon : int or str
        Periods, or a duration that is a whole number of periods (``"1d"``, ``"10d"``).
    simulations : int
        Monte Carlo draws.
    seed : int
        Monte Carlo seed; the same seed gives the same result.

    Returns
    -------
    VaRResult
        VaR, CVaR and their components.

    Raises
    ------
    InvalidParameter
        For an unknown method, a confidence outside (0, 1), a bad horizon or too few simulations.
    InvalidInput
        When a symbol has no returns column or an exposure is not finite.
    InvalidData
        When returns hold NaN or infinite values, or too few periods for the horizon.
    """
    if method not in METHODS:
        from difflib import get_close_matches

        near = get_close_matches(str(method), METHODS, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise InvalidParameter(f"unknown VaR method {method!r}, use one of {', '.join(METHODS)}{hint}")
    c = _confidence(confidence)
    symbols, e = _exposures(exposures)
    matrix = check_returns(returns, symbols)
    h = horizon_periods(horizon, returns.index)
    error: float | None = None
    if method == "historical":
        if matrix.shape[0] - h + 1 < 2:
            raise InvalidData(f"a {h}-period horizon needs more than {h} return periods, got {matrix.shape[0]}")
        positions = matrix * e
        if h > 1:
            summed = np.vstack([np.zeros((1, len(e))), np.cumsum(positions, axis=0)])
            positions = summed[h:] - summed[:-h]
        value, shortfall, parts, cvar_parts = _tail(positions.sum(axis=1), positions, c)
    elif method == "montecarlo":
        if simulations < 100:
            raise InvalidParameter(f"simulations must be at least 100, was {simulations}")
        mean, cov = _moments(matrix)
        positions = _simulate(e, mean, cov, h, simulations, seed)
        pnl = positions.sum(axis=1)
        value, shortfall, parts, cvar_parts = _tail(pnl, positions, c)
        error = _order_statistic_error(pnl, c)
    else:
        mean, cov = _moments(matrix)
        if method == "parametric":
            z = _NORMAL.inv_cdf(c)
            quantile, tail_mean = z, _NORMAL.pdf(z) / (1.0 - c)
        else:
            quantile, tail_mean = _cornish_fisher(matrix @ e, c, h)
        value, shortfall, parts, cvar_parts = _euler(e, mean, cov, quantile, tail_mean, h)
    return VaRResult(
        method=str(method), confidence=c, horizon=h, var=float(value), cvar=float(shortfall),
        components=pd.Series(parts, index=symbols, dtype=np.float64, name="component_var"),
        cvar_components=pd.Series(cvar_parts, index=symbols, dtype=np.float64, name="component_cvar"),
        observations=int(matrix.shape[0]), gross=float(np.abs(e).sum()), standard_error=error,
    )


def var(
    data: Bars | pd.DataFrame,
    positions: Mapping[str, float | Decimal],
    *,
    prices: Mapping[str, float | Decimal] | None = None,
    method: Method | str = "historical",
    confidence: float = 0.99,
    horizon: int | str = 1,
    simulations: int = 10_000,
    seed: int = 0,
) -> VaRResult:
    """Return VaR and CVaR of positions (quantities) from price history or returns.

    Parameters
    ----------
    data : Bars or pandas.DataFrame
        Bars (close-to-close returns are used) or a returns frame, one column per symbol.
    positions : mapping of str to float or Decimal
        Net quantity per symbol; zero quantities are ignored.
    prices : mapping of str to float or Decimal, optional
        Current prices; defaults to the last close of each symbol in ``data`` (required for a
        returns frame).
    method, confidence, horizon, simulations, seed
        As for :func:`value_at_risk`.

    Returns
    -------
    VaRResult
        VaR, CVaR and their components.

    Raises
    ------
    InvalidInput
        When a symbol has no price history or no price, or as :func:`value_at_risk`.
    """
    held = {str(s): float(q) for s, q in positions.items() if float(q) != 0.0}
    if not held:
        raise InvalidInput("the portfolio holds no positions")
    if isinstance(data, Bars):
        returns = returns_of(data, held)
        marks = {s: float(data[s]["close"].iloc[-1]) for s in held}
    else:
        returns = data
        marks = {}
    if prices is not None:
        marks.update({str(s): float(p) for s, p in prices.items()})
    unpriced = sorted(s for s in held if s not in marks or not math.isfinite(marks[s]) or marks[s] <= 0)
    if unpriced:
        raise InvalidInput(f"no valid price for {', '.join(unpriced)}")
    exposures = {s: q * marks[s] for s, q in held.items()}
    return value_at_risk(returns, exposures, method=method, confidence=confidence, horizon=horizon,
                         simulations=simulations, seed=seed)


def stressed_var(
    returns: pd.DataFrame,
    exposures: Mapping[str, float | Decimal] | pd.Series,
    *,
    vol_multiplier: float = 1.0,
    correlation: float | None = None,
    confidence: float = 0.99,
    horizon: int | str = 1,
) -> VaRResult:
    """Return the parametric normal VaR with volatilities scaled and correlations overridden.

    Parameters
    ----------
    returns : pandas.DataFrame
        Returns per period, one column per symbol.
    exposures : mapping of str to float
        Signed exposure per symbol.
    vol_multiplier : float
        Factor on every volatility (> 0); the means are kept.
    correlation : float, optional
        When given, every pairwise correlation becomes this value (1.0: no diversification left;
        longs and shorts still offset as perfectly co-moving assets do).
    confidence, horizon
        As for :func:`value_at_risk`.

    Returns
    -------
    VaRResult
        With method ``"parametric"``.

    Raises
    ------
    InvalidParameter
        For a non-positive multiplier, a correlation outside [-1, 1], or as :func:`value_at_risk`.
    """
    if not vol_multiplier > 0 or not math.isfinite(vol_multiplier):
        raise InvalidParameter(f"vol_multiplier must be a finite number > 0, was {vol_multiplier}")
    if correlation is not None and not -1.0 <= correlation <= 1.0:
        raise InvalidParameter(f"correlation must be within [-1, 1], was {correlation}")
    c = _confidence(confidence)
    symbols, e = _exposures(exposures)
    matrix = check_returns(returns, symbols)
    h = horizon_periods(horizon, returns.index)
    mean, cov = _moments(matrix)
    vols = np.sqrt(np.diag(cov)) * vol_multiplier
    if correlation is None:
        corr = cov / np.outer(np.sqrt(np.diag(cov)), np.sqrt(np.diag(cov)))
        corr = np.where(np.isfinite(corr), corr, 0.0)
    else:
        corr = np.full_like(cov, correlation)
    np.fill_diagonal(corr, 1.0)
    stressed = corr * np.outer(vols, vols)
    z = _NORMAL.inv_cdf(c)
    value, shortfall, parts, cvar_parts = _euler(e, mean, stressed, z, _NORMAL.pdf(z) / (1.0 - c), h)
    return VaRResult(
        method="parametric", confidence=c, horizon=h, var=value, cvar=shortfall,
        components=pd.Series(parts, index=symbols, dtype=np.float64, name="component_var"),
        cvar_components=pd.Series(cvar_parts, index=symbols, dtype=np.float64, name="component_cvar"),
        observations=int(matrix.shape[0]), gross=float(np.abs(e).sum()),
    )


def var_with_order(
    returns: pd.DataFrame,
    exposures: Mapping[str, float | Decimal] | pd.Series,
    order: Mapping[str, float | Decimal],
    *,
    method: Method | str = "parametric",
    confidence: float = 0.99,
    horizon: int | str = 1,
    simulations: int = 10_000,
    seed: int = 0,
) -> tuple[VaRResult, VaRResult]:
    """Return the VaR before and after a proposed order, for a pre-trade "max VaR" check.

    Parameters
    ----------
    returns : pandas.DataFrame
        Returns per period, one column per symbol (including the order's symbols).
    exposures : mapping of str to float
        Current signed exposure per symbol.
    order : mapping of str to float
        Signed exposure the order adds per symbol (quantity times expected price).
    method, confidence, horizon, simulations, seed
        As for :func:`value_at_risk`; the same seed is used for both, so Monte Carlo noise cancels.

    Returns
    -------
    tuple of VaRResult
        Before and after.
    """
    before = {str(k): float(v) for k, v in dict(exposures).items()}
    after = dict(before)
    for symbol, added in order.items():
        after[str(symbol)] = after.get(str(symbol), 0.0) + float(added)
    options: dict[str, Any] = {"method": method, "confidence": confidence, "horizon": horizon,
                               "simulations": simulations, "seed": seed}
    return value_at_risk(returns, before, **options), value_at_risk(returns, after, **options)
