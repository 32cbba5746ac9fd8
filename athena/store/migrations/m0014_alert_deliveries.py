"""The alert delivery queue: one row per alert and channel, drained by a background sender."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection


def upgrade(conn: Connection, dialect: str) -> None:
    """Create ``alert_deliveries`` (status pending, sending, sent or failed; attempts; when next due)."""
    meta = MetaData()
    aware = DateTime(timezone=True)
    Table("alerts", meta, Column("id", Integer, primary_key=True))  # the referenced table, created by m0008
    table = Table(
        "alert_deliveries", meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False, index=True),
        Column("channel", String(16), nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_at", aware, nullable=False),
        Column("last_error", Text, nullable=False),
        Column("created_at", aware, nullable=False),
        Column("updated_at", aware, nullable=False),
    )
    Index("ix_alert_deliveries_due", table.c.status, table.c.next_at)
    table.create(conn)
