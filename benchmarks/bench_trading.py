"""Trading runtime throughput and the kill switch under load.

- OMS throughput: orders per second through Console (session check, pre-trade checks, OMS,
  paper venue fill, audit entry, events), one durable transaction per order, from one process.
- Kill switch: ``--workers`` processes submit resting limit orders as fast as they can; after
  two seconds the kill switch is engaged. We time engage-to-all-cancelled (the engaging
  transaction halts trading and cancels every open order; it returns once that has committed),
  measure the load held (orders accepted per second across all workers in the last second
  before the engage; the first second warms the workers up), and check that
  nothing was accepted after the engaging commit, that no order is left open and that every
  accepted order was cancelled with its transition row. Repeated ``--trials`` times.

Run: ``.venv/bin/python benchmarks/bench_trading.py`` (PostgreSQL too when it answers);
``--synchronous normal`` measures SQLite with ``ATHENA_SQLITE_SYNCHRONOUS=normal``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import select
from tqdm import tqdm

from athena.audit import AuditFilter
from athena.execution import PaperVenue
from athena.model import AuditOutcome, OrderStatus, Role
from athena.store import OrderTransitionRow
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.testing.load import hammer_orders
from athena.testing.postgres import create_schema, drop_schema, postgres_unavailable

PW = "Bench-Passw0rd-1"
WARM_UP_S = 1.0
WARM_UP_ORDERS = 20
WINDOW_S = 1.0


def throughput(home: Path, db_url: str | None, orders: int) -> float:
    ws, _ = new_workspace(home, db_url=db_url)
    admin = ws.login("admin", ADMIN_PASSWORD)
    admin.add_user("trader", Role.TRADER, PW)
    trader = ws.login("trader", PW)
    with ws.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", "50000", ws.clock.now())
    for i in range(WARM_UP_ORDERS):
        trader.submit_order("BTC/USDT", "buy" if i % 2 else "sell", "0.001")
    start = time.perf_counter()
    for i in tqdm(range(orders), desc="orders", leave=False):
        trader.submit_order("BTC/USDT", "buy" if i % 2 else "sell", "0.001")
    rate = orders / (time.perf_counter() - start)
    ws.close()
    return rate


def kill_switch_trial(home: Path, db_url: str | None, workers_n: int) -> tuple[float, float, bool]:
    ws, _ = new_workspace(home, db_url=db_url)
    admin = ws.login("admin", ADMIN_PASSWORD)
    admin.add_user("trader", Role.TRADER, PW)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers_n + 1)
    workers = [ctx.Process(target=hammer_orders, args=(str(ws.settings.home), ws.settings.db_url, "trader", PW,
                                                       30.0, barrier)) for _ in range(workers_n)]
    for w in workers:
        w.start()
    admin.cancel_all_orders(reason="warm-up")  # the operator's process has run the cancel path before
    barrier.wait(timeout=120)
    time.sleep(WARM_UP_S + WINDOW_S)  # the workers' first orders compile statements and fill caches
    t0 = time.perf_counter()
    admin.engage_kill_switch("benchmark")
    latency = time.perf_counter() - t0
    for w in workers:
        w.join(60)
    entries = admin.audit(AuditFilter(limit=None, newest_first=False))
    engage = next(e for e in entries if e.action == "killswitch.engage")
    accepted = [e for e in entries if e.action == "orders.submit" and e.outcome is AuditOutcome.OK]
    held = [e for e in accepted if (engage.ts - e.ts).total_seconds() <= WINDOW_S]
    load = len(held) / WINDOW_S
    orders = admin.orders(limit=100_000)
    cancelled = {o.id for o in orders if o.status is OrderStatus.CANCELLED}
    with ws.store.read() as s:
        trail = set(s.exec(select(OrderTransitionRow.order_id).where(
            OrderTransitionRow.to_status == OrderStatus.CANCELLED.value)).all())
    clean = (all(e.seq < engage.seq for e in accepted) and not any(o.status.is_open for o in orders)
             and len(cancelled) == len(accepted) and trail == cancelled)
    ws.close()
    return latency, load, clean


def _fresh_url(backend: str, schemas: list[str]) -> str | None:
    if backend == "sqlite":
        return None
    schema, url = create_schema("athena_bench")
    schemas.append(schema)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4, help="processes submitting orders in the kill switch trial")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full",
                        help="SQLite durability (ATHENA_SQLITE_SYNCHRONOUS)")
    args = parser.parse_args()
    os.environ["ATHENA_SQLITE_SYNCHRONOUS"] = args.synchronous
    print(f"{args.workers} submitting processes, SQLite synchronous={args.synchronous}")
    backends = [b for b in ("sqlite", "postgresql") if args.backend in (b, "both")]
    reason = postgres_unavailable() if "postgresql" in backends else None
    if reason:
        print(f"postgresql: skipped ({reason})")
        backends.remove("postgresql")
    print(f"{'backend':11} {'orders/s':>9} {'engage p50 ms':>14} {'engage p99 ms':>14} {'load orders/s':>14} clean")
    for name in backends:
        schemas: list[str] = []
        with tempfile.TemporaryDirectory() as tmp:
            rate = throughput(Path(tmp) / "t", _fresh_url(name, schemas), args.orders)
            trials = [kill_switch_trial(Path(tmp) / f"k{i}", _fresh_url(name, schemas), args.workers)
                      for i in range(args.trials)]
        for schema in schemas:
            drop_schema(schema)
        latencies = sorted(t[0] * 1000 for t in trials)
        p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
        load = statistics.median(t[1] for t in trials)
        print(f"{name:11} {rate:9,.0f} {statistics.median(latencies):14.1f} {p99:14.1f} {load:14,.0f} "
              f"{all(t[2] for t in trials)}")


if __name__ == "__main__":
    main()
