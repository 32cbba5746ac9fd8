"""Run a queued job in its own process group, watch its progress and enforce its time limit.

The worker process (``python -m athena.jobs.worker JOB_ID``) runs here or, with
``ATHENA_DASK_ADDRESS`` set, on a Dask cluster worker (:mod:`athena.jobs.executor`); it executes
the notebook with papermill, which saves the output notebook after every cell, so progress is the
share of cells marked completed. While the job runs its runner renews the claim's lease. The
kernel exits when its parent worker dies (ipykernel's parent poller), so killing the worker's
process group on cancel or timeout leaves nothing running.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from athena.console import Console, JobRecord
from athena.console._jobs import ACTIVE, FINAL, this_runner
from athena.errors import InvalidConfig, InvalidInput, Unavailable
from athena.jobs.executor import start
from athena.store import JobRow

__all__ = ["ACTIVE", "JOBS_ACTOR", "lease_seconds", "max_concurrent", "notebook_progress", "run"]

JOBS_ACTOR = "jobs"


def max_concurrent() -> int:
    """Return how many jobs may run at once on this machine (``ATHENA_JOBS_MAX``, default 2)."""
    value = os.environ.get("ATHENA_JOBS_MAX", "2")
    if not value.isdigit() or int(value) < 1:
        raise InvalidConfig(f"ATHENA_JOBS_MAX must be a whole number >= 1, was {value!r}")
    return int(value)


def lease_seconds() -> float:
    """Return how long a claim holds without a heartbeat (``ATHENA_JOBS_LEASE_S``, default 30 s)."""
    value = os.environ.get("ATHENA_JOBS_LEASE_S", "30")
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise InvalidConfig(f"ATHENA_JOBS_LEASE_S must be a number of seconds > 0, was {value!r}")
    return seconds


def _wait_for_slot(console: Console, job: JobRecord, poll_s: float) -> bool:
    """Wait while the machine runs its maximum of jobs; return False if the job was cancelled meanwhile."""
    limit = max_concurrent()
    while True:
        if console.job(job.id).status != "queued":
            return False
        if sum(j.status in ACTIVE for j in console.jobs(limit=1000)) < limit:
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


def _follow(console: Console, job: JobRecord, on_progress: Callable[[float], None] | None,
            poll_s: float) -> JobRecord:
    """Wait for a job another runner owns to finish, reporting its progress."""
    current = console.job(job.id)
    while current.status not in FINAL:
        if on_progress:
            on_progress(current.progress)
        time.sleep(poll_s)
        current = console.job(job.id)
    if on_progress and current.status == "succeeded":
        on_progress(1.0)
    return current


def _renew(console: Console, job_id: str, lease_s: float) -> None:
    """Extend this runner's lease on a job it still holds (a heartbeat: recorded, not audited)."""
    ws = console.workspace
    with ws.store.write() as s:
        row = s.get(JobRow, job_id)
        if row is not None and row.status in ACTIVE and row.runner == this_runner():
            row.lease_until = ws.clock.now() + timedelta(seconds=lease_s)
            s.add(row)


def _end(bot: Console, job_id: str, status: str, error: dict[str, str]) -> JobRecord:
    """Record a final state unless the worker recorded one first."""
    try:
        return bot.record_job_state(job_id, status, error=error)
    except InvalidInput:
        return bot.job(job_id)


def run(console: Console, job: JobRecord, *, on_progress: Callable[[float], None] | None = None,
        poll_s: float = 0.2, claimed: bool = False) -> JobRecord:
    """Execute ``job`` to a final state and return it (succeeded, failed, cancelled or timed_out).

    Unless ``claimed`` (the caller already took it with ``claim_job``), the job stays queued while
    :func:`max_concurrent` jobs are active, and is then claimed; when another runner (such as
    ``athena jobs serve``) claimed it first, this follows that run to its end instead.
    """
    ws = console.workspace
    if not claimed:
        if not _wait_for_slot(console, job, poll_s):
            return _follow(console, job, on_progress, poll_s)
        try:
            ws.system(JOBS_ACTOR).claim_job(job.id, lease_s=lease_seconds())
        except InvalidInput:
            return _follow(console, job, on_progress, poll_s)
    env = {**{k: v for k, v in os.environ.items() if k.startswith("ATHENA_")},
           "ATHENA_HOME": str(ws.settings.home), "ATHENA_DB_URL": ws.settings.db_url, "ATHENA_JOB_ID": job.id}
    bot = ws.system(JOBS_ACTOR)
    try:
        execution = start(job.id, env, job.log_path)
    except (InvalidConfig, Unavailable) as exc:
        failed = bot.record_job_state(job.id, "failed", error={"reason": str(exc)})
        bot.raise_alert("critical", f"job:{job.name}", f"job {job.id[:12]} could not start: {exc}")
        return failed
    deadline = time.monotonic() + job.timeout_s
    last, lease_s, renewed = -1.0, lease_seconds(), time.monotonic()
    while execution.poll() is None:
        if time.monotonic() - renewed >= lease_s / 3:
            _renew(console, job.id, lease_s)
            renewed = time.monotonic()
        if time.monotonic() > deadline:
            _end(bot, job.id, "timed_out", {"reason": f"exceeded {job.timeout_s} s"})
            execution.stop()
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
        if console.job(job.id).status == "cancelled":
            # Cancelled before the worker recorded its pid, or on another host: Console could not stop it.
            execution.stop()
            break
        time.sleep(poll_s)
    final = console.job(job.id)
    if final.status not in FINAL:
        final = _end(bot, job.id, "failed",
                     {"reason": f"worker exited with code {execution.poll()}; see {job.log_path}"})
    if on_progress and final.status == "succeeded":
        on_progress(1.0)
    return final
