"""Backtesting: the event-driven engine, costs and fills, metrics, sweeps, walk-forward, reports.

Start with :func:`run`; :func:`sweep` scans a parameter grid (a compiled path replays the built-ins
with exactly the engine's trades) and :func:`walk_forward` optimises in-sample and stitches the
out-of-sample runs.
"""

import sys
from types import ModuleType
from typing import Any

from athena.backtest.config import BacktestConfig
from athena.backtest.metrics import Metrics, compute_metrics
from athena.backtest.result import BacktestResult, execute, run
from athena.backtest.sweep import OBJECTIVES, SweepResult, sweep
from athena.backtest.walkforward import WalkForwardResult, walk_forward

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "Metrics",
    "OBJECTIVES",
    "SweepResult",
    "WalkForwardResult",
    "compute_metrics",
    "execute",
    "run",
    "sweep",
    "walk_forward",
]


class _CallableModule(ModuleType):
    """Lets notebooks write ``athena.backtest(strategy, bars, ...)`` for ``athena.backtest.run``."""

    def __call__(self, *args: Any, **kwargs: Any) -> BacktestResult:
        return run(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
