"""Recorded runs keep what a stress test needs: the run's symbols and the book it ended with."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection


def upgrade(conn: Connection, dialect: str) -> None:
    """Add ``symbols`` (JSON list) and ``book`` (JSON: positions, marks, cash, peak NAV as decimal text) to ``runs``.

    Both stay NULL for runs recorded before this migration, which :meth:`Console.get_run` reports.
    """
    for name in ("symbols", "book"):
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN {name} TEXT"))
