"""Recompute the chain and name the first entry that does not hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from athena.audit.ledger import GENESIS_HASH, HEAD_ID, entry_hash, head_message
from athena.keys import WorkspaceKey
from athena.store import Store

__all__ = ["VerifyReport", "verify"]

_BATCH = 5000


@dataclass(frozen=True)
class VerifyReport:
    """What verification found: ``ok`` or the first bad sequence and why."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.entries} entries, head {self.head_seq} {self.head_hash}"
        return f"audit chain BROKEN at sequence {self.first_bad_seq}: {self.reason}"


def verify(store: Store, key: WorkspaceKey, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Check every entry in sequence order, then the signed head, and report the first fault."""
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0

    def broken(seq: int, reason: str) -> VerifyReport:
        return VerifyReport(False, count, expected_seq - 1, prev, seq, reason)

    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=_BATCH).execute(
            text(
                "SELECT seq, ts, actor, action, subject, outcome, payload, prev_hash, hash, signature"
                " FROM audit_ledger ORDER BY seq"
            )
        )
        with result:
            for rows in result.partitions(_BATCH):
                for seq, ts, actor, action, subject, outcome, payload, prev_hash, digest, sig in rows:
                    if seq != expected_seq:
                        what = "missing" if seq > expected_seq else "duplicated"
                        return broken(expected_seq, f"entry {expected_seq} is {what} (next stored is {seq})")
                    if prev_hash != prev:
                        return broken(seq, "previous-hash link does not match the entry before it")
                    if entry_hash(prev, seq, ts, actor, action, subject, outcome, payload) != digest:
                        return broken(seq, "content does not match its hash (entry was altered)")
                    if not key.check(digest, sig):
                        return broken(seq, "signature does not verify with the workspace key")
                    prev = digest
                    expected_seq += 1
                    count += 1
                if progress:
                    progress(count)
        top = conn.execute(
            text("SELECT seq, hash, signature FROM audit_head WHERE id = :id"), {"id": HEAD_ID}
        ).first()
    if top is None:
        return broken(expected_seq, "ledger head row is missing")
    head_seq, head_hash, head_sig = top
    if head_seq == 0 and count == 0 and head_hash == GENESIS_HASH:
        return VerifyReport(True, 0, 0, GENESIS_HASH)
    if not key.check(head_message(head_seq, head_hash), head_sig):
        return broken(expected_seq, "ledger head signature does not verify")
    if head_seq > count:
        return broken(count + 1, f"entries {count + 1}..{head_seq} are missing (the head says {head_seq})")
    if head_seq < count or head_hash != prev:
        return broken(head_seq + 1, f"entries after the signed head {head_seq} were not appended by Athena")
    return VerifyReport(True, count, head_seq, prev)
