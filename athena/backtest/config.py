"""Frozen settings of one backtest: cash, costs, fill timing, sizing."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import Literal

from athena.errors import InvalidInput

__all__ = ["BacktestConfig", "FillAt"]

FillAt = Literal["close", "next_open"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestConfig:
    """How a backtest trades.

    A frozen dataclass rather than a pydantic model so that bad values raise Athena's
    ``InvalidInput`` (pydantic would wrap it in its own ``ValidationError``).

    Parameters
    ----------
    cash : float
        Starting cash, > 0.
    commission : float
        Fraction of traded value paid on every fill (each side), in ``[0, 0.1]``.
    fixed_commission : float
        Cash paid on every fill, >= 0.
    slippage_bps : float
        Adverse price move on market and stop fills, in basis points, >= 0.
    fill : {"close", "next_open"}
        Market orders fill at the close of the bar whose ``on_bar`` placed them, or at the open of
        that symbol's next bar.
    fractional : bool
        Whether sizes may be fractional; otherwise all-in sizes round down to whole units and an
        explicit fractional size is refused.
    close_at_end : bool
        Whether positions still open after the last bar are closed at its close (with costs).
    periods_per_year : float, optional
        Bars per year for annualising; default: inferred from the timestamps.
    risk_free : float
        Annual risk-free rate for Sharpe and Sortino.
    """

    cash: float
    commission: float = 0.0
    fixed_commission: float = 0.0
    slippage_bps: float = 0.0
    fill: FillAt = "close"
    fractional: bool = True
    close_at_end: bool = False
    periods_per_year: float | None = None
    risk_free: float = 0.0

    def __post_init__(self) -> None:
        if not _finite(self.cash) or self.cash <= 0:
            raise InvalidInput(f"cash must be > 0, was cash={self.cash!r}")
        if not _finite(self.commission) or not 0.0 <= self.commission <= 0.1:
            raise InvalidInput(
                f"commission must be a fraction in [0, 0.1] (0.001 = 0.1%), was commission={self.commission!r}"
            )
        if not _finite(self.fixed_commission) or self.fixed_commission < 0:
            raise InvalidInput(f"fixed_commission must be >= 0, was fixed_commission={self.fixed_commission!r}")
        if not _finite(self.slippage_bps) or not 0 <= self.slippage_bps < 10_000:
            raise InvalidInput(f"slippage_bps must be in [0, 10000), was slippage_bps={self.slippage_bps!r}")
        if self.fill not in ("close", "next_open"):
            raise InvalidInput(f"fill must be 'close' or 'next_open', was fill={self.fill!r}")
        if self.periods_per_year is not None and (
            not _finite(self.periods_per_year) or self.periods_per_year <= 0
        ):
            raise InvalidInput(f"periods_per_year must be > 0, was {self.periods_per_year!r}")
        if not _finite(self.risk_free):
            raise InvalidInput(f"risk_free must be finite, was {self.risk_free!r}")

    @property
    def fill_description(self) -> str:
        """Return the fill timing in words, as stated in results and reports."""
        if self.fill == "close":
            return "market orders fill at the close of the signal bar"
        return "market orders fill at the open of the bar after the signal bar"

    def digest(self, strategy: str, params: dict[str, object]) -> str:
        """Return the SHA-256 of this config with a strategy name and parameters.

        Parameters
        ----------
        strategy : str
            The strategy name.
        params : dict[str, object]
            Its parameters.

        Returns
        -------
        str
            Hex digest of canonical JSON.
        """
        payload = {"config": asdict(self), "strategy": strategy, "params": params}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
