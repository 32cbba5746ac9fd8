"""Athena: a Jupyter-centric research and operations environment for quantitative trading.

Open a workspace and act through a Console bound to who you are::

    import athena
    ws = athena.connect()                  # $ATHENA_HOME or ./.athena
    console = ws.login("alice", "...")     # every state change goes through this
    console.audit()                        # the hash-chained ledger

This module imports no Panel, Jupyter or ccxt code.
"""

from athena.clock import LiveClock, SimulatedClock
from athena.config import Settings
from athena.console import Console
from athena.errors import AthenaError
from athena.model import Role, TradingMode
from athena.workspace import Workspace, connect

__version__ = "0.1.0"

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
    "connect",
]
