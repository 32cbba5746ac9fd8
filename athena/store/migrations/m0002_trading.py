"""Instruments, marks, trading states, orders, their transitions and fills.

Seeds the paper venue's instruments and the global trading state (ACTIVE).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.engine import Connection

from athena.store.types import DecimalText

PAPER_INSTRUMENTS = [
    # symbol, tick size, lot size, minimum quantity
    ("BTC/USDT", "0.01", "0.00001", "0.00001"),
    ("ETH/USDT", "0.01", "0.0001", "0.0001"),
    ("SOL/USDT", "0.001", "0.001", "0.001"),
]


def _tables(meta: MetaData) -> None:
    aware = DateTime(timezone=True)
    Table(
        "instruments", meta,
        Column("symbol", String(32), primary_key=True),
        Column("venue", String(32), nullable=False),
        Column("tick_size", DecimalText(), nullable=False),
        Column("lot_size", DecimalText(), nullable=False),
        Column("min_quantity", DecimalText(), nullable=False),
    )
    Table(
        "marks", meta,
        Column("symbol", String(32), primary_key=True),
        Column("price", DecimalText(), nullable=False),
        Column("ts", aware, nullable=False),
    )
    Table(
        "trading_states", meta,
        Column("scope", String(96), primary_key=True),
        Column("state", String(16), nullable=False),
        Column("reason", String, nullable=False),
        Column("updated_by", String(64), nullable=False),
        Column("updated_at", aware, nullable=False),
    )
    Table(
        "orders", meta,
        Column("id", Integer, primary_key=True),
        Column("client_order_id", String(64), nullable=False, unique=True),
        Column("symbol", String(32), nullable=False, index=True),
        Column("side", String(8), nullable=False),
        Column("type", String(8), nullable=False),
        Column("quantity", DecimalText(), nullable=False),
        Column("price", DecimalText()),
        Column("stop_price", DecimalText()),
        Column("tif", String(8), nullable=False),
        Column("strategy", String(64)),
        Column("status", String(20), nullable=False, index=True),
        Column("filled_quantity", DecimalText(), nullable=False),
        Column("average_price", DecimalText()),
        Column("venue", String(32), nullable=False),
        Column("reason", String),
        Column("requested_by", String(64), nullable=False),
        Column("created_at", aware, nullable=False),
        Column("updated_at", aware, nullable=False),
    )
    Table(
        "order_transitions", meta,
        Column("id", Integer, primary_key=True),
        Column("order_id", Integer, ForeignKey("orders.id"), nullable=False, index=True),
        Column("from_status", String(20), nullable=False),
        Column("to_status", String(20), nullable=False),
        Column("reason", String),
        Column("ts", aware, nullable=False),
    )
    Table(
        "fills", meta,
        Column("id", Integer, primary_key=True),
        Column("order_id", Integer, ForeignKey("orders.id"), nullable=False, index=True),
        Column("symbol", String(32), nullable=False, index=True),
        Column("side", String(8), nullable=False),
        Column("quantity", DecimalText(), nullable=False),
        Column("price", DecimalText(), nullable=False),
        Column("fee", DecimalText(), nullable=False),
        Column("ts", aware, nullable=False),
    )


def upgrade(conn: Connection, dialect: str) -> None:
    """Create the trading tables and seed paper instruments and the global ACTIVE state."""
    meta = MetaData()
    _tables(meta)
    meta.create_all(conn)
    conn.execute(meta.tables["instruments"].insert(), [
        {"symbol": s, "venue": "paper", "tick_size": Decimal(t), "lot_size": Decimal(lot), "min_quantity": Decimal(m)}
        for s, t, lot, m in PAPER_INSTRUMENTS
    ])
    conn.execute(meta.tables["trading_states"].insert().values(
        scope="global", state="ACTIVE", reason="initial state", updated_by="system:migrate",
        updated_at=datetime.now(UTC),
    ))
