"""Positions kept per book and symbol, filled in from the fills already recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, MetaData, String, Table, text
from sqlalchemy.engine import Connection

from athena.model import Holding
from athena.store.types import DecimalText

_SIGN = {"buy": 1, "sell": -1}


def _table(meta: MetaData) -> Table:
    return Table(
        "positions", meta,
        Column("book", String(96), primary_key=True),
        Column("symbol", String(32), primary_key=True),
        Column("quantity", DecimalText(), nullable=False),
        Column("average_price", DecimalText(), nullable=False),
        Column("realized_pnl", DecimalText(), nullable=False),
        Column("fees", DecimalText(), nullable=False),
        Column("cash_flow", DecimalText(), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


def upgrade(conn: Connection, dialect: str) -> None:
    """Create ``positions`` and replay every fill into it, in fill order, for the whole book and per strategy."""
    table = _table(MetaData())
    table.create(conn)
    books: dict[tuple[str, str], Holding] = {}
    fills = conn.execute(text(
        "SELECT f.symbol, f.side, f.quantity, f.price, f.fee, o.strategy FROM fills f "
        "JOIN orders o ON o.id = f.order_id ORDER BY f.id"))
    for symbol, side, quantity, price, fee, strategy in fills:
        signed = _SIGN[side] * Decimal(quantity)
        for book in ("global", *([f"strategy:{strategy}"] if strategy else [])):
            held = books.get((book, symbol), Holding())
            books[(book, symbol)] = held.apply(signed, Decimal(price), Decimal(fee))
    now = datetime.now(UTC)
    rows = [{"book": book, "symbol": symbol, "quantity": h.quantity, "average_price": h.average_price,
             "realized_pnl": h.realized_pnl, "fees": h.fees, "cash_flow": h.cash_flow, "updated_at": now}
            for (book, symbol), h in sorted(books.items())]
    if rows:
        conn.execute(table.insert(), rows)
