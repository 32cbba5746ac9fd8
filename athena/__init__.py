"""Athena: a Jupyter-centric research and operations environment for quantitative trading.

Open a workspace and act through a Console bound to who you are::

    import athena
    ws = athena.connect()                  # $ATHENA_HOME or ./.athena
    console = ws.login("alice", "...")     # every state change goes through this
    console.audit()                        # the hash-chained ledger

Research needs no workspace::

    bars = athena.data.load("prices.csv")            # or athena.data.synthetic(...)
    result = athena.backtest("sma_cross", bars, params={"fast": 10, "slow": 30}, commission=0.001)
    result.metrics; result.trades; result.equity; result.report("run.html")

``data``, ``strategies`` and ``backtest`` load on first use, so ``import athena`` stays light;
it never imports Panel, Jupyter or ccxt.
"""

import importlib
from types import ModuleType

from athena.clock import LiveClock, SimulatedClock
from athena.config import Settings
from athena.console import Console
from athena.errors import AthenaError
from athena.model import Role, TradingMode
from athena.workspace import Workspace, connect

__version__ = "0.1.0"

_LAZY = ("backtest", "data", "execution", "risk", "strategies")


def __getattr__(name: str) -> ModuleType:
    if name in _LAZY:
        return importlib.import_module(f"athena.{name}")
    raise AttributeError(f"module 'athena' has no attribute {name!r}")

__all__ = [
    "AthenaError",
    "Console",
    "LiveClock",
    "Role",
    "Settings",
    "SimulatedClock",
    "TradingMode",
    "Workspace",
    "__version__",
    "backtest",
    "connect",
    "data",
    "execution",
    "risk",
    "strategies",
]
