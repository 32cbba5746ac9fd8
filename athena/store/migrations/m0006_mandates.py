"""Mandate limits: one row per (scope, kind) with warn and breach levels and a breach action."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint
from sqlalchemy.engine import Connection

from athena.store.types import DecimalText


def upgrade(conn: Connection, dialect: str) -> None:
    """Create ``mandate_limits``."""
    meta = MetaData()
    Table(
        "mandate_limits", meta,
        Column("id", Integer, primary_key=True),
        Column("scope", String(96), nullable=False, index=True),
        Column("kind", String(32), nullable=False),
        Column("breach", DecimalText(), nullable=False),
        Column("warn", DecimalText()),
        Column("action", String(16), nullable=False),
        Column("symbols", Text, nullable=False),
        Column("updated_by", String(64), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("scope", "kind", name="uq_mandate_scope_kind"),
    )
    meta.create_all(conn)
