"""Feed latency percentiles on the engine's heartbeat row."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

COLUMNS = ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms")


def upgrade(conn: Connection, dialect: str) -> None:
    """Add p50/p95/p99 tick latency (ms, over the engine's recent window) to ``engine_status``."""
    kind = "DOUBLE PRECISION" if dialect == "postgresql" else "REAL"
    for name in COLUMNS:
        conn.execute(text(f"ALTER TABLE engine_status ADD COLUMN {name} {kind} NOT NULL DEFAULT 0"))
