"""VaR and stress speed at portfolio scale.

- Historical and Monte Carlo VaR/CVaR with component VaR: 500 assets x 2,500 days of returns,
  10,000 correlated paths (goals: historical under 1 s, Monte Carlo under 10 s).
- Parametric and Cornish-Fisher on the same data, for reference.
- Stress: 50 scenarios x 1,000 positions (impact with stops, liquidity and limits).

Each figure is the median of ``--repeat`` runs. Run: ``.venv/bin/python benchmarks/bench_risk.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from athena import stress
from athena.risk.var import value_at_risk

GOALS = {"historical": 1.0, "montecarlo": 10.0}


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def returns_matrix(assets: int, days: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((days, 10)) * 0.01
    loadings = rng.normal(0.0, 1.0, size=(10, assets)) / np.sqrt(10)
    values = factors @ loadings + rng.standard_normal((days, assets)) * 0.01
    index = pd.date_range("2015-01-01", periods=days, freq="D", tz="UTC")
    return pd.DataFrame(values, index=index, columns=[f"S{i:03d}" for i in range(assets)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--days", type=int, default=2_500)
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--scenarios", type=int, default=50)
    parser.add_argument("--positions", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    returns = returns_matrix(args.assets, args.days)
    rng = np.random.default_rng(1)
    exposures = dict(zip(returns.columns, rng.normal(0.0, 1e5, size=args.assets), strict=True))
    print(f"VaR/CVaR at 99%, 10-day horizon, {args.assets} assets x {args.days} days, component VaR included")
    for method in ("historical", "parametric", "cornish_fisher", "montecarlo"):
        seconds = timed(lambda m=method: value_at_risk(returns, exposures, method=m, confidence=0.99, horizon=10,
                                                       simulations=args.paths, seed=0), args.repeat)
        goal = f"  (goal < {GOALS[method]:g} s: {'met' if seconds < GOALS[method] else 'MISSED'})" \
            if method in GOALS else ""
        extra = f", {args.paths:,} paths" if method == "montecarlo" else ""
        print(f"  {method:15} {seconds:8.3f} s{extra}{goal}")

    symbols = [f"P{i:04d}" for i in range(args.positions)]
    prices = dict(zip(symbols, rng.uniform(5.0, 500.0, size=args.positions), strict=True))
    quantities = dict(zip(symbols, rng.normal(0.0, 100.0, size=args.positions), strict=True))
    stops = {s: prices[s] * (0.8 if quantities[s] > 0 else 1.2) for s in symbols[::3]}
    book = stress.Portfolio(positions=quantities, prices=prices, cash=1e7, stops=stops)
    scenarios = [stress.combine(
        stress.price_shock(float(rng.uniform(-0.4, 0.1)),
                           symbols=dict(zip(symbols[:50], rng.uniform(-0.6, 0.2, size=50), strict=True))),
        stress.liquidity_haircut(float(rng.uniform(0, 100)), float(rng.uniform(0, 100))),
        name=f"scenario_{i}") for i in range(args.scenarios)]
    limits = stress.Limits(max_gross_leverage=3.0, max_drawdown=0.2, max_position_notional=50_000.0)
    seconds = timed(lambda: stress.run(scenarios, book, limits=limits), args.repeat)
    print(f"Stress: {args.scenarios} scenarios x {args.positions} positions  {seconds:8.3f} s "
          f"({seconds / args.scenarios * 1e3:.1f} ms per scenario)")


if __name__ == "__main__":
    main()
