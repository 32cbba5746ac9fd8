"""Figures the operator pages derive from engine snapshots: Sharpe, drawdown, daily PnL, VaR/CVaR.

Snapshots are the engine's record of the book every ``snapshot_every_s``; these functions turn a
window of them into the numbers the Command center and the Risk control tower show, and say how.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from athena.console import Snapshot
from athena.errors import AthenaError
from athena.execution.portfolio import PortfolioView
from athena.risk.var import value_at_risk

__all__ = [
    "SECONDS_PER_YEAR",
    "VAR_WINDOW",
    "DayOpen",
    "Sharpe",
    "day_start",
    "drawdown",
    "mark_returns",
    "sharpe",
    "var_table",
]

#: Seconds in a year of continuous (24/7) trading, used to annualise snapshot returns.
SECONDS_PER_YEAR = 365 * 24 * 3600
#: How many of the newest snapshots VaR and CVaR are measured on.
VAR_WINDOW = 600
_MIN_RETURNS = 10


@dataclass(frozen=True, slots=True)
class Sharpe:
    """An annualised Sharpe ratio and the window it was measured over."""

    value: float | None
    returns: int
    period_s: float
    span_s: float

    def describe(self) -> str:
        """Return the window in words, e.g. ``'599 returns of 1 s over 10.0 min, 24/7 year'``."""
        if self.returns == 0:
            return "needs at least 2 snapshots"
        span = f"{self.span_s / 60:.1f} min" if self.span_s < 7200 else f"{self.span_s / 3600:.1f} h"
        return f"{self.returns} returns of {self.period_s:.3g} s over {span}, annualised on a 24/7 year"


def day_start(now: datetime) -> datetime:
    """Return 00:00 UTC of ``now``'s day (where daily PnL and daily loss start)."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


class DayOpen:
    """The first snapshot of the current UTC day, read once it exists and kept until the day ends."""

    def __init__(self) -> None:
        self._day: datetime | None = None
        self._snapshot: Snapshot | None = None

    def get(self, now: datetime, read: Callable[[datetime], Snapshot | None]) -> Snapshot | None:
        """Return the day's first snapshot, calling ``read(00:00 UTC)`` only while it is not known."""
        start = day_start(now)
        if self._snapshot is None or self._day != start:
            self._day, self._snapshot = start, read(start)
        return self._snapshot


def sharpe(snapshots: Sequence[Snapshot]) -> Sharpe:
    """Return the Sharpe ratio of NAV returns between consecutive snapshots, annualised.

    ``mean(r) / std(r, ddof=1) * sqrt(SECONDS_PER_YEAR / period)``, where ``r`` are the simple NAV
    returns and ``period`` the median spacing of the snapshots; no risk-free rate. None when there
    are fewer than two returns or they do not vary.
    """
    navs = np.array([float(s.nav) for s in snapshots], dtype=np.float64)
    if len(navs) < 3:
        return Sharpe(None, max(len(navs) - 1, 0), 0.0, 0.0)
    returns = navs[1:] / navs[:-1] - 1.0
    gaps = np.diff([s.ts.timestamp() for s in snapshots])
    period = float(np.median(gaps))
    span = float(snapshots[-1].ts.timestamp() - snapshots[0].ts.timestamp())
    std = float(returns.std(ddof=1))
    if period <= 0 or std == 0.0 or not math.isfinite(std):
        return Sharpe(None, len(returns), period, span)
    return Sharpe(float(returns.mean()) / std * math.sqrt(SECONDS_PER_YEAR / period), len(returns), period, span)


def drawdown(nav: Decimal, peak: Decimal) -> Decimal:
    """Return the fall from ``peak`` as a positive fraction (0 at or above the peak)."""
    return max(Decimal(0), 1 - nav / peak) if peak > 0 else Decimal(0)


def mark_returns(snapshots: Sequence[Snapshot], symbols: Sequence[str]) -> pd.DataFrame:
    """Return simple returns of the marks of ``symbols`` between snapshots that price them all."""
    rows = {}
    for snap in snapshots:
        marks = {p["symbol"]: float(p["mark"]) for p in snap.detail.get("positions", [])
                 if p.get("mark") not in (None, "None")}
        if all(s in marks for s in symbols):
            rows[pd.Timestamp(snap.ts)] = [marks[s] for s in symbols]
    prices = pd.DataFrame.from_dict(rows, orient="index", columns=list(symbols), dtype=np.float64)
    return prices.pct_change().iloc[1:]


def var_table(snapshots: Sequence[Snapshot], view: PortfolioView) -> tuple[dict[str, float | None], str]:
    """Return historical VaR and CVaR at 95 % and 99 % of the book, and how they were measured.

    Historical simulation (:func:`athena.risk.var.value_at_risk`, ``method="historical"``): the
    current exposures (quantity times mark) revalued with each past return of the marks between
    consecutive snapshots, one snapshot period ahead; losses are positive, in the quote currency.
    """
    exposures = {p.symbol: float(p.market_value) for p in view.positions if p.quantity and p.mark is not None}
    empty: dict[str, float | None] = {"var95": None, "cvar95": None, "var99": None, "cvar99": None}
    if not exposures:
        return empty, "historical simulation: the book is flat"
    returns = mark_returns(snapshots, list(exposures))
    if len(returns) < _MIN_RETURNS:
        return empty, f"historical simulation: needs {_MIN_RETURNS} snapshot returns, has {len(returns)}"
    out = dict(empty)
    try:
        for level, confidence in (("95", 0.95), ("99", 0.99)):
            result = value_at_risk(returns, exposures, method="historical", confidence=confidence)
            out[f"var{level}"], out[f"cvar{level}"] = result.var, result.cvar
    except AthenaError as exc:
        return empty, f"historical simulation failed: {exc}"
    return out, (f"historical simulation, {len(returns)} snapshot-to-snapshot mark returns, "
                 "current exposures, one-snapshot horizon")
