"""Where a job's worker process runs: here, or on the Dask cluster at ``ATHENA_DASK_ADDRESS``.

Either way the worker is ``python -m athena.jobs.worker JOB_ID`` in its own process group, writing
its notebook, HTML and log under the workspace and its state to the database; the runner watches
progress, renews its lease and enforces the time limit the same way for both.

On Dask, one task per job starts that process on a cluster worker and watches the job's status in
the database: once the job is cancelled or timed out (or ended any other way and the process
lingers) it kills the process group, kernel included, on that worker, so a cancel reaches a
definite state wherever the job runs. Cluster workers therefore need the ``athena`` package, the
workspace directory at the same path (a shared filesystem) and the database; jobs running there
do not send their own sweeps back to the cluster.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from athena.config import dask_address, dask_client

__all__ = ["Execution", "run_on_worker", "start"]

#: Seconds a worker process may outlive its job's final state before it is killed.
_GRACE_S = 10.0


class Execution(Protocol):
    """A started worker process, wherever it runs."""

    def poll(self) -> int | None:
        """Return the exit code once the worker has ended, else None."""

    def stop(self) -> None:
        """End the worker now (its job's final state is recorded first) and wait for it."""


class _Local:
    def __init__(self, job_id: str, env: dict[str, str], log_path: str) -> None:
        with open(log_path, "ab") as log:
            self._proc = subprocess.Popen([sys.executable, "-m", "athena.jobs.worker", job_id],
                                          env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True)

    def poll(self) -> int | None:
        return self._proc.poll()

    def stop(self) -> None:
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._proc.wait()


def _job_status(console: Any, job_id: str) -> str:
    try:
        return str(console.job(job_id).status)
    except Exception:  # noqa: BLE001 - a database hiccup must not orphan the process
        return "unknown"


def run_on_worker(job_id: str, env: dict[str, str], log_path: str, poll_s: float = 0.5) -> int:
    """Run a job's worker process on this (cluster) machine until it ends; return its exit code.

    The process is killed, with its kernel, when the job is cancelled or timed out, when it
    outlives another final state by a grace period, or when this task is itself torn down. A job
    no longer ``claimed`` (a retried task whose first worker died) is not started again: -1.
    """
    from athena.console._jobs import FINAL
    from athena.model import Role
    from athena.workspace import connect

    ws = connect(Path(env["ATHENA_HOME"]), env.get("ATHENA_DB_URL") or None)
    watcher = ws.system("jobs", Role.VIEWER)
    if _job_status(watcher, job_id) != "claimed":
        ws.close()
        return -1  # a retry of a task whose first worker died: the job started once already, never twice
    full = {k: v for k, v in {**os.environ, **env}.items() if k != "ATHENA_DASK_ADDRESS"}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "athena.jobs.worker", job_id], env=full,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    ended_at: float | None = None
    try:
        while proc.poll() is None:
            status = _job_status(watcher, job_id)
            if status in FINAL and ended_at is None:
                ended_at = time.monotonic()
            if status in ("cancelled", "timed_out") or (ended_at and time.monotonic() - ended_at > _GRACE_S):
                break
            time.sleep(poll_s)
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
        ws.close()
    return proc.returncode


class _Dask:
    def __init__(self, address: str, job_id: str, env: dict[str, str], log_path: str) -> None:
        self._client = dask_client(address)
        self._future = self._client.submit(run_on_worker, job_id, env, log_path, key=f"athena-job-{job_id}",
                                           pure=False)
        self._code: int | None = None

    def poll(self) -> int | None:
        if self._code is None and self._future.done():
            try:
                self._code = int(self._future.result())
            except Exception:  # noqa: BLE001 - the task died with its worker; the runner records the failure
                self._code = -1
            self._client.close()
        return self._code

    def stop(self) -> None:
        deadline = time.monotonic() + 30
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._code is None:
            self._future.cancel()
            self._client.close()
            self._code = -1


def start(job_id: str, env: dict[str, str], log_path: str) -> Execution:
    """Start the worker of job ``job_id`` on the Dask cluster when one is set, else in a local process.

    ``env`` is added to the worker's environment (``ATHENA_DASK_ADDRESS`` is never passed on).

    Raises
    ------
    Unavailable
        ``ATHENA_DASK_ADDRESS`` is set but its scheduler does not answer.
    """
    address = dask_address()
    env = {k: v for k, v in env.items() if k != "ATHENA_DASK_ADDRESS"}
    if address:
        return _Dask(address, job_id, env, log_path)
    return _Local(job_id, env, log_path)
