"""Synthetic scenarios: one stress each, combinable into one scenario with :func:`combine`."""

from __future__ import annotations

from collections.abc import Mapping

from athena.stress.scenarios import Scenario

__all__ = [
    "combine",
    "correlation_to_one",
    "exchange_outage",
    "gap_through_stops",
    "liquidity_haircut",
    "price_shock",
    "volatility_multiplier",
]


def price_shock(
    shock: float | None = None,
    *,
    symbols: Mapping[str, float] | None = None,
    asset_classes: Mapping[str, float] | None = None,
    name: str = "price_shock",
) -> Scenario:
    """Return a scenario moving prices by simple returns.

    Parameters
    ----------
    shock : float, optional
        Return applied to every symbol not matched otherwise, e.g. ``-0.2``.
    symbols : mapping of str to float, optional
        Return per symbol.
    asset_classes : mapping of str to float, optional
        Return per asset class.
    name : str
        Scenario name.

    Returns
    -------
    Scenario
        A synthetic scenario.
    """
    parts = [f"all {shock:+.1%}"] if shock is not None else []
    parts += [f"{k} {v:+.1%}" for k, v in {**(asset_classes or {}), **(symbols or {})}.items()]
    return Scenario(name=name, title=f"Price shock: {', '.join(parts) or 'none'}", kind="synthetic",
                    default_shock=shock, symbol_shocks=dict(symbols or {}), class_shocks=dict(asset_classes or {}))


def volatility_multiplier(multiplier: float, *, name: str = "volatility_multiplier") -> Scenario:
    """Return a scenario scaling every volatility by ``multiplier`` (for the stressed VaR and replays).

    Parameters
    ----------
    multiplier : float
        Factor on volatilities, > 0.
    name : str
        Scenario name.

    Returns
    -------
    Scenario
        A synthetic scenario.
    """
    return Scenario(name=name, title=f"Volatility x{multiplier:g}", kind="synthetic",
                    volatility_multiplier=multiplier)


def correlation_to_one(*, name: str = "correlation_to_one") -> Scenario:
    """Return a scenario where every pairwise correlation becomes 1 (for the stressed VaR).

    Parameters
    ----------
    name : str
        Scenario name.

    Returns
    -------
    Scenario
        A synthetic scenario.
    """
    return Scenario(name=name, title="Correlations go to one", kind="synthetic", correlation=1.0)


def liquidity_haircut(spread_bps: float, slippage_bps: float = 0.0, *, name: str = "liquidity_haircut") -> Scenario:
    """Return a scenario where exiting costs half a wider spread plus slippage.

    Parameters
    ----------
    spread_bps : float
        Bid-ask spread in basis points; half of it is paid on exit.
    slippage_bps : float
        Extra adverse move on exit, in basis points.
    name : str
        Scenario name.

    Returns
    -------
    Scenario
        A synthetic scenario.
    """
    return Scenario(name=name, title=f"Liquidity: spread {spread_bps:g} bp, slippage {slippage_bps:g} bp",
                    kind="synthetic", spread_bps=spread_bps, slippage_bps=slippage_bps)


def gap_through_stops(shock: float, *, name: str = "gap_through_stops") -> Scenario:
    """Return a scenario where every price gaps by ``shock`` and stops fill at the gapped price.

    Parameters
    ----------
    shock : float
        Return applied to every symbol.
    name : str
        Scenario name.

    Returns
    -------
    Scenario
        A synthetic scenario.
    """
    return Scenario(name=name, title=f"Gap {shock:+.1%} through stops", kind="synthetic", default_shock=shock,
                    gap_through_stops=True)


def exchange_outage(minutes: float, *, name: str = "exchange_outage") -> Scenario:
    """Return a scenario where the exchange fills nothing for ``minutes``: stops cannot protect.

    Combine it with a price shock for the move during the outage; the stressed VaR's horizon is the
    outage length when return history is given.

    Parameters
    ----------
    minutes : float
        Outage length, > 0.
    name : str
        Scenario name.

    Returns
    -------
    Scenario
        A synthetic scenario.
    """
    return Scenario(name=name, title=f"Exchange outage, {minutes:g} minutes", kind="synthetic",
                    outage_minutes=minutes)


def combine(*scenarios: Scenario, name: str = "combined", title: str | None = None) -> Scenario:
    """Return one scenario applying all of ``scenarios``.

    Later scenarios win for the same symbol, asset class or default shock; volatility multipliers
    multiply; the last correlation given wins; spreads, slippages and outages add; stops gap when
    any scenario gaps them.

    Parameters
    ----------
    *scenarios : Scenario
        The parts, at least one.
    name : str
        Name of the result.
    title : str, optional
        Title; defaults to the parts' titles joined.

    Returns
    -------
    Scenario
        A synthetic scenario.
    """
    defaults = [s.default_shock for s in scenarios if s.default_shock is not None]
    correlations = [s.correlation for s in scenarios if s.correlation is not None]
    multiplier = 1.0
    for s in scenarios:
        multiplier *= s.volatility_multiplier
    return Scenario(
        name=name, title=title or " + ".join(s.title for s in scenarios), kind="synthetic",
        description="; ".join(s.description for s in scenarios if s.description),
        source="; ".join(s.source for s in scenarios if s.source),
        symbol_shocks={k: v for s in scenarios for k, v in s.symbol_shocks.items()},
        class_shocks={k: v for s in scenarios for k, v in s.class_shocks.items()},
        default_shock=defaults[-1] if defaults else None, volatility_multiplier=multiplier,
        correlation=correlations[-1] if correlations else None,
        spread_bps=sum(s.spread_bps for s in scenarios), slippage_bps=sum(s.slippage_bps for s in scenarios),
        gap_through_stops=any(s.gap_through_stops for s in scenarios),
        outage_minutes=sum(s.outage_minutes for s in scenarios),
    )
