"""Exposures and concentration of a portfolio: notional per symbol, gross/net, leverage, HHI."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.errors import InvalidInput

__all__ = ["Concentration", "Exposures", "concentration", "exposures"]


@dataclass(frozen=True)
class Exposures:
    """Notional exposures of a portfolio.

    Attributes
    ----------
    table : pandas.DataFrame
        Per symbol (index): ``quantity``, ``price``, ``notional`` (signed) and ``weight``
        (notional over NAV, or over gross exposure without a NAV), largest absolute first.
    gross, net, long, short : float
        Sum of absolute notionals, signed sum, sum of long and of short (negative) notionals.
    nav : float or None
        Net asset value when known.
    gross_leverage, net_leverage : float or None
        ``gross / nav`` and ``net / nav``; infinite when NAV is not positive, None without NAV.
    """

    table: pd.DataFrame = field(repr=False)
    gross: float
    net: float
    long: float
    short: float
    nav: float | None
    gross_leverage: float | None
    net_leverage: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly summary (non-finite leverage becomes None)."""
        def finite(value: float | None) -> float | None:
            return value if value is not None and math.isfinite(value) else None

        return {
            "gross": self.gross, "net": self.net, "long": self.long, "short": self.short, "nav": self.nav,
            "gross_leverage": finite(self.gross_leverage), "net_leverage": finite(self.net_leverage),
            "positions": [{"symbol": str(s), **{k: float(v) for k, v in row.items()}}
                          for s, row in self.table.iterrows()],
        }


@dataclass(frozen=True)
class Concentration:
    """How concentrated a portfolio is in its largest positions.

    Attributes
    ----------
    weights : pandas.Series
        Absolute notional over gross exposure per symbol, largest first; they sum to 1.
    hhi : float
        Herfindahl-Hirschman index, the sum of squared weights: ``1/n`` for ``n`` equal positions, 1
        for one position.
    effective_positions : float
        ``1 / hhi``.
    top : pandas.Series
        The ``n`` largest weights.
    """

    weights: pd.Series = field(repr=False)
    hhi: float
    effective_positions: float
    top: pd.Series = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly summary."""
        return {"hhi": self.hhi, "effective_positions": self.effective_positions,
                "top": {str(k): float(v) for k, v in self.top.items()}}


_Array = npt.NDArray[np.float64]


def _priced(positions: Mapping[str, float | Decimal],
            prices: Mapping[str, float | Decimal]) -> tuple[list[str], _Array, _Array]:
    held = {str(s): float(q) for s, q in positions.items() if float(q) != 0.0}
    bad_qty = sorted(s for s, q in held.items() if not math.isfinite(q))
    if bad_qty:
        raise InvalidInput(f"quantities must be finite, were not for {', '.join(bad_qty)}")
    marks = {str(s): float(p) for s, p in prices.items()}
    missing = sorted(s for s in held if s not in marks or not math.isfinite(marks[s]) or marks[s] <= 0)
    if missing:
        raise InvalidInput(f"no valid price for {', '.join(missing)}")
    symbols = list(held)
    return (symbols, np.array([held[s] for s in symbols], dtype=np.float64),
            np.array([marks[s] for s in symbols], dtype=np.float64))


def exposures(
    positions: Mapping[str, float | Decimal],
    prices: Mapping[str, float | Decimal],
    *,
    nav: float | None = None,
) -> Exposures:
    """Return notional exposures of positions at prices.

    Parameters
    ----------
    positions : mapping of str to float or Decimal
        Net quantity per symbol; zero quantities are left out.
    prices : mapping of str to float or Decimal
        Price per symbol; every held symbol needs a positive finite price.
    nav : float, optional
        Net asset value, for weights and leverage.

    Returns
    -------
    Exposures
        The table and totals.

    Raises
    ------
    InvalidInput
        When a held symbol has no valid price or a quantity is not finite.
    """
    symbols, qty, px = _priced(positions, prices)
    notional = qty * px
    gross = float(np.abs(notional).sum())
    base = nav if nav is not None and nav > 0 else gross
    table = pd.DataFrame({"quantity": qty, "price": px, "notional": notional,
                          "weight": notional / base if base else np.zeros_like(notional)},
                         index=pd.Index(symbols, name="symbol"))
    table = table.iloc[np.argsort(-np.abs(notional), kind="stable")]
    net = float(notional.sum())

    def ratio(value: float) -> float | None:
        if nav is None:
            return None
        return value / nav if nav > 0 else math.inf

    return Exposures(table=table, gross=gross, net=net, long=float(notional[notional > 0].sum()),
                     short=float(notional[notional < 0].sum()), nav=nav, gross_leverage=ratio(gross),
                     net_leverage=ratio(net))


def concentration(notionals: Mapping[str, float] | pd.Series, *, top: int = 5) -> Concentration:
    """Return the concentration of a portfolio by absolute notional.

    Parameters
    ----------
    notionals : mapping of str to float
        Signed notional (or exposure) per symbol.
    top : int
        How many of the largest weights to report.

    Returns
    -------
    Concentration
        Weights, HHI, effective number of positions and the largest weights.

    Raises
    ------
    InvalidInput
        When there is no non-zero finite notional.
    """
    series = pd.Series({str(k): abs(float(v)) for k, v in dict(notionals).items()}, dtype=np.float64)
    if series.empty or not np.isfinite(series.to_numpy()).all() or float(series.sum()) == 0.0:
        raise InvalidInput("concentration needs at least one non-zero finite notional")
    weights = (series / series.sum()).sort_values(ascending=False, kind="stable")
    hhi = float((weights.to_numpy() ** 2).sum())
    return Concentration(weights=weights, hhi=hhi, effective_positions=1.0 / hhi, top=weights.head(max(top, 0)))
