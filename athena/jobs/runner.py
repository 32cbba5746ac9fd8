"""Run a queued job in its own process group, watch its progress and enforce its time limit.

The worker process (``python -m athena.jobs.worker JOB_ID``) executes the notebook with
papermill; papermill saves the output notebook after every cell, so progress is the share of
cells marked completed. The kernel exits when its parent worker dies (ipykernel's parent
poller), so killing the worker's process group on cancel or timeout leaves nothing running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from athena.console import Console, JobRecord
from athena.console._jobs import FINAL
from athena.errors import InvalidConfig
from athena.store import JobRow

__all__ = ["JOBS_ACTOR", "max_concurrent", "notebook_progress", "run"]

JOBS_ACTOR = "jobs"


def max_concurrent() -> int:
    """Return how many jobs may run at once on this machine (``ATHENA_JOBS_MAX``, default 2)."""
    value = os.environ.get("ATHENA_JOBS_MAX", "2")
    if not value.isdigit() or int(value) < 1:
        raise InvalidConfig(f"ATHENA_JOBS_MAX must be a whole number >= 1, was {value!r}")
    return int(value)


def _wait_for_slot(console: Console, job: JobRecord, poll_s: float) -> bool:
    """Wait while the machine runs its maximum of jobs; return False if the job was cancelled meanwhile."""
    limit = max_concurrent()
    while True:
        if console.job(job.id).status != "queued":
            return False
        if sum(j.status == "running" for j in console.jobs(limit=1000)) < limit:
            return True
        time.sleep(poll_s)


def notebook_progress(path: Path) -> float:
    """Return the share of code cells papermill has marked completed in ``path`` (0 if unreadable)."""
    try:
        cells = [c for c in json.loads(path.read_text())["cells"] if c.get("cell_type") == "code"]
    except (OSError, ValueError, KeyError):
        return 0.0
    done = sum(c.get("metadata", {}).get("papermill", {}).get("status") == "completed" for c in cells)
    return done / len(cells) if cells else 0.0


def run(console: Console, job: JobRecord, *, on_progress: Callable[[float], None] | None = None,
        poll_s: float = 0.2) -> JobRecord:
    """Execute ``job`` to a final state and return it (succeeded, failed, cancelled or timed_out).

    The job stays queued while :func:`max_concurrent` jobs are running.
    """
    if not _wait_for_slot(console, job, poll_s):
        return console.job(job.id)
    ws = console.workspace
    env = {**os.environ, "ATHENA_HOME": str(ws.settings.home), "ATHENA_DB_URL": ws.settings.db_url}
    with open(job.log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "athena.jobs.worker", job.id], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + job.timeout_s
    last = -1.0
    while proc.poll() is None:
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if console.job(job.id).status not in FINAL:
                ws.system(JOBS_ACTOR).record_job_state(job.id, "timed_out",
                                                       error={"reason": f"exceeded {job.timeout_s} s"})
            break
        progress = notebook_progress(Path(job.output_notebook))
        if progress != last:
            last = progress
            with ws.store.write() as s:
                row = s.get(JobRow, job.id)
                if row is not None and row.status == "running":
                    row.progress = progress
                    s.add(row)
            if on_progress:
                on_progress(progress)
        time.sleep(poll_s)
    final = console.job(job.id)
    if final.status not in FINAL:
        final = ws.system(JOBS_ACTOR).record_job_state(
            job.id, "failed", error={"reason": f"worker exited with code {proc.returncode}; see {job.log_path}"})
    if on_progress and final.status == "succeeded":
        on_progress(1.0)
    return final
