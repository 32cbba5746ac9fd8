"""nbval runs these notebooks against a fresh seeded workspace, never the developer's own."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from athena.testing import new_workspace

_HOME: list[str] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if not _HOME:
        home = Path(tempfile.mkdtemp(prefix="athena-nbval-")) / "ws"
        new_workspace(home)
        _HOME.append(str(home))
    os.environ["ATHENA_HOME"] = _HOME[0]


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is None or Path(str(nextitem.path)).parent != Path(__file__).parent:
        os.environ.pop("ATHENA_HOME", None)
