"""The fee of a fill as the venue charged it: its currency and amount, beside its value in the quote currency."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection


def upgrade(conn: Connection, dialect: str) -> None:
    """Add ``fee_currency`` and ``fee_native`` (exact text) to ``fills``; both null for older fills."""
    conn.execute(text("ALTER TABLE fills ADD COLUMN fee_currency VARCHAR(16)"))
    conn.execute(text("ALTER TABLE fills ADD COLUMN fee_native VARCHAR(48)"))
