"""Portfolio snapshots written by the engine, and its heartbeat row."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection

from athena.store.types import DecimalText

_FIGURES = ("nav", "cash", "realized_pnl", "unrealized_pnl", "fees", "gross_exposure", "net_exposure", "leverage",
            "drawdown", "peak_nav")


def upgrade(conn: Connection, dialect: str) -> None:
    """Create ``snapshots`` and ``engine_status``."""
    meta = MetaData()
    aware = DateTime(timezone=True)
    Table(
        "snapshots", meta,
        Column("id", Integer, primary_key=True),
        Column("ts", aware, nullable=False, index=True),
        *(Column(name, DecimalText(), nullable=False) for name in _FIGURES),
        Column("detail", Text, nullable=False),
    )
    Table(
        "engine_status", meta,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("state", String(16), nullable=False),
        Column("pid", Integer, nullable=False),
        Column("host", String(128), nullable=False),
        Column("feed", String(32), nullable=False),
        Column("started_at", aware, nullable=False),
        Column("heartbeat_at", aware, nullable=False),
        Column("ticks", Integer, nullable=False),
        Column("last_latency_ms", Float, nullable=False),
    )
    meta.create_all(conn)
