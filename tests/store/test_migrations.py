from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlmodel import SQLModel

from athena.errors import InvalidConfig
from athena.store import MIGRATIONS, Store, current_version, migrate, normalise_url


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


@pytest.mark.parametrize("url", ["mysql://x/y", "redis://localhost"])
def test_normalise_url_when_unsupported_names_choices(url: str) -> None:
    with pytest.raises(InvalidConfig, match="use sqlite:/// or postgresql://"):
        normalise_url(url)


def test_normalise_url_when_postgres_picks_psycopg() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
