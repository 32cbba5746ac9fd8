"""What the Audit page shows: filtered ledger entries, live additions, details, verification, export."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pandas as pd
import param

from athena.audit import AuditFilter, VerifyReport
from athena.auth import Permission
from athena.clock import utc
from athena.model import AuditEntry, AuditOutcome
from athena.ui.state.base import PageState

__all__ = ["COLUMNS", "AuditState"]

COLUMNS = ["seq", "time", "actor", "action", "subject", "outcome"]


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "time": entry.ts.strftime("%Y-%m-%d %H:%M:%S"),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "outcome": entry.outcome.value,
    }


class AuditState(PageState):
    """Ledger entries matching the filters, newest first, growing as new ones are appended."""

    actor = param.String(default="", doc="Only entries by this exact actor (e.g. admin, system:init).")
    action = param.String(default="", doc="Only this action; '*' is a wildcard (e.g. users.*).")
    subject = param.String(default="", doc="Only subjects containing this text (e.g. user:alice).")
    text = param.String(default="", doc="Free text searched in actor, action, subject and payload.")
    outcome = param.Selector[str](default="", objects=["", "ok", "denied"], doc="Only entries with this outcome.")
    since = param.Date(default=None, allow_None=True, doc="Only entries at or after this time (UTC).")
    until = param.Date(default=None, allow_None=True, doc="Only entries before this time (UTC).")
    limit = param.Integer(default=500, bounds=(1, 10_000), doc="How many of the newest matching entries to show.")
    entries = param.List(default=[], item_type=AuditEntry, doc="Matching entries, newest first.")
    selected_seq = param.Integer(default=None, allow_None=True, doc="Sequence number of the entry shown in detail.")
    last_seq = param.Integer(default=0, doc="Highest sequence number loaded; polling asks for newer ones.")
    new_entries = param.Integer(default=0, doc="How many entries the last poll added.")
    verify_report = param.ClassSelector(class_=VerifyReport, allow_None=True, default=None, doc=(
        "Result of the last chain verification."))

    def filter(self, *, after_seq: int | None = None, limit: int | None = None) -> AuditFilter:
        """Return the :class:`AuditFilter` the page's filter fields describe."""
        return AuditFilter(
            actor=self.actor.strip() or None,
            action=self.action.strip() or None,
            subject=self.subject.strip() or None,
            text=self.text.strip() or None,
            outcome=AuditOutcome(self.outcome) if self.outcome else None,
            since=utc(self.since) if isinstance(self.since, datetime) else None,
            until=utc(self.until) if isinstance(self.until, datetime) else None,
            after_seq=after_seq,
            limit=limit,
            newest_first=after_seq is None,
        )

    @param.depends("actor", "action", "subject", "text", "outcome", "since", "until", "limit", watch=True)
    def refresh(self) -> None:
        """Reload the newest entries that match the filters."""
        if self.session.console is None:
            return
        found = self.run(lambda: self.console.audit(self.filter(limit=self.limit)))
        if found is None:
            return
        top = max((e.seq for e in found), default=self.last_seq)
        self.param.update(entries=found, last_seq=max(top, self.last_seq), new_entries=0)
        if self.selected_seq is not None and self.selected is None:
            self.selected_seq = None

    def poll(self) -> int:
        """Add entries appended since the last load (by any process); return how many."""
        if self.session.console is None:
            return 0
        fresh = self.run(lambda: self.console.audit(self.filter(after_seq=self.last_seq, limit=self.limit)))
        if not fresh:
            return 0
        newest_first = sorted(fresh, key=lambda e: e.seq, reverse=True)
        merged = (newest_first + self.entries)[: self.limit]
        self.param.update(entries=merged, last_seq=newest_first[0].seq, new_entries=len(fresh))
        return len(fresh)

    def clear_filters(self) -> None:
        """Reset every filter and reload."""
        with param.parameterized.discard_events(self):
            self.param.update(actor="", action="", subject="", text="", outcome="", since=None, until=None)
        self.refresh()

    @property
    def selected(self) -> AuditEntry | None:
        """Return the entry chosen for the details panel, if it is loaded."""
        return next((e for e in self.entries if e.seq == self.selected_seq), None)

    def frame(self) -> pd.DataFrame:
        """Return the loaded entries as a table for display."""
        return pd.DataFrame([_row(e) for e in self.entries], columns=COLUMNS)

    def verify(self) -> VerifyReport | None:
        """Recompute the whole hash chain and keep the report."""
        report = self.run(self.console.verify_audit)
        if report is not None:
            self.verify_report = report
            self.say(str(report), "success" if report.ok else "danger")
        return report

    @property
    def can_export(self) -> bool:
        """Return whether the role may export the ledger."""
        return self.session.can(Permission.AUDIT_EXPORT)

    def export_csv(self) -> io.StringIO:
        """Export the entries matching the filters as CSV (the export is itself audited)."""
        out = io.StringIO()
        count = self.run(lambda: self.console.export_audit(out, "csv", self.filter(limit=None)))
        if count is not None:
            self.say(f"Exported {count} entries as CSV.", "success")
        out.seek(0)
        return out
