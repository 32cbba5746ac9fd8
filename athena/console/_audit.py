"""Reading, verifying and exporting the ledger; reading the event outbox."""

from __future__ import annotations

from typing import TextIO

from athena import audit
from athena.audit import AuditFilter, VerifyReport
from athena.auth import Permission
from athena.console._core import ConsoleCore, Done
from athena.model import AuditEntry, Event
from athena.store import events_since

__all__ = ["AuditMixin"]


class AuditMixin(ConsoleCore):
    """Console reads of the ledger and the outbox."""


    def audit(self, flt: AuditFilter | None = None) -> list[AuditEntry]:
        """Return ledger entries matching ``flt`` (newest first by default)."""
        return self._read(Permission.AUDIT_READ, "audit.list", lambda s: audit.query(s, flt or AuditFilter()))

    def verify_audit(self) -> VerifyReport:
        """Recompute the whole chain and report the first entry that does not hold."""
        self._read(Permission.AUDIT_READ, "audit.verify", lambda s: None)
        return audit.verify(self.workspace.store, self.workspace.key)

    def export_audit(self, out: TextIO, fmt: str = "jsonl", flt: AuditFilter | None = None) -> int:
        """Write matching entries (oldest first) to ``out``; the export itself is audited."""
        base = flt or AuditFilter(limit=None)
        ordered = AuditFilter(**{**base.__dict__, "newest_first": False})
        entries = self._read(Permission.AUDIT_EXPORT, "audit.export", lambda s: audit.query(s, ordered))
        count = audit.export_entries(entries, out, fmt)
        self._write(Permission.AUDIT_EXPORT, "audit.export", "audit", lambda s, now, who: Done(
            None, {"format": fmt, "entries": count}, ["AuditExported"]))
        return count

    def events_since(self, after_id: int = 0, limit: int = 500) -> list[Event]:
        """Return up to ``limit`` events newer than ``after_id``, oldest first."""
        return self._read(Permission.EVENTS_READ, "events.read", lambda s: events_since(s, after_id, limit))
