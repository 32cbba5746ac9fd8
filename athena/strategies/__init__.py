"""Strategies: the ``Strategy`` base class, indicator helpers, built-ins and the registry.

Built-ins, registered by name: ``sma_cross``, ``momentum``, ``mean_reversion``, ``breakout``,
``buy_and_hold``. Any other strategy is found by ``"package.module:Class"`` or after
:func:`register`.
"""

from athena.strategies import indicators
from athena.strategies.base import BarView, Broker, Strategy
from athena.strategies.builtins import Breakout, BuyAndHold, MeanReversion, Momentum, SignalStrategy, SmaCross
from athena.strategies.orders import Fill, Order, OrderStatus, OrderType, Position
from athena.strategies.registry import available, create, get, register

for _builtin in (SmaCross, Momentum, MeanReversion, Breakout, BuyAndHold):
    register(_builtin)
del _builtin

__all__ = [
    "BarView",
    "Breakout",
    "Broker",
    "BuyAndHold",
    "Fill",
    "MeanReversion",
    "Momentum",
    "Order",
    "OrderStatus",
    "OrderType",
    "Position",
    "SignalStrategy",
    "SmaCross",
    "Strategy",
    "available",
    "create",
    "get",
    "indicators",
    "register",
]
