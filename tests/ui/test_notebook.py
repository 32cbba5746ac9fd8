"""The dashboard notebook runs as a plain Jupyter notebook (the JupyterLab face) too."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from athena.testing import new_workspace

NOTEBOOK = Path(__file__).resolve().parents[2] / "dashboards" / "control_plane.ipynb"


def test_notebook_is_thin_extension_import_constructor() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]

    assert len(code) == 1
    lines = [line for line in code[0].source.splitlines() if line.strip()]
    assert lines == ["from athena.ui import ControlPlane, extension", "extension()", "ControlPlane().servable()"]
    assert all(not c.get("outputs") for c in code)


@pytest.mark.slow
def test_notebook_when_run_in_jupyter_kernel_renders_panel_with_default_comms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_workspace(tmp_path / "ws")[0].close()
    monkeypatch.setenv("ATHENA_HOME", str(tmp_path / "ws"))
    monkeypatch.delenv("VOILA_BASE_URL", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)

    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    mimes = {mime for o in outputs for mime in o.get("data", {})}
    assert "application/vnd.holoviews_exec.v0+json" in mimes
    assert "application/vnd.jupyter.widget-view+json" not in mimes
    assert "cdn.holoviz.org" not in json.dumps([o.get("data", {}).get("text/html", "") for o in outputs])
