"""Positions kept per book and symbol, filled in from the fills already recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, MetaData, String, Table, text
from sqlalchemy.engine import Connection

from athena.model import FeeCharge, Holding, fee_parts
from athena.store.types import DecimalText

_SIGN = {"buy": 1, "sell": -1}


def positions_table(meta: MetaData) -> Table:
    """Return the ``positions`` table as migration 13 made it, in ``meta``."""
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
    table = positions_table(MetaData())
    table.create(conn)
    fill_in(conn, table)


def fill_in(conn: Connection, table: Table) -> None:
    """Insert into the empty ``positions`` the holdings every fill adds up to, in fill order.

    A fee charged in the base currency (the columns migration 12 adds) comes out of the position
    instead of the cash (:func:`~athena.model.fee_parts`); fills recorded before it hold quote fees.
    """
    books: dict[tuple[str, str], Holding] = {}
    fills = conn.execute(text(
        "SELECT f.symbol, f.side, f.quantity, f.price, f.fee, f.fee_currency, f.fee_native, o.strategy FROM fills f "
        "JOIN orders o ON o.id = f.order_id ORDER BY f.id"))
    for symbol, side, quantity, price, fee, fee_currency, fee_native, strategy in fills:
        signed = _SIGN[side] * Decimal(quantity)
        # Up to this migration a fill was charged in at most one currency, for all of its fee.
        charged = () if fee_currency is None or fee_native is None else (
            FeeCharge(fee_currency, Decimal(fee_native), Decimal(fee)),)
        cash_fee, base_fee = fee_parts(symbol, Decimal(fee), charged)
        for book in ("global", *([f"strategy:{strategy}"] if strategy else [])):
            held = books.get((book, symbol), Holding())
            books[(book, symbol)] = held.apply(signed, Decimal(price), cash_fee, base_fee)
    now = datetime.now(UTC)
    rows = [{"book": book, "symbol": symbol, "quantity": h.quantity, "average_price": h.average_price,
             "realized_pnl": h.realized_pnl, "fees": h.fees, "cash_flow": h.cash_flow, "updated_at": now}
            for (book, symbol), h in sorted(books.items())]
    if rows:
        conn.execute(table.insert(), rows)
