"""The ledger: chain, signatures, append-only triggers, tamper detection, concurrent writers.

Tampering is done as an attacker with database access would: raw SQL on the database (SQLite
through the stdlib driver on the file itself), dropping or disabling the triggers first.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from athena.audit import AuditFilter, entry_hash, verify
from athena.audit.ledger import head_message
from athena.keys import WorkspaceKey
from athena.testing import ADMIN_PASSWORD, append_as_system
from athena.workspace import Workspace

Raw = Callable[[list[str]], None]

SQLITE_TRIGGERS = [
    "audit_ledger_no_update", "audit_ledger_no_delete", "audit_head_forward_only", "audit_head_no_delete",
]


def _fill(ws: Workspace, n: int = 8) -> None:
    bot = ws.system("filler")
    for _ in range(n):
        bot.request_trading_mode("paper")


def raw_sql(ws: Workspace) -> Raw:
    """Return a function running SQL statements outside Athena, in one transaction."""
    if ws.store.dialect == "sqlite":
        path = ws.store.url.removeprefix("sqlite:///")

        def run_sqlite(statements: list[str]) -> None:
            conn = sqlite3.connect(path)
            try:
                with conn:
                    for stmt in statements:
                        conn.execute(stmt)
            finally:
                conn.close()

        return run_sqlite

    def run_pg(statements: list[str]) -> None:
        engine = create_engine(ws.store.url)
        try:
            with engine.begin() as conn:
                for stmt in statements:
                    conn.exec_driver_sql(stmt)
        finally:
            engine.dispose()

    return run_pg


def disable_triggers(ws: Workspace) -> list[str]:
    if ws.store.dialect == "sqlite":
        return [f"DROP TRIGGER {name}" for name in SQLITE_TRIGGERS]
    return ["ALTER TABLE audit_ledger DISABLE TRIGGER USER", "ALTER TABLE audit_head DISABLE TRIGGER USER"]


def test_verify_when_untouched_reports_ok_with_count_and_head(workspace: Workspace) -> None:
    _fill(workspace)
    report = verify(workspace.store, workspace.key)
    assert report.ok, report
    assert report.entries == report.head_seq == 9
    with workspace.store.read() as s:
        last = s.exec(text("SELECT hash FROM audit_ledger WHERE seq = 9")).scalar_one()  # type: ignore[call-overload]
    assert report.head_hash == last


def test_verify_when_empty_ledger_is_ok(tmp_path: Path) -> None:
    from athena.store import Store, migrate

    store = Store(f"sqlite:///{tmp_path}/e.db")
    migrate(store)
    assert verify(store, WorkspaceKey(b"k" * 32)).ok


@pytest.mark.parametrize("statement", ["UPDATE audit_ledger SET actor = 'mallory' WHERE seq = 1",
                                       "DELETE FROM audit_ledger WHERE seq = 1"])
def test_ledger_when_updated_or_deleted_refuses(workspace: Workspace, statement: str) -> None:
    with pytest.raises(Exception, match="append-only"):
        raw_sql(workspace)([statement])
    assert verify(workspace.store, workspace.key).ok


@pytest.mark.postgres
def test_ledger_when_truncated_on_postgres_refuses(pg_schema_url: str, tmp_path: Path) -> None:
    from athena.testing import new_workspace

    ws, _ = new_workspace(tmp_path / "w", db_url=pg_schema_url)
    with pytest.raises(Exception, match="append-only"):
        raw_sql(ws)(["TRUNCATE audit_ledger"])
    ws.close()


def test_head_when_moved_backwards_refuses(workspace: Workspace) -> None:
    _fill(workspace, 2)
    with pytest.raises(Exception, match="only moves forward"):
        raw_sql(workspace)(["UPDATE audit_head SET seq = 1"])


def test_verify_when_payload_edited_names_that_entry(workspace: Workspace) -> None:
    _fill(workspace)
    raw_sql(workspace)([*disable_triggers(workspace),
                        "UPDATE audit_ledger SET payload = '{\"trading_mode\":\"live\"}' WHERE seq = 4"])
    report = verify(workspace.store, workspace.key)
    assert (report.ok, report.first_bad_seq) == (False, 4)
    assert "altered" in (report.reason or "")


def test_verify_when_row_deleted_names_the_missing_sequence(workspace: Workspace) -> None:
    _fill(workspace)
    raw_sql(workspace)([*disable_triggers(workspace), "DELETE FROM audit_ledger WHERE seq = 5"])
    report = verify(workspace.store, workspace.key)
    assert (report.ok, report.first_bad_seq) == (False, 5)
    assert "missing" in (report.reason or "")


def test_verify_when_rows_reordered_names_the_first_swapped(workspace: Workspace) -> None:
    _fill(workspace)
    raw_sql(workspace)([
        *disable_triggers(workspace),
        "UPDATE audit_ledger SET seq = -3 WHERE seq = 3",
        "UPDATE audit_ledger SET seq = 3 WHERE seq = 4",
        "UPDATE audit_ledger SET seq = 4 WHERE seq = -3",
    ])
    report = verify(workspace.store, workspace.key)
    assert (report.ok, report.first_bad_seq) == (False, 3)


def test_verify_when_tail_truncated_names_first_missing(workspace: Workspace) -> None:
    _fill(workspace)
    raw_sql(workspace)([*disable_triggers(workspace), "DELETE FROM audit_ledger WHERE seq >= 8"])
    report = verify(workspace.store, workspace.key)
    assert (report.ok, report.first_bad_seq) == (False, 8)
    assert "8..9 are missing" in (report.reason or "")


def test_verify_when_tail_truncated_then_appended_still_names_gap(workspace: Workspace) -> None:
    _fill(workspace)
    raw_sql(workspace)([*disable_triggers(workspace), "DELETE FROM audit_ledger WHERE seq >= 8"])
    _fill(workspace, 1)
    report = verify(workspace.store, workspace.key)
    assert (report.ok, report.first_bad_seq) == (False, 8)


def test_verify_when_chain_rebuilt_without_key_reports_forged_signature(workspace: Workspace) -> None:
    _fill(workspace)
    with workspace.store.read() as s:
        rows = s.exec(text("SELECT seq, ts, actor, action, subject, outcome, payload, prev_hash "  # type: ignore[call-overload]
                           "FROM audit_ledger WHERE seq >= 4 ORDER BY seq")).all()
    forger = WorkspaceKey(b"m" * 32)
    prev = rows[0].prev_hash
    statements = disable_triggers(workspace)
    for seq, ts, actor, action, subject, outcome, payload, _ in rows:
        payload = '{"forged":true}' if seq == 4 else payload
        digest = entry_hash(prev, seq, ts, actor, action, subject, outcome, payload)
        statements.append(
            f"UPDATE audit_ledger SET payload = '{payload}', prev_hash = '{prev}', hash = '{digest}', "
            f"signature = '{forger.sign(digest)}' WHERE seq = {seq}"
        )
        prev = digest
    statements.append(f"UPDATE audit_head SET hash = '{prev}', signature = '{forger.sign(head_message(9, prev))}'")
    raw_sql(workspace)(statements)
    report = verify(workspace.store, workspace.key)
    assert (report.ok, report.first_bad_seq) == (False, 4)
    assert "signature" in (report.reason or "")


@pytest.mark.slow
def test_append_when_two_processes_write_concurrently_keeps_one_chain(workspace: Workspace) -> None:
    ctx = multiprocessing.get_context("spawn")
    home, url, per = str(workspace.settings.home), workspace.settings.db_url, 60
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=append_as_system, args=(home, url, f"p{i}", per, barrier)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    report = verify(workspace.store, workspace.key)
    assert report.ok, report
    assert report.entries == 1 + 2 * per
    admin = workspace.login("admin", ADMIN_PASSWORD)
    actors = [e.actor for e in admin.audit(AuditFilter(action="mode.paper", limit=None))]
    assert sorted(set(actors)) == ["system:p0", "system:p1"]
    assert actors.count("system:p0") == actors.count("system:p1") == per
    switches = sum(a != b for a, b in zip(actors, actors[1:], strict=False))
    assert switches >= 2, "the writers did not overlap, so the test proved nothing"
