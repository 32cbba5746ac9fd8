"""A seeded synthetic live feed: correlated geometric random walks, one price and volume per symbol per tick."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

__all__ = ["DEFAULT_PRICES", "SyntheticFeed"]

DEFAULT_PRICES: dict[str, Decimal] = {
    "BTC/USDT": Decimal("65000"),
    "ETH/USDT": Decimal("3200"),
    "SOL/USDT": Decimal("150"),
}
_SECONDS_PER_YEAR = 365.25 * 24 * 3600


@dataclass
class SyntheticFeed:
    """Prices that move like markets: annualised volatility, pairwise correlation, rare jumps.

    Each call to :meth:`tick` advances every symbol by ``dt_s`` seconds and returns prices
    rounded to ``tick_sizes``; :attr:`volumes` then holds what traded in those seconds (about
    ``notional_per_s`` of quote currency a second, log-normally spread). The same seed gives the
    same path, and the volumes come from their own generator so they never change the prices.
    """

    prices: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    tick_sizes: dict[str, Decimal] = field(default_factory=dict)
    volatility: float = 0.8
    correlation: float = 0.6
    jump_probability: float = 0.0005
    jump_size: float = 0.02
    seed: int = 0
    notional_per_s: float = 50_000.0
    volumes: dict[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.prices:
            raise ValueError("a feed needs at least one symbol")
        if not 0 <= self.correlation < 1:
            raise ValueError(f"correlation must be in [0, 1), was {self.correlation}")
        if self.volatility <= 0:
            raise ValueError(f"volatility must be > 0, was {self.volatility}")
        n = len(self.prices)
        cov = np.full((n, n), self.correlation) + np.eye(n) * (1 - self.correlation)
        self._chol = np.linalg.cholesky(cov)
        if self.notional_per_s <= 0:
            raise ValueError(f"notional_per_s must be > 0, was {self.notional_per_s}")
        self._rng = np.random.default_rng(self.seed)
        self._volume_rng = np.random.default_rng([self.seed, 1])
        self._log = np.log(np.array([float(p) for p in self.prices.values()]))

    @property
    def symbols(self) -> tuple[str, ...]:
        """Return the symbols in feed order."""
        return tuple(self.prices)

    def tick(self, dt_s: float = 1.0) -> dict[str, Decimal]:
        """Advance ``dt_s`` seconds and return the new prices."""
        if dt_s <= 0:
            raise ValueError(f"dt_s must be > 0, was {dt_s}")
        step_vol = self.volatility * math.sqrt(dt_s / _SECONDS_PER_YEAR)
        shocks = self._chol @ self._rng.standard_normal(len(self.prices))
        jumps = (self._rng.random(len(self.prices)) < self.jump_probability) * self._rng.choice(
            [-self.jump_size, self.jump_size], size=len(self.prices))
        self._log = self._log + step_vol * shocks - 0.5 * step_vol**2 + jumps
        out = {}
        for symbol, log_price in zip(self.prices, self._log, strict=True):
            price = Decimal(repr(float(np.exp(log_price))))
            tick = self.tick_sizes.get(symbol)
            out[symbol] = (price / tick).quantize(Decimal(1), ROUND_HALF_EVEN) * tick if tick else price
        self.prices = out
        spread = self._volume_rng.lognormal(-0.125, 0.5, len(out))
        self.volumes = {symbol: Decimal(repr(round(self.notional_per_s * dt_s * float(k) / float(price), 8)))
                        for (symbol, price), k in zip(out.items(), spread, strict=True)}
        return out
