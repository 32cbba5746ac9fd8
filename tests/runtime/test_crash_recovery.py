"""kill -9 the engine while a strategy trades, restart it, and check nothing was lost or doubled."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from athena.console import Console
from athena.model import OrderStatus, Role, Side, fee_parts
from athena.testing import ADMIN_PASSWORD, new_workspace

PW = "Desk-Passw0rd-77"


def wait_for_ticks(console: Console, ticks: int, after: datetime | None, deadline: float) -> datetime:
    """Wait until an engine started later than ``after`` has ticked ``ticks`` times; return its start."""
    while time.monotonic() < deadline:
        status = console.engine_status()
        fresh = status is not None and (after is None or status.started_at > after)
        if status is not None and fresh and status.state == "running" and status.ticks >= ticks:
            return status.started_at
        time.sleep(0.05)
    raise AssertionError(f"the engine did not reach {ticks} ticks in time: {console.engine_status()}")


@pytest.mark.slow
def test_engine_when_killed_at_random_points_loses_and_doubles_nothing(tmp_path: Path) -> None:
    ws, _ = new_workspace(tmp_path / "ws")
    admin = ws.login("admin", ADMIN_PASSWORD)
    admin.add_user("quinn", Role.QUANT, PW)
    admin.add_user("rita", Role.RISK, PW)
    ws.login("quinn", PW).register_strategy("flip", "sma_cross", ["BTC/USDT", "ETH/USDT"],
                                            params={"fast": 2, "slow": 3}, capital=50_000, timeframe="1s")
    ws.login("rita", PW).approve_strategy("flip")
    admin.activate_strategy("flip")
    env = {**os.environ, "ATHENA_HOME": str(ws.settings.home)}
    env.pop("ATHENA_DB_URL", None)
    rng = random.Random(7)
    kills, started = 0, None
    while kills < 3 or (kills < 8 and len(admin.fills()) < 2):
        proc = subprocess.Popen([sys.executable, "-m", "athena", "engine", "--tick", "0.05", "--min-bars", "3",
                                 "--seed", str(rng.randrange(1000))], env=env, stderr=subprocess.PIPE)
        try:
            started = wait_for_ticks(admin, rng.randrange(120, 240), started, deadline=time.monotonic() + 90)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            _, err = proc.communicate(timeout=10)
            assert b"Traceback" not in err, err.decode()
        kills += 1
    orders = admin.orders(limit=100_000)
    fills = admin.fills(limit=100_000)
    assert len([o for o in orders if o.status is OrderStatus.FILLED]) >= 2, "the strategy never traded"
    assert all(count == 1 for count in Counter(o.client_order_id for o in orders).values())
    by_order = Counter[int]()
    for fill in fills:
        by_order[fill.order_id] += 1
    for order in orders:
        filled = sum((f.quantity for f in fills if f.order_id == order.id), Decimal(0))
        assert filled == order.filled_quantity, order
        assert order.status is not OrderStatus.FILLED or filled == order.quantity
    net: dict[str, Decimal] = {}
    for fill in fills:
        # A fee charged in the base currency leaves with the coins (none on paper; the rule all the same).
        in_coins = fee_parts(fill.symbol, fill.fee, fill.fee_detail)[1]
        net[fill.symbol] = net.get(fill.symbol, Decimal(0)) + Side(fill.side).sign * fill.quantity - in_coins
    assert {p.symbol: p.quantity for p in admin.portfolio().positions if p.quantity} == {
        k: v for k, v in net.items() if v}
    assert admin.verify_audit().ok
    submits = [e for e in admin.audit(None) if e.action == "orders.submit"]
    assert len(submits) == len(orders)
