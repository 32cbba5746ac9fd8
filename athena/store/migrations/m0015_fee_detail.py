"""A fill's fee per currency charged, so executions charged in several currencies keep each amount."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from athena.model import FeeCharge
from athena.store.types import fee_detail_json


def upgrade(conn: Connection, dialect: str) -> None:
    """Add ``fee_detail`` (JSON text) to ``fills``, filled in for the fills that name the one currency charged.

    Such a fill's whole fee (``fee``, its quote value) was charged in ``fee_currency``; fills without
    a currency (paper fills, exchange fills from before migration 12) keep only their quote value.
    """
    conn.execute(text("ALTER TABLE fills ADD COLUMN fee_detail TEXT"))
    rows = conn.execute(text("SELECT id, fee, fee_currency, fee_native FROM fills "
                             "WHERE fee_currency IS NOT NULL AND fee_native IS NOT NULL")).all()
    params = [{"id": fill_id, "detail": fee_detail_json((FeeCharge(currency, Decimal(native), Decimal(fee)),))}
              for fill_id, fee, currency, native in rows]
    if params:
        conn.execute(text("UPDATE fills SET fee_detail = :detail WHERE id = :id"), params)
