"""Job runs: papermill notebooks with their parameters, state, progress and outputs."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection


def upgrade(conn: Connection, dialect: str) -> None:
    """Create ``jobs``."""
    meta = MetaData()
    aware = DateTime(timezone=True)
    Table(
        "jobs", meta,
        Column("id", String(32), primary_key=True),
        Column("name", String(64), nullable=False, index=True),
        Column("params", Text, nullable=False),
        Column("status", String(16), nullable=False, index=True),
        Column("requested_by", String(64), nullable=False),
        Column("created_at", aware, nullable=False),
        Column("started_at", aware),
        Column("finished_at", aware),
        Column("progress", Float, nullable=False),
        Column("timeout_s", Integer, nullable=False),
        Column("pid", Integer),
        Column("output_notebook", String, nullable=False),
        Column("output_html", String, nullable=False),
        Column("log_path", String, nullable=False),
        Column("error", String),
    )
    meta.create_all(conn)
