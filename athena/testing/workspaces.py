"""Throw-away workspaces with a cheap password KDF, for tests and examples."""

from __future__ import annotations

import time
from datetime import datetime
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pyotp

from athena.clock import Clock
from athena.config import KdfSettings, SecuritySettings, Settings
from athena.workspace import Workspace, connect

__all__ = ["ADMIN_PASSWORD", "FAST_KDF", "TEST_SECURITY", "append_as_system", "new_workspace", "totp_now"]

FAST_KDF = KdfSettings(time_cost=1, memory_cost_kib=1024, parallelism=1)
TEST_SECURITY = SecuritySettings(kdf=FAST_KDF)
ADMIN_PASSWORD = "Root-Passw0rd-1"


def new_workspace(
    home: Path,
    *,
    db_url: str | None = None,
    admin_password: str = ADMIN_PASSWORD,
    clock: Clock | None = None,
    security: SecuritySettings = TEST_SECURITY,
) -> tuple[Workspace, str]:
    """Initialise a workspace at ``home`` with a fast KDF; return it and the ADMIN password."""
    settings = Settings.from_env(home, db_url, security)
    ws, _ = Workspace.init(settings, admin_password=admin_password, clock=clock)
    return ws, admin_password


def append_as_system(home: str, db_url: str, actor: str, count: int, barrier: Barrier | None = None,
                     pause_s: float = 0.005) -> None:
    """Open the workspace and make ``count`` audited actions as ``system:<actor>``.

    A picklable entry point for concurrency tests and benchmarks run in other processes;
    with a ``barrier`` every process connects first and then all start writing together. The
    short ``pause_s`` between actions is what real writers have; without it SQLite's backing-off
    busy handler lets one tight loop keep the write lock for all its turns.
    """
    ws = connect(home, db_url)
    bot = ws.system(actor)
    if barrier is not None:
        barrier.wait()
    for _ in range(count):
        bot.request_trading_mode("paper")
        time.sleep(pause_s)
    ws.close()


def totp_now(secret: str, when: datetime) -> str:
    """Return the TOTP code of ``secret`` at ``when``."""
    return pyotp.TOTP(secret).at(when)
