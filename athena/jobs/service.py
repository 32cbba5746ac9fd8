"""The jobs service (``athena jobs serve``): run every job queued through Console, a few at a time.

A loop claims queued jobs, oldest first, with ``Console.claim_job`` (one conditional update, so two
services never run the same job) as the ``system:jobs`` actor, and runs each with
:func:`athena.jobs.runner.run` in a thread, at most :func:`~athena.jobs.runner.max_concurrent` at
once. On stop it claims nothing more, cancels the jobs it is running (their process groups are
killed and the cancellation is audited) and waits for their threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from athena.console import Console, JobRecord
from athena.errors import AthenaError, InvalidInput
from athena.jobs.runner import JOBS_ACTOR, max_concurrent, run
from athena.workspace import Workspace

__all__ = ["JobsService"]


class JobsService:
    """Claim and run queued jobs until :meth:`stop` is called.

    Parameters
    ----------
    workspace
        The workspace whose queue to serve.
    slots
        How many jobs may run at once; default ``ATHENA_JOBS_MAX``.
    poll_s
        Seconds between looks at the queue.
    log
        Where to say what the service does (one line per event).
    """

    def __init__(self, workspace: Workspace, *, slots: int | None = None, poll_s: float = 0.5,
                 log: Callable[[str], None] | None = None) -> None:
        self.console: Console = workspace.system(JOBS_ACTOR)
        self.slots = slots or max_concurrent()
        self.poll_s = poll_s
        self._log = log or (lambda line: None)
        self._stop = threading.Event()
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    @property
    def running(self) -> list[str]:
        """Return the ids of the jobs this service is running now."""
        with self._lock:
            return [job_id for job_id, thread in self._running.items() if thread.is_alive()]

    def stop(self) -> None:
        """Ask the loop to end (safe from a signal handler)."""
        self._stop.set()

    def claim_next(self) -> list[JobRecord]:
        """Claim queued jobs, oldest first, while slots are free; return those this service took."""
        free = self.slots - len(self.running)
        taken: list[JobRecord] = []
        if free <= 0:
            return taken
        queued = [j for j in reversed(self.console.jobs(limit=1000)) if j.status == "queued"]
        for job in queued:
            if len(taken) == free:
                break
            try:
                taken.append(self.console.claim_job(job.id))
            except InvalidInput:
                continue  # another service took it, or it was cancelled meanwhile
        return taken

    def _start(self, job: JobRecord) -> None:
        def work() -> None:
            try:
                final = run(self.console, job, claimed=True)
                self._log(f"job {job.id[:12]} {job.name} {final.status}")
            except AthenaError as exc:
                self._log(f"job {job.id[:12]} {job.name} could not be run: {exc}")

        thread = threading.Thread(target=work, name=f"job-{job.id[:12]}", daemon=True)
        with self._lock:
            self._running = {k: t for k, t in self._running.items() if t.is_alive()}
            self._running[job.id] = thread
        self._log(f"job {job.id[:12]} {job.name} started")
        thread.start()

    def serve(self) -> None:
        """Run the loop until :meth:`stop`; then cancel the jobs still running and wait for them."""
        self._log(f"jobs service up ({self.slots} at a time)")
        while not self._stop.is_set():
            try:
                for job in self.claim_next():
                    self._start(job)
            except AthenaError as exc:
                self._log(f"queue unreadable: {exc}")
            self._stop.wait(self.poll_s)
        for job_id in self.running:
            try:
                self.console.cancel_job(job_id)
                self._log(f"job {job_id[:12]} cancelled at shutdown")
            except InvalidInput:
                continue  # it finished meanwhile
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join(timeout=30)
        self._log("jobs service stopped")
