"""Load generators for concurrency tests and benchmarks, runnable in other processes."""

from __future__ import annotations

import time
from multiprocessing.synchronize import Barrier

from athena.model import OrderDenied
from athena.workspace import connect

__all__ = ["hammer_orders"]


def hammer_orders(home: str, db_url: str, username: str, password: str, seconds: float, barrier: Barrier) -> None:
    """Log in, wait at ``barrier``, then submit resting limit buys as fast as possible for ``seconds``.

    Stops early once orders come back denied because trading is halted.
    """
    ws = connect(home, db_url)
    console = ws.login(username, password)
    barrier.wait()
    deadline = time.time() + seconds
    while time.time() < deadline:
        result = console.submit_order("BTC/USDT", "buy", "0.001", type="limit", price="1000")
        if isinstance(result, OrderDenied):
            break
    ws.close()
