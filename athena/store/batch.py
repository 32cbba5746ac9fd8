"""Rows added to a write transaction in batches instead of one ORM object each.

Append-only facts that nothing reads back inside the transaction that writes them (outbox
events, order transitions) are kept on the session and written as one multi-row INSERT per
table: order transitions at the session's next flush, outbox events only at commit. Audited
transactions hold the ledger head's lock from their ledger entry to their commit, so their
events get ids in commit order, and the lock is held for little more than that one INSERT.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert, Table, event, insert
from sqlalchemy.orm import Session

__all__ = ["add_batched", "write_batched"]

_AT_FLUSH = "athena_batched_rows"
_AT_COMMIT = "athena_batched_rows_at_commit"
_INSERTS: dict[Table, Insert] = {}


def add_batched(session: Session, table: Table, values: dict[str, Any], *, at_commit: bool = False) -> None:
    """Queue one row of ``table`` on ``session``: written at the next flush, or with ``at_commit`` at commit."""
    pending: dict[Table, list[dict[str, Any]]] = session.info.setdefault(_AT_COMMIT if at_commit else _AT_FLUSH, {})
    pending.setdefault(table, []).append(values)


def write_batched(session: Session, *, at_commit: bool = False) -> None:
    """Write the rows queued on ``session`` for a flush (and those for commit too, with ``at_commit``)."""
    for key in (_AT_FLUSH, _AT_COMMIT) if at_commit else (_AT_FLUSH,):
        pending: dict[Table, list[dict[str, Any]]] | None = session.info.pop(key, None)
        for table, rows in (pending or {}).items():
            stmt = _INSERTS.get(table)
            if stmt is None:
                stmt = _INSERTS[table] = insert(table)
            session.connection().execute(stmt, rows)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    write_batched(session)


def _before_commit(session: Session) -> None:
    session.flush()
    write_batched(session, at_commit=True)


def _discard(session: Session, _transaction: Any) -> None:
    session.info.pop(_AT_FLUSH, None)
    session.info.pop(_AT_COMMIT, None)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_soft_rollback", _discard)
