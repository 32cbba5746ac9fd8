"""Positions recomputed so a fee charged in the base currency comes out of the coins, not the cash."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from athena.store.migrations.m0012_positions import fill_in, positions_table


def upgrade(conn: Connection, dialect: str) -> None:
    """Replay every fill into ``positions`` again, reading the fee currency migration 13 records.

    Workspaces that recorded exchange fills between migrations 13 and 15 kept them with the whole
    executed quantity and the fee taken from cash; the engine's next reconciliation adopts any
    difference that remains with the exchange's balances.
    """
    table = positions_table(MetaData())
    conn.execute(table.delete())
    fill_in(conn, table, base_fees=True)
