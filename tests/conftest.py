"""Shared fixtures: simulated clock, a workspace on SQLite or PostgreSQL, users per role.

PostgreSQL tests use ``ATHENA_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); each test gets its own schema, dropped after.
Where no server answers, those tests are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from athena.clock import SimulatedClock
from athena.console import Console
from athena.model import Role
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.workspace import Workspace

PG_URL = os.environ.get("ATHENA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, str] = {}


def _driver_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def postgres_unavailable() -> str | None:
    """Return why PostgreSQL cannot be used, or None when it answers."""
    if "reason" not in _pg_state:
        try:
            engine = create_engine(_driver_url(PG_URL), connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_state["reason"] = ""
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _pg_state["reason"] = f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}); set ATHENA_TEST_PG_URL"
    return _pg_state["reason"] or None


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """Yield a PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    schema = f"athena_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_driver_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Yield a database URL for each supported backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'athena.db'}"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def clock() -> SimulatedClock:
    """Return a simulated clock at a fixed instant."""
    return SimulatedClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))


@pytest.fixture
def workspace(tmp_path: Path, db_url: str, clock: SimulatedClock) -> Iterator[Workspace]:
    """Yield an initialised workspace on each backend with a fast KDF."""
    ws, _ = new_workspace(tmp_path / "ws", db_url=db_url, clock=clock)
    yield ws
    ws.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path, clock: SimulatedClock) -> Iterator[Workspace]:
    """Yield an initialised SQLite workspace (for tests that are about logic, not storage)."""
    ws, _ = new_workspace(tmp_path / "ws", clock=clock)
    yield ws
    ws.close()


USER_PASSWORD = "User-Passw0rd-9"


@pytest.fixture
def admin(sqlite_workspace: Workspace) -> Console:
    """Return a Console logged in as the first ADMIN of the SQLite workspace."""
    return sqlite_workspace.login("admin", ADMIN_PASSWORD)


@pytest.fixture
def login_as(admin: Console) -> Callable[[Role], Console]:
    """Return a function that creates a user of a role and logs them in."""
    made: dict[Role, Console] = {Role.ADMIN: admin}

    def make(role: Role) -> Console:
        if role not in made:
            name = f"{role.value.lower()}1"
            admin.add_user(name, role, USER_PASSWORD)
            made[role] = admin.workspace.login(name, USER_PASSWORD)
        return made[role]

    return make
