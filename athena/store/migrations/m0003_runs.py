"""The research run history: backtests, sweeps and walk-forwards with their provenance."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text
from sqlalchemy.engine import Connection


def upgrade(conn: Connection, dialect: str) -> None:
    """Create the ``runs`` table."""
    meta = MetaData()
    Table(
        "runs", meta,
        Column("id", String(32), primary_key=True),
        Column("kind", String(16), nullable=False, index=True),
        Column("strategy", String(128), nullable=False),
        Column("params", Text, nullable=False),
        Column("config_hash", String(64), nullable=False),
        Column("data_fingerprint", String(64), nullable=False),
        Column("metrics", Text, nullable=False),
        Column("artefacts", Text, nullable=False),
        Column("status", String(16), nullable=False),
        Column("error", String),
        Column("created_by", String(64), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    meta.create_all(conn)
