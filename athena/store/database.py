"""Engine and session factory for SQLite (WAL, foreign keys) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from athena.config import redact_url
from athena.errors import InvalidConfig, StoreUnavailable
from athena.store.writers import WriterGate

__all__ = ["Store", "normalise_url"]

_BUSY_TIMEOUT_MS = 30_000
_URGENT_POLL_S = 0.0002


def normalise_url(url: str) -> str:
    """Return ``url`` with the driver Athena uses (psycopg 3 for PostgreSQL)."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite:", "postgresql+psycopg://")):
        return url
    raise InvalidConfig(f"unsupported database URL {redact_url(url)!r}: use sqlite:/// or postgresql://")


def _sqlite_engine(url: str, synchronous: str, in_memory: bool) -> Engine:
    timeout = {"timeout": _BUSY_TIMEOUT_MS / 1000}
    if in_memory:
        # Every connection to ``sqlite://`` is a database of its own: all sessions share one.
        engine = create_engine(url, poolclass=StaticPool, connect_args={**timeout, "check_same_thread": False})
    else:
        # A pool keeps connections open: closing the last connection of a WAL database checkpoints
        # and deletes the WAL, which costs more than the transaction itself.
        engine = create_engine(url, pool_size=5, max_overflow=10, connect_args=timeout)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("athena_urgent", False):
            _begin_urgent(conn.connection.dbapi_connection)
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("athena_write", False) else "BEGIN")

    return engine


def _begin_urgent(dbapi_conn: Any) -> None:
    # SQLite's busy handler sleeps longer and longer between tries (up to 100 ms), so a waiting
    # writer can miss the moment the lock is free. The urgent write (the kill switch) asks again
    # every fifth of a millisecond instead; the writer gate keeps new writers from cutting in.
    dbapi_conn.execute("PRAGMA busy_timeout=0")
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    try:
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(_URGENT_POLL_S)
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")


class Store:
    """The workspace database: one engine, explicit read and write sessions.

    ``synchronous`` is SQLite's durability: ``full`` fsyncs each commit; ``normal`` (WAL) only
    at checkpoints, durable against a process crash but not against power loss.
    """

    def __init__(self, url: str, *, synchronous: Literal["full", "normal"] = "full") -> None:
        self.url = normalise_url(url)
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        if synchronous not in ("full", "normal"):
            raise InvalidConfig(f"SQLite synchronous must be full or normal, was {synchronous!r}")
        database = make_url(self.url).database if self.dialect == "sqlite" else None
        in_memory = not database or database == ":memory:" or "mode=memory" in self.url
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(self.url, synchronous.upper(), in_memory)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        self._write_engine = self.engine.execution_options(athena_write=True)
        self._urgent_engine = self.engine.execution_options(athena_write=True, athena_urgent=True)
        # The gate is a file beside the database: none for a database in memory or named by a ``file:`` URI.
        gated = not in_memory and not (database or "").startswith("file:")
        self._writers = WriterGate(Path(database or ""), _BUSY_TIMEOUT_MS / 1000) if gated else None

    def _gate(self, urgent: bool) -> AbstractContextManager[None]:
        if self._writers is None:
            return nullcontext()
        if urgent:
            return self._writers.urgent()
        self._writers.wait_open()
        return nullcontext()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Yield a session for reading; it is rolled back at the end."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except OperationalError as exc:
            raise StoreUnavailable(f"database {redact_url(self.url)} unavailable: {exc.orig}") from exc

    @contextmanager
    def write(self, *, urgent: bool = False) -> Iterator[Session]:
        """Yield a session in one write transaction: committed on success, rolled back on error.

        On a SQLite file an ``urgent`` write (the kill switch) keeps new writes of every process
        waiting until it has committed, so it waits only for those already under way
        (:class:`~athena.store.writers.WriterGate`), and polls for the lock every 0.2 ms instead
        of SQLite's lengthening sleeps; PostgreSQL needs neither.
        """
        try:
            engine = self._urgent_engine if urgent else self._write_engine
            with self._gate(urgent), Session(engine, expire_on_commit=False) as session, session.begin():
                yield session
        except OperationalError as exc:
            raise StoreUnavailable(f"database {redact_url(self.url)} unavailable: {exc.orig}") from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({redact_url(self.url)!r})"
