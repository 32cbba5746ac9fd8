"""The latest price of each symbol, as the order path reads it.

Statements are built once at import: an order reads its symbol's price several times (the
stale-price and mandate checks, the paper venue's match), and building a statement costs more
than running it. Pending ORM changes are flushed first, so a price set earlier in the same
transaction is seen.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from athena.clock import utc
from athena.store import MarkRow

__all__ = ["last_mark", "mark_prices"]

_ONE = select_columns(col(MarkRow.price), col(MarkRow.ts)).where(col(MarkRow.symbol) == bindparam("symbol"))
_ALL = select_columns(col(MarkRow.symbol), col(MarkRow.price))


def last_mark(s: Session, symbol: str) -> tuple[Decimal, datetime] | None:
    """Return the last price of ``symbol`` and when it was set, or None when it never had one."""
    s.flush()
    found = s.connection().execute(_ONE, {"symbol": symbol}).first()
    return None if found is None else (found[0], utc(found[1]))


def mark_prices(s: Session) -> dict[str, Decimal]:
    """Return the last price of every symbol that has one."""
    s.flush()
    return {symbol: price for symbol, price in s.connection().execute(_ALL)}
