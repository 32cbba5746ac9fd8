"""Standalone offline HTML reports of a backtest (Bokeh with inline resources, no CDN)."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from athena.backtest.result import BacktestResult

__all__ = ["layout", "monthly_returns", "write_html"]

_PERCENT = {
    "total_return", "cagr", "volatility", "max_drawdown", "win_rate", "exposure",
}


def monthly_returns(equity: pd.Series, initial: float) -> pd.DataFrame:
    """Return calendar-month returns as a year x month table.

    Parameters
    ----------
    equity : pandas.Series
        Equity by UTC time.
    initial : float
        Equity before the first bar.

    Returns
    -------
    pandas.DataFrame
        Rows are years, columns months 1..12, values fractional returns (NaN without data).
    """
    stamps = pd.DatetimeIndex(equity.index)
    month_end = equity.groupby([stamps.year.rename("year"), stamps.month.rename("month")]).last()
    previous = month_end.shift(1).fillna(initial)
    returns = month_end / previous - 1.0
    table = returns.unstack()
    return table.reindex(columns=range(1, 13))


def _metric_rows(result: BacktestResult) -> list[tuple[str, str]]:
    rows = []
    for key, value in result.metrics.to_dict().items():
        if isinstance(value, float) and key in _PERCENT:
            text = "n/a" if math.isnan(value) else f"{value:.2%}"
        elif isinstance(value, float):
            text = "n/a" if math.isnan(value) else f"{value:,.4g}"
        else:
            text = str(value)
        rows.append((key, text))
    return rows


def layout(result: BacktestResult) -> Any:
    """Return the Bokeh layout of a report: metrics, equity, drawdown, trades on price, monthly returns.

    Parameters
    ----------
    result : BacktestResult
        A finished backtest.

    Returns
    -------
    bokeh.models.LayoutDOM
        The layout, to show in a notebook or save.
    """
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, FactorRange, LinearColorMapper
    from bokeh.models.widgets import DataTable, Div, TableColumn
    from bokeh.plotting import figure

    equity = result.equity
    times = pd.DatetimeIndex(equity.index).tz_localize(None).to_numpy()
    peak = np.maximum.accumulate(equity.to_numpy())
    title = Div(text=f"<h2>{html.escape(result.strategy)} {html.escape(str(result.params))}</h2>"
                     f"<p>{html.escape(result.fill_at)}; config {result.config_hash[:12]}, "
                     f"data {result.data_fingerprint[:12]}</p>")
    rows = _metric_rows(result)
    table = DataTable(
        source=ColumnDataSource({"metric": [r[0] for r in rows], "value": [r[1] for r in rows]}),
        columns=[TableColumn(field="metric", title="metric"), TableColumn(field="value", title="value")],
        width=420, height=26 * len(rows) + 30, index_position=None,
    )
    eq = figure(x_axis_type="datetime", height=280, sizing_mode="stretch_width", title="Equity")
    eq.line(times, equity.to_numpy(), line_width=1.5)
    dd = figure(x_axis_type="datetime", height=160, sizing_mode="stretch_width", title="Drawdown",
                x_range=eq.x_range)
    dd.varea(x=times, y1=equity.to_numpy() / peak - 1.0, y2=0.0, fill_alpha=0.4, fill_color="firebrick")
    parts: list[Any] = [title, table, eq, dd]
    bars = result.bars
    trades = result.trades
    if bars is not None and len(bars) == 1:
        frame = bars.frame
        price = figure(x_axis_type="datetime", height=280, sizing_mode="stretch_width", title="Trades on price",
                       x_range=eq.x_range)
        price.line(pd.DatetimeIndex(frame.index).tz_localize(None).to_numpy(), frame["close"].to_numpy(),
                   color="gray")
        if len(trades):
            for side, marker, color in (("entry", "triangle", "green"), ("exit", "inverted_triangle", "red")):
                stamps = pd.DatetimeIndex(trades[f"{side}_time"]).tz_localize(None).to_numpy()
                price.scatter(stamps, trades[f"{side}_price"].to_numpy(), marker=marker, color=color, size=8,
                              legend_label=side)
        parts.append(price)
    months = monthly_returns(equity, result.config.cash)
    if not months.empty:
        stacked = pd.DataFrame(months.stack()).reset_index()
        stacked.columns = pd.Index(["year", "month", "ret"])
        source = ColumnDataSource({
            "year": stacked["year"].astype(str), "month": stacked["month"].astype(str),
            "ret": stacked["ret"], "label": [f"{v:.1%}" for v in stacked["ret"]],
        })
        limit = float(np.nanmax(np.abs(stacked["ret"]))) or 1.0
        heat = figure(title="Monthly returns", height=60 + 30 * len(months), sizing_mode="stretch_width",
                      x_range=FactorRange(factors=[str(m) for m in range(1, 13)]),
                      y_range=FactorRange(factors=[str(y) for y in months.index][::-1]),
                      tooltips=[("return", "@label")])
        mapper = LinearColorMapper(palette=("#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf",
                                            "#2166ac"), low=-limit, high=limit)
        heat.rect(x="month", y="year", width=1, height=1, source=source,
                  fill_color={"field": "ret", "transform": mapper}, line_color=None)
        parts.append(heat)
    return column(*parts, sizing_mode="stretch_width")


def write_html(result: BacktestResult, path: Path) -> Path:
    """Write the report as one self-contained HTML file (Bokeh JS and CSS inlined).

    Parameters
    ----------
    result : BacktestResult
        A finished backtest.
    path : pathlib.Path
        The file to write.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    text = file_html(layout(result), INLINE, title=f"Athena backtest: {result.strategy}")
    path.write_text(text, encoding="utf-8")
    return path
