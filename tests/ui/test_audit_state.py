"""The Audit page as an object: filters, live additions from other processes, details, verify, export."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import timedelta

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.model import Role
from athena.ui.state import ShellState


def test_refresh_when_logged_in_loads_newest_first(log_in: Callable[[Role], ShellState]) -> None:
    audit = log_in(Role.VIEWER).audit

    seqs = [e.seq for e in audit.entries]

    assert seqs == sorted(seqs, reverse=True)
    assert audit.last_seq == seqs[0]
    assert list(audit.frame().columns) == ["seq", "time", "actor", "action", "subject", "outcome"]


def test_poll_when_another_console_writes_adds_entry_on_top(
    log_in: Callable[[Role], ShellState], admin: Console
) -> None:
    audit = log_in(Role.VIEWER).audit
    before = audit.last_seq

    admin.add_user("written-elsewhere", Role.QUANT)
    added = audit.poll()

    assert added == 1
    assert audit.entries[0].subject == "user:written-elsewhere"
    assert audit.last_seq > before
    assert audit.poll() == 0


def test_filters_when_set_narrow_entries_and_poll_respects_them(
    log_in: Callable[[Role], ShellState], admin: Console
) -> None:
    audit = log_in(Role.ADMIN).audit

    audit.action = "users.*"
    assert audit.entries == []
    admin.add_user("carol", Role.TRADER)
    audit.poll()
    assert [e.action for e in audit.entries] == ["users.add"]

    audit.action = ""
    audit.actor = "system:init"
    assert {e.actor for e in audit.entries} == {"system:init"}

    audit.actor = ""
    audit.text = "carol"
    assert {e.subject for e in audit.entries} == {"user:carol"}

    audit.clear_filters()
    assert len(audit.entries) > 2


def test_time_range_when_set_excludes_entries_outside(
    log_in: Callable[[Role], ShellState], admin: Console, clock: SimulatedClock
) -> None:
    audit = log_in(Role.ADMIN).audit
    clock.advance(timedelta(hours=1))
    admin.add_user("late", Role.VIEWER)

    audit.since = (clock.now() - timedelta(minutes=1)).replace(tzinfo=None)
    assert [e.subject for e in audit.entries] == ["user:late"]

    audit.param.update(since=None, until=(clock.now() - timedelta(minutes=1)).replace(tzinfo=None))
    assert "user:late" not in {e.subject for e in audit.entries}


def test_selected_when_seq_chosen_exposes_payload_and_hashes(log_in: Callable[[Role], ShellState]) -> None:
    audit = log_in(Role.ADMIN).audit
    first = audit.entries[-1]

    audit.selected_seq = first.seq

    assert audit.selected is not None
    assert audit.selected.action == "workspace.init"
    assert len(audit.selected.hash) == 64 and audit.selected.signature


def test_verify_when_chain_intact_reports_ok(log_in: Callable[[Role], ShellState]) -> None:
    audit = log_in(Role.VIEWER).audit

    report = audit.verify()

    assert report is not None and report.ok
    assert audit.level == "success"
    assert "OK" in audit.message


def test_export_csv_when_allowed_returns_rows_and_is_audited(
    log_in: Callable[[Role], ShellState], admin: Console
) -> None:
    audit = log_in(Role.VIEWER).audit

    rows = list(csv.DictReader(audit.export_csv()))

    assert rows and {"seq", "actor", "action"} <= set(rows[0])
    assert admin.audit(AuditFilter(action="audit.export", limit=1))[0].actor == "viewer9"
    assert audit.poll() >= 1
