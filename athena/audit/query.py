"""Filtered reads of the ledger for the CLI, dashboards and reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from athena.audit.canonical import format_ts
from athena.clock import utc
from athena.model import AuditEntry, AuditOutcome
from athena.store import AuditRow

__all__ = ["AuditFilter", "query", "to_entry"]


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to return; every field is optional and they combine with AND."""

    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    outcome: AuditOutcome | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    after_seq: int | None = None
    limit: int | None = 200
    newest_first: bool = True


def to_entry(row: AuditRow) -> AuditEntry:
    """Turn a stored row into a domain value."""
    return AuditEntry(
        seq=row.seq,
        ts=utc(datetime.fromisoformat(row.ts.replace("Z", "+00:00"))),
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        outcome=AuditOutcome(row.outcome),
        payload=json.loads(row.payload),
        prev_hash=row.prev_hash,
        hash=row.hash,
        signature=row.signature,
    )


def query(session: Session, flt: AuditFilter) -> list[AuditEntry]:
    """Return the entries matching ``flt``."""
    stmt = select(AuditRow)
    if flt.actor:
        stmt = stmt.where(AuditRow.actor == flt.actor)
    if flt.action:
        pattern = flt.action.replace("*", "%")
        stmt = stmt.where(col(AuditRow.action).like(pattern) if "%" in pattern else AuditRow.action == pattern)
    if flt.subject:
        stmt = stmt.where(col(AuditRow.subject).contains(flt.subject))
    if flt.outcome:
        stmt = stmt.where(AuditRow.outcome == flt.outcome.value)
    if flt.since:
        stmt = stmt.where(AuditRow.ts >= format_ts(utc(flt.since)))
    if flt.until:
        stmt = stmt.where(AuditRow.ts < format_ts(utc(flt.until)))
    if flt.after_seq is not None:
        stmt = stmt.where(AuditRow.seq > flt.after_seq)
    if flt.text:
        needle = f"%{flt.text.lower()}%"
        stmt = stmt.where(
            or_(
                col(AuditRow.payload).ilike(needle),
                col(AuditRow.subject).ilike(needle),
                col(AuditRow.action).ilike(needle),
                col(AuditRow.actor).ilike(needle),
            )
        )
    order = col(AuditRow.seq).desc() if flt.newest_first else col(AuditRow.seq).asc()
    stmt = stmt.order_by(order)
    if flt.limit is not None:
        stmt = stmt.limit(flt.limit)
    return [to_entry(row) for row in session.exec(stmt)]
