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


def test_migrate_when_fills_predate_fee_detail_fills_it_in_from_their_one_currency(
    db_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from sqlalchemy import text
    from sqlmodel import Session, col, select

    from athena.model import FeeCharge
    from athena.store import FillRow
    from athena.store import migrations as steps

    store = Store(db_url)
    monkeypatch.setattr(steps, "MIGRATIONS", tuple(m for m in MIGRATIONS if m.version < 15))
    migrate(store)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO orders (id, client_order_id, symbol, side, type, quantity, tif, status, filled_quantity, "
            "venue, requested_by, created_at, updated_at) VALUES (1, 'o-1', 'BTC/USDT', 'buy', 'market', '1.5', "
            "'GTC', 'filled', '1.5', 'binance', 'admin', :now, :now)"), {"now": now})
        # A buy charged 0.0005 BTC (worth 15), one charged 0.001 BNB (worth 0.3), a paper-like fill with no currency.
        for fill_id, quantity, fee, currency, native in ((1, "0.5", "15", "BTC", "0.0005"),
                                                         (2, "0.5", "0.3", "BNB", "0.001"),
                                                         (3, "0.5", "15", None, None)):
            conn.execute(text(
                "INSERT INTO fills (id, order_id, symbol, side, quantity, price, fee, ts, fee_currency, fee_native) "
                "VALUES (:id, 1, 'BTC/USDT', 'buy', :q, '30000', :fee, :now, :currency, :native)"),
                {"id": fill_id, "q": quantity, "fee": fee, "now": now, "currency": currency, "native": native})
    monkeypatch.setattr(steps, "MIGRATIONS", MIGRATIONS)
    assert [m.version for m in migrate(store)] == [15]
    with Session(store.engine) as s:
        rows = s.exec(select(FillRow).order_by(col(FillRow.id))).all()
    assert [(r.fee_currency, r.fee_native, r.fee_detail) for r in rows] == [
        ("BTC", Decimal("0.0005"), (FeeCharge("BTC", Decimal("0.0005"), Decimal(15)),)),
        ("BNB", Decimal("0.001"), (FeeCharge("BNB", Decimal("0.001"), Decimal("0.3")),)),
        (None, None, ())]
    store.dispose()
