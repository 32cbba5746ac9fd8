"""Bokeh figures of stress results, for notebooks and dashboards (Bokeh is imported on first use)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from athena.stress.impact import Impact
from athena.stress.replay import Replay

__all__ = ["impact_plot", "replay_plot"]


def impact_plot(impacts: Sequence[Impact] | pd.DataFrame, *, title: str = "Scenario PnL") -> Any:
    """Return a horizontal bar chart of PnL per scenario, breached scenarios in red.

    Parameters
    ----------
    impacts : sequence of Impact or pandas.DataFrame
        Impacts, or the table :func:`athena.stress.run` returns.
    title : str
        Figure title.

    Returns
    -------
    bokeh.plotting.figure
        The figure.
    """
    from bokeh.models import ColumnDataSource, FactorRange
    from bokeh.plotting import figure

    items = list(impacts["impact"]) if isinstance(impacts, pd.DataFrame) else list(impacts)
    names = [i.scenario for i in items]
    source = ColumnDataSource({
        "scenario": names, "pnl": [i.pnl for i in items], "return": [i.return_pct for i in items],
        "color": ["firebrick" if i.breaches else "steelblue" for i in items],
        "breaches": [", ".join(str(b) for b in i.breaches) or "none" for i in items],
    })
    fig = figure(y_range=FactorRange(factors=list(reversed(names))), height=60 + 28 * len(names),
                 sizing_mode="stretch_width", title=title, tooltips=[("scenario", "@scenario"), ("PnL", "@pnl{0,0.00}"),
                                        ("return", "@return{0.00%}"), ("breaches", "@breaches")])
    fig.hbar(y="scenario", right="pnl", left=0, height=0.7, color="color", source=source)
    return fig


def replay_plot(replay: Replay) -> Any:
    """Return the equity and drawdown of a strategy through a scenario, one above the other.

    Parameters
    ----------
    replay : Replay
        A result of :func:`athena.stress.replay`.

    Returns
    -------
    bokeh.models.LayoutDOM
        A column of two figures sharing the time axis.
    """
    from bokeh.layouts import column
    from bokeh.plotting import figure

    times = pd.DatetimeIndex(replay.path.index).tz_localize(None).to_numpy()
    equity = figure(x_axis_type="datetime", height=260, sizing_mode="stretch_width",
                    title=f"{replay.scenario} ({replay.source}): equity")
    equity.line(times, replay.path["equity"].to_numpy(), line_width=1.5)
    drawdown = figure(x_axis_type="datetime", height=160, sizing_mode="stretch_width", title="Drawdown",
                      x_range=equity.x_range)
    drawdown.varea(x=times, y1=-replay.path["drawdown"].to_numpy(), y2=np.zeros(len(times)), fill_alpha=0.4,
                   fill_color="firebrick")
    return column(equity, drawdown, sizing_mode="stretch_width")
