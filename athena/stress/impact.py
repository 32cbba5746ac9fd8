"""The impact of a scenario on a portfolio: PnL, NAV after, drawdown, exposures, leverage, breaches.

For each position with quantity ``q`` at price ``p`` and scenario shock ``s``:

* the price after is ``p * (1 + s)``;
* a position with a stop is closed when the shocked price reaches the stop: at the stop price
  when the scenario lets stops hold, at the shocked price when prices gap through stops or the
  exchange is out (``Scenario.stops_hold``);
* the liquidity cost is ``|q| * p_exit * (spread_bps / 2 + slippage_bps) / 10,000``, paid on the
  positions still held (the cost to exit them) and on stop exits;
* PnL is the market move plus stop effects minus the liquidity cost; NAV after is NAV plus PnL.

Drawdown after is ``1 - NAV_after / peak`` (floored at 0). A symbol the scenario has no shock for
is left unchanged and listed in ``unshocked``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from athena.data.bars import parse_timeframe, timeframe_of
from athena.errors import InvalidInput
from athena.stress.portfolio import Breach, Limits, Portfolio, RunHistory
from athena.stress.scenarios import Scenario, classify, get, library

if TYPE_CHECKING:
    from athena.backtest import BacktestResult
    from athena.model import RunRecord

__all__ = ["Impact", "WhatIf", "impact", "run", "summary", "what_if"]


@dataclass(frozen=True)
class Impact:
    """The effect of one scenario on one portfolio.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    nav_before, nav_after, pnl : float
        NAV before and after, and their difference (PnL including the liquidity cost).
    return_pct : float
        ``pnl / nav_before`` (NaN when NAV before is 0).
    liquidity_cost : float
        The part of the loss due to spread and slippage.
    drawdown : float
        From the peak NAV after the shock, as a fraction.
    gross_before, gross_after, net_before, net_after : float
        Exposures.
    leverage_before, leverage_after : float
        Gross exposure over NAV (infinite when NAV is not positive).
    margin_usage : float or None
        Margin used over NAV after, when the portfolio has a margin rate.
    positions : pandas.DataFrame
        Per symbol: asset class, quantity, price, shock, price after, stopped, exit price, PnL,
        liquidity cost and notional after.
    breaches : tuple of Breach
        Limits broken after the shock.
    unshocked : tuple of str
        Held symbols the scenario says nothing about.
    var_before, var_after : float or None
        Parametric VaR before and stressed VaR after (volatility multiplier, correlation override,
        outage horizon), when returns are given.
    """

    scenario: str
    nav_before: float
    nav_after: float
    pnl: float
    return_pct: float
    liquidity_cost: float
    drawdown: float
    gross_before: float
    gross_after: float
    net_before: float
    net_after: float
    leverage_before: float
    leverage_after: float
    margin_usage: float | None
    positions: pd.DataFrame = field(repr=False)
    breaches: tuple[Breach, ...] = ()
    unshocked: tuple[str, ...] = ()
    var_before: float | None = None
    var_after: float | None = None

    def summary(self) -> dict[str, Any]:
        """Return the scalar results (non-finite numbers become None)."""
        return {k: _clean(getattr(self, k)) for k in (
            "scenario", "nav_before", "nav_after", "pnl", "return_pct", "liquidity_cost", "drawdown",
            "gross_before", "gross_after", "net_before", "net_after", "leverage_before", "leverage_after",
            "margin_usage", "var_before", "var_after")}

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly summary with breaches and positions (non-finite numbers become None)."""
        out = self.summary()
        out["breaches"] = [{"code": b.code, "limit": b.limit, "value": _clean(b.value), "symbol": b.symbol}
                           for b in self.breaches]
        out["unshocked"] = list(self.unshocked)
        out["positions"] = [{"symbol": str(s), **{k: _clean(v) for k, v in row.items()}}
                            for s, row in zip(self.positions.index, self.positions.to_dict("records"), strict=True)]
        return out


@dataclass(frozen=True)
class WhatIf:
    """A scenario's impact before and after a proposed order.

    Attributes
    ----------
    before, after : Impact
        Without and with the order filled.
    new_breaches : tuple of Breach
        Breaches after the order that the portfolio did not have without it.
    """

    before: Impact
    after: Impact
    new_breaches: tuple[Breach, ...]

    @property
    def allowed(self) -> bool:
        """Whether the order adds no breach under the scenario."""
        return not self.new_breaches


def _clean(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _ratio(value: float, nav: float) -> float:
    return value / nav if nav > 0 else math.inf


def _stressed_var(portfolio: Portfolio, scenario: Scenario, returns: pd.DataFrame, exposures: Mapping[str, float],
                  confidence: float) -> tuple[float, float]:
    from athena.risk.var import stressed_var

    held = {s: q * portfolio.prices[s] for s, q in portfolio.positions.items()}
    before = stressed_var(returns, held, confidence=confidence).var if held else 0.0
    horizon = 1
    if scenario.outage_minutes > 0 and isinstance(returns.index, pd.DatetimeIndex) and len(returns.index) > 1:
        step = parse_timeframe(timeframe_of(returns.index))
        horizon = max(1, math.ceil(pd.Timedelta(minutes=scenario.outage_minutes) / step))
    after = stressed_var(returns, exposures, vol_multiplier=scenario.volatility_multiplier,
                         correlation=scenario.correlation, confidence=confidence,
                         horizon=horizon).var if exposures else 0.0
    return before, after


def impact(
    scenario: Scenario | str,
    portfolio: Portfolio,
    *,
    limits: Limits | None = None,
    returns: pd.DataFrame | None = None,
    confidence: float = 0.99,
) -> Impact:
    """Return the impact of ``scenario`` on ``portfolio`` (see the module docstring for the rules).

    Parameters
    ----------
    scenario : Scenario or str
        A scenario or the name of a library scenario.
    portfolio : Portfolio
        Positions, prices and cash.
    limits : Limits, optional
        Limits to check after the shock.
    returns : pandas.DataFrame, optional
        Return history of the held symbols, for the VaR before and the stressed VaR after.
    confidence : float
        Confidence of those VaRs.

    Returns
    -------
    Impact
        PnL, NAV, drawdown, exposures, leverage, per-position detail and breaches.

    Raises
    ------
    UnknownScenario
        For an unknown scenario name.
    InvalidInput
        When ``returns`` lack a held symbol, or as :func:`athena.risk.var.stressed_var`.
    """
    s = get(scenario) if isinstance(scenario, str) else scenario
    symbols = list(portfolio.positions)
    qty = np.array([portfolio.positions[x] for x in symbols], dtype=np.float64)
    px = np.array([portfolio.prices[x] for x in symbols], dtype=np.float64)
    classes = [portfolio.asset_classes.get(x) or classify(x) for x in symbols]
    found = [s.shock_for(x, c) for x, c in zip(symbols, classes, strict=True)]
    shock = np.array([0.0 if v is None else v for v in found], dtype=np.float64)
    after = px * (1.0 + shock)
    stop = np.array([portfolio.stops.get(x, math.nan) for x in symbols], dtype=np.float64)
    hit = np.where(qty > 0, after <= stop, after >= stop) & np.isfinite(stop)
    exit_px = np.where(hit, stop if s.stops_hold else after, after)
    cost_rate = (s.spread_bps / 2.0 + s.slippage_bps) / 10_000.0
    cost = np.abs(qty) * exit_px * cost_rate
    pnl = qty * (exit_px - px) - cost
    held_after = np.where(hit, 0.0, qty)
    notional_after = held_after * after
    nav_before = portfolio.nav
    nav_after = nav_before + float(pnl.sum())
    peak = portfolio.peak
    gross_before = float(np.abs(qty * px).sum())
    gross_after = float(np.abs(notional_after).sum())
    net_after = float(notional_after.sum())
    table = pd.DataFrame({
        "asset_class": classes, "quantity": qty, "price": px, "shock": shock, "price_after": after,
        "stopped": hit, "exit_price": exit_px, "pnl": pnl, "liquidity_cost": cost, "notional_after": notional_after,
    }, index=pd.Index(symbols, name="symbol"))
    margin = (gross_after * portfolio.margin_rate / nav_after if nav_after > 0 else math.inf) \
        if portfolio.margin_rate is not None else None
    var_before: float | None = None
    var_after: float | None = None
    if returns is not None:
        live = {x: float(n) for x, n in zip(symbols, notional_after, strict=True) if n != 0.0}
        var_before, var_after = _stressed_var(portfolio, s, returns, live, confidence)
    drawdown = max(0.0, 1.0 - nav_after / peak) if peak > 0 else math.inf
    loss = -float(pnl.sum()) / nav_before if nav_before > 0 else math.inf
    breaches = limits.check(
        gross_leverage=_ratio(gross_after, nav_after), net_leverage=_ratio(abs(net_after), nav_after),
        drawdown=drawdown, loss=loss, notionals=dict(zip(symbols, notional_after.tolist(), strict=True)),
        var=None if var_after is None else _ratio(var_after, nav_after), margin_usage=margin,
    ) if limits is not None else ()
    return Impact(
        scenario=s.name, nav_before=nav_before, nav_after=nav_after, pnl=float(pnl.sum()),
        return_pct=float(pnl.sum()) / nav_before if nav_before else math.nan, liquidity_cost=float(cost.sum()),
        drawdown=drawdown, gross_before=gross_before, gross_after=gross_after,
        net_before=float((qty * px).sum()), net_after=net_after,
        leverage_before=_ratio(gross_before, nav_before), leverage_after=_ratio(gross_after, nav_after),
        margin_usage=margin, positions=table, breaches=breaches,
        unshocked=tuple(x for x, v in zip(symbols, found, strict=True) if v is None),
        var_before=var_before, var_after=var_after,
    )


def _book(portfolio: Portfolio | BacktestResult | None, run: RunRecord | str | None,
          console: RunHistory | None) -> Portfolio:
    if run is None:
        if portfolio is None:
            raise InvalidInput("give a portfolio or a run to stress")
        return portfolio if isinstance(portfolio, Portfolio) else Portfolio.from_backtest(portfolio)
    if portfolio is not None:
        raise InvalidInput("give a portfolio or a run to stress, not both")
    if isinstance(run, str):
        if console is None:
            raise InvalidInput(f"run={run!r} is an id: pass console= to look it up, or pass the RunRecord")
        run = console.get_run(run)
    return Portfolio.from_run(run)


def run(
    scenarios: Scenario | str | Sequence[Scenario | str],
    portfolio: Portfolio | BacktestResult | None = None,
    *,
    run: RunRecord | str | None = None,
    console: RunHistory | None = None,
    limits: Limits | None = None,
    returns: pd.DataFrame | None = None,
    confidence: float = 0.99,
) -> pd.DataFrame:
    """Return the impact of one or several scenarios on a portfolio or a backtest's final book, as a table.

    Parameters
    ----------
    scenarios : Scenario, str or sequence of them
        Scenarios or library names.
    portfolio : Portfolio or BacktestResult, optional
        The book to stress; a backtest result is converted with :meth:`Portfolio.from_backtest`.
    run : RunRecord or str, optional
        Instead of ``portfolio``: a recorded backtest run (or its id, with ``console``), whose final
        book is stressed (:meth:`Portfolio.from_run`).
    console : Console, optional
        Looks ``run`` up when it is an id.
    limits : Limits, optional
        Limits to check.
    returns : pandas.DataFrame, optional
        Return history, for VaR before and stressed VaR after.
    confidence : float
        VaR confidence.

    Returns
    -------
    pandas.DataFrame
        One row per scenario (index: name): NAV before/after, PnL, return, drawdown, exposures,
        leverage, VaRs, the breach codes and the :class:`Impact` itself in column ``impact``.

    Raises
    ------
    InvalidInput
        When both or neither of ``portfolio`` and ``run`` are given, for an unknown run id, or a run
        without a final book (see :meth:`Portfolio.from_run`).
    """
    book = _book(portfolio, run, console)
    chosen = [scenarios] if isinstance(scenarios, Scenario | str) else list(scenarios)
    if not chosen:
        raise InvalidInput("no scenario given")
    rows = []
    for item in chosen:
        result = impact(item, book, limits=limits, returns=returns, confidence=confidence)
        rows.append({**result.summary(), "breaches": ", ".join(str(b) for b in result.breaches), "impact": result})
    return pd.DataFrame(rows).set_index("scenario")


def what_if(
    scenario: Scenario | str,
    portfolio: Portfolio,
    symbol: str,
    quantity: float,
    *,
    price: float | None = None,
    stop: float | None = None,
    limits: Limits | None = None,
    returns: pd.DataFrame | None = None,
) -> WhatIf:
    """Return a scenario's impact without and with a proposed order: the pre-trade "what if".

    Parameters
    ----------
    scenario : Scenario or str
        The scenario.
    portfolio : Portfolio
        The current book.
    symbol : str
        The order's symbol.
    quantity : float
        Signed quantity (negative to sell).
    price : float, optional
        Expected fill price; defaults to the current price.
    stop : float, optional
        Stop price to attach.
    limits : Limits, optional
        Limits to check.
    returns : pandas.DataFrame, optional
        Return history, for stressed VaR.

    Returns
    -------
    WhatIf
        Both impacts and the breaches the order would add.
    """
    before = impact(scenario, portfolio, limits=limits, returns=returns)
    after = impact(scenario, portfolio.with_order(symbol, quantity, price, stop), limits=limits, returns=returns)
    known = {(b.code, b.symbol) for b in before.breaches}
    return WhatIf(before=before, after=after,
                  new_breaches=tuple(b for b in after.breaches if (b.code, b.symbol) not in known))


def summary(
    portfolio: Portfolio,
    scenarios: Sequence[Scenario | str] | None = None,
    *,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """Return a small JSON-friendly stress summary, for engine snapshots and the risk tower.

    Parameters
    ----------
    portfolio : Portfolio
        The book.
    scenarios : sequence of Scenario or str, optional
        Default: the whole shipped library.
    limits : Limits, optional
        Limits to check.

    Returns
    -------
    dict
        ``worst_scenario``, ``worst_pnl``, ``worst_return``, ``breached`` (scenario name to breach
        codes, only scenarios with breaches) and ``pnl`` (scenario name to PnL).
    """
    chosen: list[Scenario | str] = list(scenarios) if scenarios is not None else list(library().values())
    impacts = [impact(s, portfolio, limits=limits) for s in chosen]
    worst = min(impacts, key=lambda i: i.pnl)
    return {"worst_scenario": worst.scenario, "worst_pnl": worst.pnl, "worst_return": _clean(worst.return_pct),
            "breached": {i.scenario: [b.code for b in i.breaches] for i in impacts if i.breaches},
            "pnl": {i.scenario: i.pnl for i in impacts}}
