"""Ordered schema migrations and the runner that applies the missing ones.

Each migration is a function of a connection and a dialect name, applied once, in order, in
its own transaction, and recorded in ``athena_schema``. Runners in several processes
serialise on a lock, so concurrent ``athena init`` calls are safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.engine import Connection

from athena.store.database import Store
from athena.store.migrations import (
    m0001_initial,
    m0002_trading,
    m0003_runs,
    m0004_engine,
    m0005_strategies,
    m0006_mandates,
    m0007_jobs,
    m0008_alerts,
    m0009_feed_stats,
    m0010_job_schedules,
    m0011_run_books,
    m0012_fee_currency,
    m0013_positions,
    m0014_alert_deliveries,
    m0015_fee_detail,
)

__all__ = ["MIGRATIONS", "Migration", "current_version", "migrate"]

_MIGRATION_LOCK = 0x41544845


@dataclass(frozen=True)
class Migration:
    """One schema step."""

    version: int
    name: str
    upgrade: Callable[[Connection, str], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial", m0001_initial.upgrade),
    Migration(2, "trading", m0002_trading.upgrade),
    Migration(3, "runs", m0003_runs.upgrade),
    Migration(4, "engine", m0004_engine.upgrade),
    Migration(5, "strategies", m0005_strategies.upgrade),
    Migration(6, "mandates", m0006_mandates.upgrade),
    Migration(7, "jobs", m0007_jobs.upgrade),
    Migration(8, "alerts", m0008_alerts.upgrade),
    Migration(9, "feed_stats", m0009_feed_stats.upgrade),
    Migration(10, "job_schedules", m0010_job_schedules.upgrade),
    Migration(11, "run_books", m0011_run_books.upgrade),
    Migration(12, "fee_currency", m0012_fee_currency.upgrade),
    Migration(13, "positions", m0013_positions.upgrade),
    Migration(14, "alert_deliveries", m0014_alert_deliveries.upgrade),
    Migration(15, "fee_detail", m0015_fee_detail.upgrade),
)

_meta = MetaData()
_schema = Table(
    "athena_schema",
    _meta,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(64), nullable=False),
    Column("applied_at", String(32), nullable=False),
)


def _lock(conn: Connection, dialect: str) -> None:
    if dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})


def current_version(store: Store) -> int:
    """Return the highest applied migration, 0 for an empty database."""
    with store.engine.connect() as conn:
        if not store.engine.dialect.has_table(conn, "athena_schema"):
            return 0
        versions = conn.execute(select(_schema.c.version)).scalars().all()
    return max(versions, default=0)


def migrate(store: Store) -> list[Migration]:
    """Apply every migration the database lacks; return those applied now."""
    applied: list[Migration] = []
    engine = store.engine.execution_options(athena_write=True)
    with engine.begin() as conn:
        _lock(conn, store.dialect)
        _meta.create_all(conn, checkfirst=True)
    for migration in MIGRATIONS:
        with engine.begin() as conn:
            _lock(conn, store.dialect)
            done = conn.execute(
                select(_schema.c.version).where(_schema.c.version == migration.version)
            ).first()
            if done:
                continue
            migration.upgrade(conn, store.dialect)
            conn.execute(
                _schema.insert().values(
                    version=migration.version,
                    name=migration.name,
                    applied_at=datetime.now(UTC).isoformat(),
                )
            )
            applied.append(migration)
    return applied
