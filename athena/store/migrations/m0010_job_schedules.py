"""Job schedules (cron, fired by the engine) and leases on claimed jobs (renewed by their runner)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, text
from sqlalchemy.engine import Connection


def upgrade(conn: Connection, dialect: str) -> None:
    """Create ``job_schedules``; add ``runner``, ``host`` and ``lease_until`` to ``jobs``."""
    meta = MetaData()
    aware = DateTime(timezone=True)
    Table(
        "job_schedules", meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(64), nullable=False),
        Column("cron", String(128), nullable=False),
        Column("params", Text, nullable=False),
        Column("timeout_s", Integer, nullable=False),
        Column("paused", Boolean, nullable=False),
        Column("created_by", String(64), nullable=False),
        Column("created_at", aware, nullable=False),
        Column("next_fire_at", aware, nullable=False, index=True),
        Column("last_fire_at", aware),
        Column("last_job_id", String(32)),
    )
    meta.create_all(conn)
    stamp = "TIMESTAMP WITH TIME ZONE" if dialect == "postgresql" else "DATETIME"
    conn.execute(text("ALTER TABLE jobs ADD COLUMN runner VARCHAR(128)"))
    conn.execute(text("ALTER TABLE jobs ADD COLUMN host VARCHAR(128)"))
    conn.execute(text(f"ALTER TABLE jobs ADD COLUMN lease_until {stamp}"))
