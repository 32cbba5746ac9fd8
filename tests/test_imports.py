"""``import athena`` stays light: no Panel, Jupyter, Bokeh widgets or ccxt."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ["panel", "bokeh.models.widgets", "ipywidgets", "jupyter_client", "ipykernel", "ccxt", "voila", "numba",
         "dask", "distributed"]


def test_import_athena_when_fresh_interpreter_loads_no_heavy_modules() -> None:
    code = (
        "import sys, athena, json; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
