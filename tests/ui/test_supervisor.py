"""``athena up`` without a browser: the command it builds, and the refusals before it starts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from athena.config import Settings
from athena.errors import InvalidConfig, NotInitialised
from athena.runtime import build_server, run_up
from athena.runtime.supervisor import VOILA_DIR
from athena.workspace import Workspace


@pytest.fixture
def busy_port() -> Iterator[int]:
    """Yield a port on 127.0.0.1 that something is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_build_server_when_voila_pins_port_and_ships_config(sqlite_workspace: Workspace) -> None:
    spec = build_server(sqlite_workspace.settings, "voila", 8899, explicit_db_url=True)

    assert "--Voila.port_retries=0" in spec.argv and "--port=8899" in spec.argv
    assert spec.argv[-5].endswith("dashboards/control_plane.ipynb")
    assert spec.env["ATHENA_HOME"] == str(sqlite_workspace.settings.home)
    assert spec.env["ATHENA_DB_URL"] == sqlite_workspace.settings.db_url
    assert spec.env["JUPYTER_PATH"].startswith(str(VOILA_DIR / "share"))
    assert spec.env["JUPYTER_CONFIG_PATH"].startswith(str(VOILA_DIR / "config"))
    assert spec.url == "http://127.0.0.1:8899/"


def test_build_server_when_panel_serves_same_notebook(sqlite_workspace: Workspace) -> None:
    spec = build_server(sqlite_workspace.settings, "panel", 8898, explicit_db_url=False)

    assert spec.argv[1:4] == ("-m", "panel", "serve")
    assert spec.argv[4].endswith("dashboards/control_plane.ipynb")
    assert ("--allow-websocket-origin", "127.0.0.1:8898") == spec.argv[9:11]


def test_build_server_when_port_out_of_range_refuses(sqlite_workspace: Workspace) -> None:
    with pytest.raises(InvalidConfig, match="port must be within"):
        build_server(sqlite_workspace.settings, "voila", 70000, explicit_db_url=False)


def test_run_up_when_workspace_missing_says_run_init(tmp_path: Path) -> None:
    with pytest.raises(NotInitialised, match="athena init"):
        run_up(home=tmp_path / "none", db_url=None, server="voila", port=8897)


def test_run_up_when_port_busy_refuses_instead_of_moving(sqlite_workspace: Workspace, busy_port: int) -> None:
    settings: Settings = sqlite_workspace.settings

    with pytest.raises(InvalidConfig, match=f"port {busy_port}"):
        run_up(home=settings.home, db_url=settings.db_url, server="voila", port=busy_port)
