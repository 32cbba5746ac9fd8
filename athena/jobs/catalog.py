"""The allowlist: job notebooks in the jobs directory, and their parameters read from the notebook.

Only notebooks in the jobs directory (``ATHENA_JOBS_DIR``, default the repository's
``papermill_jobs/``) can run, by name. Each declares its parameters in one cell tagged
``parameters`` as annotated assignments with a ``# help`` comment; user values are checked
against those names and types before anything starts.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from athena.errors import InvalidInput, InvalidParameter

__all__ = ["JobSpec", "Param", "catalog", "jobs_dir", "spec", "validate_params"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TYPES: dict[str, type] = {"int": int, "float": float, "str": str, "bool": bool}


def jobs_dir() -> Path:
    """Return the directory whose notebooks are the allowed jobs."""
    configured = os.environ.get("ATHENA_JOBS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "papermill_jobs"


@dataclass(frozen=True, slots=True)
class Param:
    """One job parameter as the notebook declares it."""

    name: str
    type: str
    default: str
    help: str


@dataclass(frozen=True, slots=True)
class JobSpec:
    """An allowed job: its name, notebook and parameters."""

    name: str
    path: Path
    params: tuple[Param, ...]


class UnknownJob(InvalidInput):
    """No allowed job has that name."""


def catalog() -> list[JobSpec]:
    """Return every allowed job, sorted by name."""
    return [spec(path.stem) for path in sorted(jobs_dir().glob("*.ipynb"))]


def spec(name: str) -> JobSpec:
    """Return the job called ``name`` or raise UnknownJob with suggestions."""
    from papermill import inspect_notebook

    available = sorted(p.stem for p in jobs_dir().glob("*.ipynb"))
    if not _NAME.match(name) or name not in available:
        close = difflib.get_close_matches(name, available, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownJob(f"unknown job {name!r}{hint} (jobs: {', '.join(available)})")
    path = jobs_dir() / f"{name}.ipynb"
    found = inspect_notebook(str(path))
    params = tuple(Param(p["name"], p["inferred_type_name"], p["default"], p["help"]) for p in found.values())
    return JobSpec(name, path, params)


def _convert(param: Param, value: Any) -> Any:
    converted = _converted(param, value)
    if isinstance(converted, float) and not math.isfinite(converted):
        raise InvalidParameter(f"parameter {param.name} must be a finite {param.type}, was {value!r}")
    return converted


def _converted(param: Param, value: Any) -> Any:
    kind = _TYPES.get(param.type)
    if kind is None or not isinstance(value, str):
        if kind is not None and not isinstance(value, kind):
            raise InvalidParameter(f"parameter {param.name} must be {param.type}, was {value!r}")
        return value
    try:
        if kind is bool:
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "yes")
        return kind(value)
    except ValueError:
        raise InvalidParameter(f"parameter {param.name} must be {param.type}, was {value!r}") from None


def validate_params(job: JobSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Return ``values`` converted to the declared types; refuse unknown names and wrong types."""
    declared = {p.name: p for p in job.params}
    out = {}
    for name, value in values.items():
        if name not in declared:
            close = difflib.get_close_matches(name, declared, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InvalidParameter(f"job {job.name} has no parameter {name!r}{hint} "
                                   f"(parameters: {', '.join(declared)})")
        out[name] = _convert(declared[name], value)
    return out
