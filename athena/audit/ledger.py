"""Appending to the ledger inside the caller's write transaction.

Each entry's hash is SHA-256 over the previous hash followed by the canonical entry; its
signature is the workspace HMAC of that hash. A one-row ``audit_head`` table holds the signed
latest (seq, hash): appenders lock it (``FOR UPDATE`` on PostgreSQL; SQLite's write
transaction is already exclusive), so concurrent processes extend one chain, and a tail cut
off the ledger still shows against the head.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from athena.audit.canonical import canonical_json, format_ts
from athena.keys import WorkspaceKey
from athena.model import AuditEntry, AuditOutcome
from athena.store import AuditHeadRow, AuditRow

__all__ = ["GENESIS_HASH", "append", "entry_hash", "head", "head_message"]

GENESIS_HASH = "0" * 64
HEAD_ID = 1

# Built once: an order's transaction appends an entry, and building statements costs more than running them.
_LOCK_HEAD = (select_columns(col(AuditHeadRow.seq), col(AuditHeadRow.hash))
              .where(col(AuditHeadRow.id) == HEAD_ID).with_for_update())
_INSERT_ENTRY = insert(AuditRow)
_MOVE_HEAD = update(AuditHeadRow).where(col(AuditHeadRow.id) == HEAD_ID).values(
    seq=bindparam("new_seq"), hash=bindparam("new_hash"), signature=bindparam("new_signature"))


def entry_hash(
    prev_hash: str, seq: int, ts: str, actor: str, action: str, subject: str, outcome: str, payload: str
) -> str:
    """Return the chain hash of one entry (``payload`` is its canonical JSON text)."""
    body = canonical_json(
        {
            "seq": seq,
            "ts": ts,
            "actor": actor,
            "action": action,
            "subject": subject,
            "outcome": outcome,
            "payload": payload,
        }
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def head_message(seq: int, hash_: str) -> str:
    """Return the text signed for the ledger head."""
    return f"athena-audit-head:{seq}:{hash_}"


def head(session: Session, *, lock: bool = False) -> AuditHeadRow:
    """Return the head row (seq 0 and the genesis hash for an empty ledger)."""
    stmt = select(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID)
    if lock:
        stmt = stmt.with_for_update()
    return session.exec(stmt).one()


def append(
    session: Session,
    key: WorkspaceKey,
    *,
    ts: datetime,
    actor: str,
    action: str,
    subject: str,
    outcome: AuditOutcome,
    payload: dict[str, Any],
) -> AuditEntry:
    """Append one entry within ``session``'s transaction and move the head."""
    # The transaction's pending changes go first, so the head stays locked only from here to the
    # commit (which writes the events).
    session.flush()
    conn = session.connection()
    prev_hash: str
    top_seq, prev_hash = conn.execute(_LOCK_HEAD).one()
    seq = top_seq + 1
    ts_text = format_ts(ts)
    payload_text = canonical_json(payload)
    digest = entry_hash(prev_hash, seq, ts_text, actor, action, subject, outcome.value, payload_text)
    signature = key.sign(digest)
    conn.execute(_INSERT_ENTRY, {
        "seq": seq, "ts": ts_text, "actor": actor, "action": action, "subject": subject, "outcome": outcome.value,
        "payload": payload_text, "prev_hash": prev_hash, "hash": digest, "signature": signature})
    conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": digest,
                              "new_signature": key.sign(head_message(seq, digest))})
    return AuditEntry(
        seq=seq,
        ts=ts,
        actor=actor,
        action=action,
        subject=subject,
        outcome=outcome,
        payload=payload,
        prev_hash=prev_hash,
        hash=digest,
        signature=signature,
    )
