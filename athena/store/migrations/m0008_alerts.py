"""Alerts and their timelines: raised, acknowledged, assigned, commented, resolved, notified."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection


def upgrade(conn: Connection, dialect: str) -> None:
    """Create ``alerts`` and ``alert_events``."""
    meta = MetaData()
    aware = DateTime(timezone=True)
    Table(
        "alerts", meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("ts", aware, nullable=False),
        Column("severity", String(16), nullable=False, index=True),
        Column("source", String(256), nullable=False),
        Column("message", Text, nullable=False),
        Column("details", Text, nullable=False),
        Column("status", String(16), nullable=False, index=True),
        Column("owner", String(64)),
        Column("updated_at", aware, nullable=False),
    )
    Table(
        "alert_events", meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False, index=True),
        Column("ts", aware, nullable=False),
        Column("kind", String(16), nullable=False),
        Column("actor", String(64), nullable=False),
        Column("note", Text, nullable=False),
        Column("detail", Text, nullable=False),
    )
    meta.create_all(conn)
