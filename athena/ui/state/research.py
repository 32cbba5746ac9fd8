"""Reading research results for the pages: run metrics, equity curves and job rows as tables."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pandas as pd

from athena.console import JobRecord
from athena.console._jobs import FINAL
from athena.jobs.catalog import Param
from athena.model import RunRecord

__all__ = ["FINAL", "JOB_COLUMNS", "STRESS_COLUMNS", "default_value", "equity_frame", "job_row", "metrics_frame",
           "stress_frame", "tail"]

JOB_COLUMNS = ["id", "name", "status", "progress", "requested_by", "created"]

STRESS_COLUMNS = ["scenario", "pnl", "return_pct", "drawdown", "nav_after"]

#: The metrics shown first in a run report, in this order; the rest follow by name.
_HEADLINE = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "volatility", "trades", "win_rate",
             "profit_factor", "final_equity")


def equity_frame(run: RunRecord | None) -> pd.DataFrame:
    """Return the run's equity curve (columns ``time``, ``equity``), empty when it has none on disk."""
    empty = pd.DataFrame({"time": pd.Series(dtype="datetime64[ns, UTC]"), "equity": pd.Series(dtype=float)})
    path = Path(run.artefacts.get("equity", "")) if run is not None else None
    if path is None or not path.is_file():
        return empty
    frame = pd.read_csv(path)
    if list(frame.columns) != ["time", "equity"]:
        return empty
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


def metrics_frame(run: RunRecord | None) -> pd.DataFrame:
    """Return the run's metrics as ``metric``/``value`` rows, headline metrics first."""
    if run is None:
        return pd.DataFrame({"metric": pd.Series(dtype=object), "value": pd.Series(dtype=object)})
    names = [m for m in _HEADLINE if m in run.metrics] + sorted(m for m in run.metrics if m not in _HEADLINE)
    values = [run.metrics[m] for m in names]
    shown = [f"{v:,.4f}" if isinstance(v, float) else str(v) for v in values]
    return pd.DataFrame({"metric": names, "value": shown})


def stress_frame(job: JobRecord | None) -> pd.DataFrame:
    """Return the stress table a finished ``stress_test`` job saved (``stress.csv``), empty when none."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in STRESS_COLUMNS})
    path = Path(job.output_notebook).parent / "stress.csv" if job is not None else None
    if path is None or not path.is_file():
        return empty
    frame = pd.read_csv(path)
    if not set(STRESS_COLUMNS) <= set(frame.columns):
        return empty
    shown = frame[STRESS_COLUMNS].copy()
    for column in STRESS_COLUMNS[1:]:
        shown[column] = shown[column].map(lambda v: f"{v:,.2f}")
    return shown


def job_row(job: JobRecord) -> dict[str, Any]:
    """Return one job as a table row."""
    return {
        "id": job.id[:12],
        "name": job.name,
        "status": job.status,
        "progress": f"{job.progress:.0%}",
        "requested_by": job.requested_by,
        "created": job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
    }


def default_value(param: Param) -> object:
    """Return a job parameter's default as a Python value of its declared type (the text if unreadable)."""
    try:
        value = ast.literal_eval(param.default)
    except (ValueError, SyntaxError):
        return param.default
    if param.type == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def tail(path: str, lines: int = 40) -> str:
    """Return the last ``lines`` lines of the text file at ``path`` ('' when it does not exist yet)."""
    file = Path(path)
    if not path or not file.is_file():
        return ""
    return "\n".join(file.read_text(errors="replace").splitlines()[-lines:])
