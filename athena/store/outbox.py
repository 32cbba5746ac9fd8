"""The event outbox: the bus between processes.

Writers insert events in the same transaction as the change they announce; readers poll for
rows with an id above the last they saw. Writers serialise on the audit head lock, so ids
become visible in commit order and a poller never skips a row.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from athena.clock import utc
from athena.model import Event, EventId
from athena.store.batch import add_batched
from athena.store.tables import EventRow

__all__ = ["events_since", "last_event_id", "publish"]

_EVENTS = EventRow.__table__  # type: ignore[attr-defined]


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def publish(
    session: Session, *, ts: datetime, type: str, subject: str, payload: dict[str, Any], audit_seq: int | None
) -> None:
    """Add an event to ``session``'s transaction (written in one batch when it commits)."""
    add_batched(session, _EVENTS, {"ts": ts, "type": type, "subject": subject, "payload": _canonical(payload),
                                   "audit_seq": audit_seq}, at_commit=True)


def events_since(session: Session, after_id: int, limit: int) -> list[Event]:
    """Return up to ``limit`` events with an id above ``after_id``, oldest first."""
    rows = session.exec(
        select(EventRow).where(col(EventRow.id) > after_id).order_by(col(EventRow.id)).limit(limit)
    )
    return [
        Event(
            id=EventId(row.id or 0),
            ts=utc(row.ts),
            type=row.type,
            subject=row.subject,
            payload=json.loads(row.payload),
            audit_seq=row.audit_seq,
        )
        for row in rows
    ]


def last_event_id(session: Session) -> int:
    """Return the highest event id, 0 when there is none."""
    row = session.exec(select(EventRow.id).order_by(col(EventRow.id).desc()).limit(1)).first()
    return int(row or 0)
