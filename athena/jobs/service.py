"""The jobs service (``athena jobs serve``): run every job queued through Console, a few at a time.

A loop claims queued jobs, oldest first, with ``Console.claim_job`` (one conditional update, so two
services never run the same job) as the ``system:jobs`` actor, and runs each with
:func:`athena.jobs.runner.run` in a thread, at most :func:`~athena.jobs.runner.max_concurrent` at
once. On stop it claims nothing more, cancels the jobs it is running (their process groups are
killed and the cancellation is audited) and waits for their threads.

Each claim holds a lease (``ATHENA_JOBS_LEASE_S``, 30 s) that the runner renews while the job runs.
A service killed outright (SIGKILL, a crash, a lost machine) stops renewing; every service looks
for such claims on each pass and ends those jobs as failed, naming the lost runner's host and pid,
kills a leftover worker process group when it is on this host, and raises a critical alert, all
as ``system:jobs``. A runner on this host whose process is gone counts as lost at once, so a
restarted service cleans up after its predecessor without waiting for the lease.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from athena.console import Console, JobRecord
from athena.console._jobs import ACTIVE, process_alive
from athena.errors import AthenaError, InvalidInput
from athena.jobs.runner import JOBS_ACTOR, lease_seconds, max_concurrent, run
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
        self.lease_s = lease_seconds()
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
        queued = list(reversed(self.console.jobs(limit=1000, statuses=("queued",))))
        for job in queued:
            if len(taken) == free:
                break
            try:
                taken.append(self.console.claim_job(job.id, lease_s=self.lease_s))
            except InvalidInput:
                continue  # another service took it, or it was cancelled meanwhile
        return taken

    def reap_lost(self) -> list[JobRecord]:
        """End the jobs whose runner was lost (lease expired, or gone from this host); return them."""
        now = self.console.workspace.clock.now()
        here = socket.gethostname()
        ended: list[JobRecord] = []
        for job in self.console.jobs(limit=1000, statuses=ACTIVE):
            host, _, pid = (job.runner or "").rpartition(":")
            gone = host == here and pid.isdigit() and not process_alive(int(pid))
            if job.status not in ACTIVE or not (gone or (job.lease_until is not None and job.lease_until < now)):
                continue
            try:
                lost = self.console.fail_lost_job(job.id)
            except InvalidInput:
                continue  # it renewed or finished meanwhile, or another service ended it
            error = lost.error or {}
            self.console.raise_alert("critical", f"job:{lost.name}",
                                     f"job {lost.id[:12]} {lost.name} failed: its runner was lost "
                                     f"(pid {error.get('runner_pid')} on {error.get('runner_host')})",
                                     {"job_id": lost.id, **error})
            self._log(f"job {lost.id[:12]} {lost.name} failed: runner {job.runner} lost")
            ended.append(lost)
        return ended

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
        next_reap = time.monotonic()
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_reap:
                    self.reap_lost()
                    next_reap = time.monotonic() + min(self.lease_s / 3, 5.0)
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
