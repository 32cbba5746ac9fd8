"""Shared fixtures: simulated clock, a workspace on SQLite or PostgreSQL, users per role.

PostgreSQL tests use ``ATHENA_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); each test gets its own schema, dropped after.
Where no server answers, those tests are skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from athena.clock import SimulatedClock
from athena.console import Console
from athena.model import Role
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.testing.cli import CLI_PASSWORD, Run, cli_runner
from athena.testing.postgres import create_schema, drop_schema, postgres_unavailable
from athena.workspace import Workspace

_pg_state: dict[str, str] = {}


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """Yield a PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if "reason" not in _pg_state:
        _pg_state["reason"] = postgres_unavailable() or ""
    if _pg_state["reason"]:
        pytest.skip(_pg_state["reason"])
    schema, url = create_schema()
    yield url
    drop_schema(schema)


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


@pytest.fixture
def athena(tmp_path: Path) -> Run:
    """Return a runner of the ``athena`` command on a fresh (not yet initialised) workspace."""
    return cli_runner(tmp_path / "ws")


@pytest.fixture
def admin_cli(athena: Run) -> Run:
    """Return the ``athena`` runner on an initialised workspace, logged in as its first ADMIN."""
    athena("init", "--admin-password-stdin", stdin=CLI_PASSWORD + "\n")
    athena("login", "admin", "--password-stdin", stdin=CLI_PASSWORD + "\n")
    return athena
