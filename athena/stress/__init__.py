"""Stress testing: a library of historical scenarios, synthetic stresses, impact on a book, replays.

Start with :func:`run` (one or several scenarios on a :class:`Portfolio`, a backtest result or a
recorded run's final book, as a table), :func:`impact` (one scenario, full detail), :func:`what_if`
(a proposed order) and :func:`replay` (a strategy through a scenario in the backtester, exchange
outages included), with Bokeh figures from
:func:`impact_plot` and :func:`replay_plot`. :func:`scenarios` lists the shipped library;
:func:`load` reads user scenarios from YAML.
"""

import pandas as pd

from athena.stress.impact import Impact, WhatIf, impact, run, summary, what_if
from athena.stress.plots import impact_plot, replay_plot
from athena.stress.portfolio import Breach, Limits, Portfolio, read_positions, read_positions_table, read_prices
from athena.stress.replay import Replay, replay, scenario_path
from athena.stress.scenarios import (
    ASSET_CLASSES,
    InvalidScenario,
    Scenario,
    UnknownScenario,
    classify,
    from_history,
    get,
    library,
    load,
    parse,
)
from athena.stress.synthetic import (
    combine,
    correlation_to_one,
    exchange_outage,
    gap_through_stops,
    liquidity_haircut,
    price_shock,
    volatility_multiplier,
)

__all__ = [
    "ASSET_CLASSES",
    "Breach",
    "Impact",
    "InvalidScenario",
    "Limits",
    "Portfolio",
    "Replay",
    "Scenario",
    "UnknownScenario",
    "WhatIf",
    "classify",
    "combine",
    "correlation_to_one",
    "exchange_outage",
    "from_history",
    "gap_through_stops",
    "get",
    "impact",
    "impact_plot",
    "library",
    "liquidity_haircut",
    "load",
    "parse",
    "price_shock",
    "read_positions",
    "read_positions_table",
    "read_prices",
    "replay",
    "replay_plot",
    "run",
    "scenario_path",
    "scenarios",
    "summary",
    "volatility_multiplier",
    "what_if",
]


def scenarios() -> pd.DataFrame:
    """Return the shipped scenario library as a table.

    Returns
    -------
    pandas.DataFrame
        One row per scenario (index: name): title, window, number of shocks, volatility multiplier,
        gap and outage settings and the source.
    """
    rows = [{"name": s.name, "title": s.title, "start": s.start, "end": s.end,
             "shocks": len(s.symbol_shocks) + len(s.class_shocks) + (s.default_shock is not None),
             "volatility_multiplier": s.volatility_multiplier, "gap_through_stops": s.gap_through_stops,
             "outage_minutes": s.outage_minutes, "source": s.source} for s in library().values()]
    return pd.DataFrame(rows).set_index("name")
