"""Audit ledger throughput: durable appends per second and verification rate.

Each append is its own write transaction (SQLite: WAL, synchronous=FULL; PostgreSQL: default
commit), as a Console action would make it. Run: ``.venv/bin/python benchmarks/bench_audit.py``.
PostgreSQL is measured when ``ATHENA_TEST_PG_URL`` (default the local test database) answers.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text
from tqdm import tqdm

from athena.audit import append, verify
from athena.model import AuditOutcome
from athena.testing import new_workspace
from athena.workspace import Workspace

PG_URL = os.environ.get("ATHENA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


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


def _pg_schema() -> tuple[str, str] | None:
    try:
        engine = create_engine("postgresql+psycopg://" + PG_URL.split("://", 1)[1])
        schema = f"athena_bench_{uuid.uuid4().hex[:8]}"
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - report and skip the backend
        print(f"postgresql: skipped ({type(exc).__name__}: not reachable at {PG_URL})")
        return None
    sep = "&" if "?" in PG_URL else "?"
    return schema, f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


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
        pg = _pg_schema()
        if pg:
            schema, url = pg
            ws, _ = new_workspace(Path(tmp) / "pg", db_url=url)
            rows.append(("postgresql", bench(ws, args.appends, args.bulk)))
            ws.close()
            engine = create_engine("postgresql+psycopg://" + PG_URL.split("://", 1)[1])
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
    print(f"{'backend':12} {'appends/s':>12} {'verify entries/s':>18} {'entries':>9}")
    for name, r in rows:
        print(f"{name:12} {r['appends_per_s']:12,.0f} {r['verify_entries_per_s']:18,.0f} {r['entries']:9,.0f}")


if __name__ == "__main__":
    main()
