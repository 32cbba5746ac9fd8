"""Rows added to a write transaction in batches instead of one ORM object each.

Append-only facts that nothing reads back inside the transaction that writes them (outbox
events, order transitions) are kept on the session and written as one multi-row INSERT per
table at the session's next flush or at commit. A transaction then sends its rows in a few
statements, and rows published before the ledger head is locked still reach the database
after it (the head is read without autoflush), so event ids follow commit order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, event, insert
from sqlalchemy.orm import Session

__all__ = ["add_batched", "write_batched"]

_KEY = "athena_batched_rows"


def add_batched(session: Session, table: Table, values: dict[str, Any]) -> None:
    """Queue one row of ``table`` on ``session``; it is written at the next flush or commit."""
    pending: dict[Table, list[dict[str, Any]]] = session.info.setdefault(_KEY, {})
    pending.setdefault(table, []).append(values)


def write_batched(session: Session) -> None:
    """Write the rows queued on ``session`` now, one INSERT per table, in the order they were queued."""
    pending: dict[Table, list[dict[str, Any]]] | None = session.info.pop(_KEY, None)
    if not pending:
        return
    connection = session.connection()
    for table, rows in pending.items():
        connection.execute(insert(table), rows)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    write_batched(session)


def _discard(session: Session, _transaction: Any) -> None:
    session.info.pop(_KEY, None)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "before_commit", write_batched)
event.listen(Session, "after_soft_rollback", _discard)
