from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlmodel import SQLModel

from athena.errors import InvalidConfig
from athena.store import MIGRATIONS, Store, current_version, migrate, normalise_url
from athena.testing import ADMIN_PASSWORD, new_workspace


def test_migrate_when_run_twice_applies_each_migration_once(db_url: str) -> None:
    store = Store(db_url)
    assert current_version(store) == 0
    first = migrate(store)
    assert [m.version for m in first] == [m.version for m in MIGRATIONS]
    assert migrate(store) == []
    assert current_version(store) == MIGRATIONS[-1].version
    store.dispose()


def test_migrated_schema_when_compared_with_tables_has_same_columns(db_url: str) -> None:
    store = Store(db_url)
    migrate(store)
    inspector = inspect(store.engine)
    for name, table in SQLModel.metadata.tables.items():
        assert inspector.has_table(name), f"migrations do not create table {name}"
        stored = {c["name"]: c for c in inspector.get_columns(name)}
        assert set(stored) == {c.name for c in table.columns}, name
        for column in table.columns:
            assert stored[column.name]["nullable"] == column.nullable or column.primary_key, (name, column.name)
    store.dispose()


def test_sqlite_store_when_opened_uses_wal_and_foreign_keys(tmp_path: object) -> None:
    store = Store(f"sqlite:///{tmp_path}/x.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.dispose()


def test_in_memory_workspace_when_opened_keeps_one_database_for_every_session(tmp_path: Path) -> None:
    ws, _ = new_workspace(tmp_path / "w", db_url="sqlite://")
    admin = ws.login("admin", ADMIN_PASSWORD)
    order = admin.submit_order("BTC/USDT", "buy", "0.001", type="limit", price="1000")
    assert [o.id for o in admin.orders()] == [order.id]
    ws.close()


@pytest.mark.parametrize("url", ["mysql://x/y", "redis://localhost"])
def test_normalise_url_when_unsupported_names_choices(url: str) -> None:
    with pytest.raises(InvalidConfig, match="use sqlite:/// or postgresql://"):
        normalise_url(url)


def test_normalise_url_when_postgres_picks_psycopg() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_migrate_when_runs_predate_books_keeps_them_without_book(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from sqlmodel import Session, select

    from athena.store import RunRow
    from athena.store import migrations as steps

    store = Store(db_url)
    monkeypatch.setattr(steps, "MIGRATIONS", tuple(m for m in MIGRATIONS if m.version < 11))
    migrate(store)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO runs (id, kind, strategy, params, config_hash, data_fingerprint, metrics, artefacts, "
            "status, created_by, created_at) VALUES ('old1', 'backtest', 's', '{}', 'h', 'f', '{}', '{}', "
            "'completed', 'admin', %s)" % ("?" if store.dialect == "sqlite" else "%s"),
            (datetime(2026, 1, 1, tzinfo=UTC),))
    monkeypatch.setattr(steps, "MIGRATIONS", MIGRATIONS)
    assert [m.version for m in migrate(store)] == [m.version for m in MIGRATIONS if m.version >= 11]
    with Session(store.engine) as s:
        row = s.exec(select(RunRow)).one()
    assert (row.id, row.symbols, row.book) == ("old1", None, None)
    store.dispose()
