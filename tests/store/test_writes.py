"""Write transactions: durability setting, batched rows, and the urgent-write gate on SQLite."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from athena.config import Settings
from athena.errors import InvalidConfig, StoreUnavailable
from athena.store import EventRow, Store, migrate, publish
from athena.store.writers import WriterGate


@pytest.mark.parametrize(("setting", "pragma"), [("full", 2), ("normal", 1)])
def test_sqlite_store_when_synchronous_chosen_sets_the_pragma(tmp_path: Path, setting: str, pragma: int) -> None:
    store = Store(f"sqlite:///{tmp_path}/x.db", synchronous=setting)  # type: ignore[arg-type]
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == pragma
    store.dispose()


def test_settings_when_sqlite_synchronous_env_set_reads_it_and_refuses_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings.from_env(tmp_path).sqlite_synchronous == "full"
    monkeypatch.setenv("ATHENA_SQLITE_SYNCHRONOUS", "NORMAL")
    assert Settings.from_env(tmp_path).sqlite_synchronous == "normal"
    monkeypatch.setenv("ATHENA_SQLITE_SYNCHRONOUS", "off")
    with pytest.raises(InvalidConfig, match="ATHENA_SQLITE_SYNCHRONOUS must be full or normal, was 'off'"):
        Settings.from_env(tmp_path)


def test_write_when_rolled_back_writes_none_of_its_batched_events(db_url: str) -> None:
    store = Store(db_url)
    migrate(store)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError, match="boom"), store.write() as s:
        publish(s, ts=now, type="Kept", subject="x", payload={}, audit_seq=None)
        raise RuntimeError("boom")
    with store.write() as s:
        publish(s, ts=now, type="First", subject="x", payload={"n": 1}, audit_seq=None)
        publish(s, ts=now, type="Second", subject="x", payload={"n": 2}, audit_seq=7)
    with store.read() as s:
        rows = s.exec(select(EventRow).order_by(EventRow.id)).all()  # type: ignore[arg-type]
    assert [(r.type, r.payload, r.audit_seq) for r in rows] == [("First", '{"n":1}', None),
                                                              ("Second", '{"n":2}', 7)]
    store.dispose()


def test_wait_open_when_urgent_write_holds_the_gate_waits_then_says_unavailable(tmp_path: Path) -> None:
    gate = WriterGate(tmp_path / "x.db", timeout_s=0.05)
    with gate.urgent(), pytest.raises(StoreUnavailable, match="x.db-writer.gate stayed closed for 0.05 s"):
        gate.wait_open()
    gate.wait_open()


def test_write_when_gate_closed_elsewhere_does_not_begin(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/x.db")
    migrate(store)
    store._writers = WriterGate(tmp_path / "x.db", timeout_s=0.05)  # instead of the 30 s busy timeout
    with WriterGate(tmp_path / "x.db", timeout_s=1).urgent(), pytest.raises(StoreUnavailable), store.write() as s:
        publish(s, ts=datetime(2026, 1, 1, tzinfo=UTC), type="Lost", subject="x", payload={}, audit_seq=None)
    with store.write(urgent=True) as s:
        publish(s, ts=datetime(2026, 1, 1, tzinfo=UTC), type="Urgent", subject="x", payload={}, audit_seq=None)
    with store.read() as s:
        assert [r.type for r in s.exec(select(EventRow))] == ["Urgent"]
    store.dispose()


def test_urgent_write_when_another_holds_the_lock_waits_for_it_and_keeps_the_busy_timeout(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/x.db")
    migrate(store)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.write() as s:
            publish(s, ts=now, type="Before", subject="x", payload={}, audit_seq=None)
            s.connection()  # BEGIN IMMEDIATE: holds SQLite's write lock until the commit
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    threading.Timer(0.2, release.set).start()
    with store.write(urgent=True) as s:
        publish(s, ts=now, type="Urgent", subject="x", payload={}, audit_seq=None)
        assert s.connection().exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    holder.join(5)
    with store.read() as s:
        assert [r.type for r in s.exec(select(EventRow).order_by(EventRow.id))] == ["Before", "Urgent"]  # type: ignore[arg-type]
    store.dispose()


def test_store_when_named_by_a_file_uri_reads_while_a_write_is_open(tmp_path: Path) -> None:
    store = Store(f"sqlite:///file:{tmp_path}/x.db?uri=true")
    migrate(store)
    with store.write() as s:
        publish(s, ts=datetime(2026, 1, 1, tzinfo=UTC), type="Pending", subject="x", payload={}, audit_seq=None)
        s.connection()
        with store.read() as r:
            assert r.exec(select(EventRow)).all() == []
    with store.read() as r:
        assert [e.type for e in r.exec(select(EventRow))] == ["Pending"]
    store.dispose()
