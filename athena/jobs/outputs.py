"""Refresh the outputs committed with the job notebooks (``make notebooks``).

Each notebook is executed with its defaults in a scratch workspace; only the outputs of cells
marked ``# NBVAL_CHECK_OUTPUT`` are kept (nbval compares those), every other output and all
execution metadata are dropped, so the committed files hold no volatile output.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = ["MARK", "refresh", "strip"]

MARK = "# NBVAL_CHECK_OUTPUT"


def strip(notebook: Path, executed: Path) -> None:
    """Copy the checked outputs of ``executed`` into ``notebook`` and clear everything volatile."""
    import nbformat

    source = nbformat.read(notebook, as_version=4)
    run = nbformat.read(executed, as_version=4)
    for cell, done in zip(source.cells, run.cells, strict=True):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        checked = cell.source.lstrip().startswith(MARK)
        # nbval skips comparing a cell without an execution count, so checked cells keep theirs.
        cell.execution_count = done.execution_count if checked else None
        cell.outputs = [o for o in done.outputs if o.get("name") != "stderr"] if checked else []
    source.metadata.pop("papermill", None)
    nbformat.write(source, notebook)


def refresh(paths: list[Path]) -> None:
    """Execute each notebook in a scratch workspace and keep only its checked outputs."""
    import papermill

    from athena.testing import new_workspace

    with tempfile.TemporaryDirectory() as tmp:
        new_workspace(Path(tmp) / "ws")
        os.environ["ATHENA_HOME"] = str(Path(tmp) / "ws")
        for path in paths:
            out = Path(tmp) / path.name
            papermill.execute_notebook(str(path), str(out), cwd=tmp, kernel_name="python3", progress_bar=False)
            strip(path, out)
            print(f"refreshed {path}")


if __name__ == "__main__":
    refresh([Path(p) for p in sys.argv[1:]])
