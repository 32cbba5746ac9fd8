"""The MAX_VAR pre-trade check: its cost on the order path, cold and with the cached return matrix.

A workspace with ``--symbols`` instruments, each holding a position, and ``--snapshots`` engine
snapshots recording every mark (the 600-snapshot window the check reads). Reported:

- the VaR check alone (:func:`athena.risk.var_limit.pre_trade_var`) inside a read transaction:
  cold (history read from the database), warm (cached matrix: one product and one quantile) and
  after one new snapshot (only that row is read, the matrix rebuilt);
- ``Console.submit_order`` end to end (authorize, every pre-trade check, OMS, paper fill, audit,
  events) with no limit, with a MAX_ORDER_NOTIONAL limit (the mandate machinery: the scope's book
  is valued) and with MAX_VAR added, as the median of ``--orders`` orders.

Run: ``.venv/bin/python benchmarks/bench_var_limit.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from bench_risk import timed

from athena.execution import PaperVenue
from athena.model import Order, OrderRequest, Side
from athena.risk import var_limit
from athena.risk.checks import limits_of
from athena.store import InstrumentRow, SnapshotRow
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.workspace import Workspace

ZERO = Decimal(0)


def snapshots(ws: Workspace, symbols: list[str], count: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    paths = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, size=(count, len(symbols))), axis=0))
    end = ws.clock.now()
    with ws.store.write() as s:
        for k, row in enumerate(paths):
            detail = {"marks": {x: f"{p:.6f}" for x, p in zip(symbols, row, strict=True)}}
            s.add(SnapshotRow(ts=end - timedelta(seconds=count - k), nav=ZERO, cash=ZERO, realized_pnl=ZERO,
                              unrealized_pnl=ZERO, fees=ZERO, gross_exposure=ZERO, net_exposure=ZERO,
                              leverage=ZERO, drawdown=ZERO, peak_nav=ZERO, detail=json.dumps(detail)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--snapshots", type=int, default=var_limit.WINDOW + 1)
    parser.add_argument("--orders", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws, _ = new_workspace(Path(tmp) / "ws")
        admin = ws.login("admin", ADMIN_PASSWORD)
        symbols = [f"S{i:02d}/USDT" for i in range(args.symbols)]
        with ws.store.write() as s:
            for x in symbols:  # instruments as a venue sync would list them
                s.add(InstrumentRow(symbol=x, venue="paper", tick_size=Decimal("0.01"), lot_size=Decimal("0.001"),
                                    min_quantity=Decimal("0.001")))
                PaperVenue().set_mark(s, x, "100", ws.clock.now())
        snapshots(ws, symbols, args.snapshots)
        for x in symbols:
            admin.submit_order(x, "buy", "1")

        def submit() -> None:
            result = admin.submit_order(symbols[0], "buy", "0.001")
            if not isinstance(result, Order):
                raise SystemExit(f"the benchmark order was denied: {result}")

        def order_latency() -> float:
            with ws.store.write() as s:  # fresh marks, so the stale-price check passes on a slow machine
                for x in symbols:
                    PaperVenue().set_mark(s, x, "100", ws.clock.now())
            return timed(submit, args.orders)

        without = order_latency()
        admin.set_limit("global", "MAX_ORDER_NOTIONAL", breach="1000000")
        other = order_latency()
        admin.set_limit("global", "MAX_VAR", breach="1000000")
        request = OrderRequest(symbols[0], Side.BUY, Decimal("0.001"))
        view = admin.portfolio()

        def check() -> object:
            with ws.store.read() as s:
                return var_limit.pre_trade_var(s, request, Decimal(100), view, limits_of(s, ["global"]))

        var_limit._HISTORIES.clear()
        cold = timed(check, 1)
        warm = timed(check, 200)

        def after_snapshot(seed: int) -> float:
            snapshots(ws, symbols, 1, seed=seed)
            start = time.perf_counter()
            check()
            return time.perf_counter() - start

        fresh = statistics.median(after_snapshot(seed) for seed in range(20))
        with_var = order_latency()
        ws.close()
    print(f"{args.symbols} positions, {args.snapshots} snapshots, window {var_limit.WINDOW}")
    print(f"VaR check cold (reads the history)  : {cold * 1e3:8.2f} ms")
    print(f"VaR check warm (cached matrix)      : {warm * 1e3:8.3f} ms")
    print(f"VaR check after one new snapshot    : {fresh * 1e3:8.2f} ms")
    print(f"submit_order, no limit (p50)        : {without * 1e3:8.2f} ms")
    print(f"submit_order, MAX_ORDER_NOTIONAL    : {other * 1e3:8.2f} ms")
    print(f"submit_order, + MAX_VAR (p50)       : {with_var * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
