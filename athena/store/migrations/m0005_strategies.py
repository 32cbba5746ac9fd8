"""Strategy deployments (registered -> approved -> paper -> live) and their parameter versions."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection

from athena.store.types import DecimalText


def upgrade(conn: Connection, dialect: str) -> None:
    """Create ``strategy_deployments`` and ``strategy_param_versions``."""
    meta = MetaData()
    aware = DateTime(timezone=True)
    Table(
        "strategy_deployments", meta,
        Column("name", String(64), primary_key=True),
        Column("ref", String(256), nullable=False),
        Column("symbols", Text, nullable=False),
        Column("timeframe", String(16), nullable=False),
        Column("params", Text, nullable=False),
        Column("params_version", Integer, nullable=False),
        Column("capital", DecimalText(), nullable=False),
        Column("lifecycle", String(16), nullable=False),
        Column("created_by", String(64), nullable=False),
        Column("created_at", aware, nullable=False),
        Column("updated_at", aware, nullable=False),
    )
    Table(
        "strategy_param_versions", meta,
        Column("id", Integer, primary_key=True),
        Column("name", String(64), ForeignKey("strategy_deployments.name"), nullable=False, index=True),
        Column("version", Integer, nullable=False),
        Column("params", Text, nullable=False),
        Column("changed_by", String(64), nullable=False),
        Column("changed_at", aware, nullable=False),
    )
    meta.create_all(conn)
