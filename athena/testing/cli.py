"""The ``athena`` command run as a user runs it: a subprocess on one workspace, for tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["CLI_PASSWORD", "Run", "cli_runner"]

Run = Callable[..., subprocess.CompletedProcess[str]]

#: The first ADMIN's password in workspaces the CLI tests initialise.
CLI_PASSWORD = "Cli-Passw0rd-42"


def cli_runner(home: Path, cwd: Path | None = None) -> Run:
    """Return ``run(*args, stdin=None, ok=True)`` running ``athena`` on ``home`` in a clean environment.

    With ``ok`` the command must exit 0 (its stderr is the assertion message); without, the caller
    checks the exit code itself.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATHENA_")}
    env["ATHENA_HOME"] = str(home)

    def run(*args: str, stdin: str | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "athena", *args], input=stdin, capture_output=True,
                              text=True, env=env, timeout=60, cwd=cwd)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    return run
