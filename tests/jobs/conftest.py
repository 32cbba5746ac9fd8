"""Fixtures for the job tests: an allowlist holding one notebook that sleeps."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def slow_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the allowlist at a directory holding one notebook that sleeps."""
    import nbformat

    folder = tmp_path / "jobs"
    folder.mkdir()
    book = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("seconds: int = 60  # how long to sleep")
    params.metadata["tags"] = ["parameters"]
    book.cells = [params, nbformat.v4.new_code_cell("import time\ntime.sleep(seconds)")]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, folder / "slow.ipynb")
    monkeypatch.setenv("ATHENA_JOBS_DIR", str(folder))
    return folder
