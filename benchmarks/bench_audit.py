"""Audit ledger throughput: durable appends per second and verification rate.

Each append is its own write transaction (SQLite: WAL, synchronous=FULL; PostgreSQL: default
commit), as a Console action would make it. Run: ``.venv/bin/python benchmarks/bench_audit.py``.
PostgreSQL is measured when ``ATHENA_TEST_PG_URL`` (default the local test database) answers.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from athena.audit import append, verify
from athena.model import AuditOutcome
from athena.testing import new_workspace
from athena.testing.postgres import create_schema, drop_schema, postgres_unavailable
from athena.workspace import Workspace


def bench(ws: Workspace, appends: int, bulk: int) -> dict[str, float]:
    start = time.perf_counter()
    for i in tqdm(range(appends), desc=f"{ws.store.dialect} appends", leave=False):
        with ws.store.write() as s:
            append(s, ws.key, ts=ws.clock.now(), actor="bench", action="bench.append", subject=f"n:{i}",
                   outcome=AuditOutcome.OK, payload={"i": i, "note": "benchmark entry"})
    append_rate = appends / (time.perf_counter() - start)
    with ws.store.write() as s:
        for i in range(bulk):
            append(s, ws.key, ts=ws.clock.now(), actor="bench", action="bench.bulk", subject=f"b:{i}",
                   outcome=AuditOutcome.OK, payload={"i": i})
    start = time.perf_counter()
    report = verify(ws.store, ws.key)
    elapsed = time.perf_counter() - start
    assert report.ok, report
    return {"appends_per_s": append_rate, "verify_entries_per_s": report.entries / elapsed, "entries": report.entries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--bulk", type=int, default=20_000)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ws, _ = new_workspace(Path(tmp) / "sqlite")
        rows.append(("sqlite", bench(ws, args.appends, args.bulk)))
        ws.close()
        reason = postgres_unavailable()
        if reason:
            print(f"postgresql: skipped ({reason})")
        else:
            schema, url = create_schema("athena_bench")
            ws, _ = new_workspace(Path(tmp) / "pg", db_url=url)
            rows.append(("postgresql", bench(ws, args.appends, args.bulk)))
            ws.close()
            drop_schema(schema)
    print(f"{'backend':12} {'appends/s':>12} {'verify entries/s':>18} {'entries':>9}")
    for name, r in rows:
        print(f"{name:12} {r['appends_per_s']:12,.0f} {r['verify_entries_per_s']:18,.0f} {r['entries']:9,.0f}")


if __name__ == "__main__":
    main()
