"""Jobs through Console: start (validated against the notebook), state changes, cancel, reads."""

from __future__ import annotations

import json
import os
import signal
import socket
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from athena.audit import canonical_json
from athena.auth import Permission
from athena.clock import utc
from athena.console._core import ConsoleCore, Done
from athena.errors import InvalidInput
from athena.model import Identity
from athena.store import JobRow

__all__ = ["ACTIVE", "FINAL", "JobRecord", "JobsMixin", "process_alive", "this_runner"]

FINAL = ("succeeded", "failed", "cancelled", "timed_out")

#: Statuses of a job some runner owns and has not finished.
ACTIVE = ("claimed", "running")


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One job run: what ran, who asked, where it is, and where its outputs are."""

    id: str
    name: str
    params: dict[str, Any]
    status: str
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: float
    timeout_s: int
    pid: int | None
    output_notebook: str
    output_html: str
    log_path: str
    error: dict[str, Any] | None
    runner: str | None = None
    host: str | None = None
    lease_until: datetime | None = None


def _record(row: JobRow) -> JobRecord:
    return JobRecord(row.id, row.name, json.loads(row.params), row.status, row.requested_by, utc(row.created_at),
                     utc(row.started_at) if row.started_at else None,
                     utc(row.finished_at) if row.finished_at else None, row.progress, row.timeout_s, row.pid,
                     row.output_notebook, row.output_html, row.log_path, json.loads(row.error) if row.error else None,
                     row.runner, row.host, utc(row.lease_until) if row.lease_until else None)


def this_runner() -> str:
    """Return how a runner in this process is named on the jobs it claims: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(pid: int) -> bool:
    """Return whether process ``pid`` exists on this host and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state not in ("Z", "X")


def _kill_group(row: JobRow) -> bool:
    """Kill the job's worker process group when it runs on this host and is that job's; return whether it was."""
    if not row.pid or (row.host and row.host != socket.gethostname()) or not process_alive(row.pid):
        return False
    try:
        environ = Path(f"/proc/{row.pid}/environ").read_bytes().split(b"\0")
    except OSError:
        environ = []
    if environ and f"ATHENA_JOB_ID={row.id}".encode() not in environ:
        return False  # the pid was reused by an unrelated process
    try:
        os.killpg(row.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


class JobsMixin(ConsoleCore):
    """Console actions on papermill jobs."""

    def start_job(self, name: str, params: dict[str, Any] | None = None, *, timeout_s: int = 3600) -> JobRecord:
        """Queue an allowed job after checking its parameters against the notebook's parameters cell."""
        from athena.jobs.catalog import spec, validate_params

        if timeout_s <= 0:
            raise InvalidInput(f"timeout_s must be > 0, was {timeout_s}")

        def work(s: Session, now: datetime, who: Identity) -> Done:
            values = validate_params(spec(name), params or {})
            row = self._queue_job(s, now, who, name, values, timeout_s)
            return Done(_record(row), {"job_id": row.id, "job": name, "params": values, "timeout_s": timeout_s},
                        ["JobQueued"])

        return self._write(Permission.JOBS_RUN, "jobs.start", f"job:{name}", work)  # type: ignore[no-any-return]

    def _queue_job(self, s: Session, now: datetime, who: Identity, name: str, values: dict[str, Any],
                   timeout_s: int) -> JobRow:
        job_id = uuid.uuid4().hex
        out = self.workspace.settings.home / "jobs" / f"{now:%Y%m%d}-{job_id[:12]}"
        out.mkdir(parents=True, exist_ok=True)
        row = JobRow(id=job_id, name=name, params=canonical_json(values), status="queued", requested_by=who.actor,
                     created_at=now, timeout_s=timeout_s, output_notebook=str(out / f"{name}.ipynb"),
                     output_html=str(out / f"{name}.html"), log_path=str(out / "log.txt"))
        s.add(row)
        s.flush()
        return row

    def claim_job(self, job_id: str, *, lease_s: float = 30.0) -> JobRecord:
        """Take a queued job for this runner so no other runner starts it (runner system actors only; audited).

        The queued -> claimed change is one conditional update, so of two runners claiming the same
        job exactly one succeeds; the other gets :class:`InvalidInput` and nothing is written. The
        claim names this process (``host:pid``) and holds a lease of ``lease_s`` seconds, which the
        runner renews while it runs the job; a claim whose lease ran out is ended by
        :meth:`fail_lost_job`.
        """
        if lease_s <= 0:
            raise InvalidInput(f"lease_s must be > 0, was {lease_s}")
        runner = this_runner()

        def work(s: Session, now: datetime, who: Identity) -> Done:
            taken = s.execute(update(JobRow).where(col(JobRow.id) == job_id, col(JobRow.status) == "queued")
                              .values(status="claimed", runner=runner, lease_until=now + timedelta(seconds=lease_s)))
            row = s.get(JobRow, job_id, populate_existing=True)
            if row is None or taken.rowcount != 1:  # type: ignore[attr-defined]
                raise InvalidInput(f"no job {job_id!r}" if row is None else f"job {job_id} is {row.status}, not queued")
            return Done(_record(row), {"job_id": job_id, "job": row.name, "runner": who.actor, "process": runner,
                                       "lease_s": lease_s}, ["JobClaimed"])

        return self._write(Permission.ENGINE_RUN, "jobs.claim", f"job:{job_id}", work)  # type: ignore[no-any-return]

    def fail_lost_job(self, job_id: str) -> JobRecord:
        """End a job whose runner was lost: failed, naming the runner (runner system actors only; audited).

        A runner is lost when its lease ran out, or at once when it ran on this host and its process
        is gone. A leftover worker process group still alive on this host is killed. Raises
        :class:`InvalidInput`, writing nothing, when the job is not held by a lost runner.
        """
        here = socket.gethostname()

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = s.get(JobRow, job_id)
            if row is None:
                raise InvalidInput(f"no job {job_id!r}")
            host, _, pid = (row.runner or "").rpartition(":")
            expired = row.lease_until is not None and utc(row.lease_until) < now
            gone = host == here and pid.isdigit() and not process_alive(int(pid))
            if row.status not in ACTIVE or not (expired or gone):
                lease = utc(row.lease_until).isoformat() if row.lease_until else "none"
                raise InvalidInput(f"job {job_id} is {row.status} (runner {row.runner}, lease until {lease}); "
                                   "its runner is not lost")
            killed = _kill_group(row)
            runner = f"jobs runner pid {pid or '?'} on {host or '?'}"
            lease = utc(row.lease_until).isoformat() if row.lease_until else "none"
            reason = (f"runner lost: {runner} stopped renewing its lease (expired {lease})" if expired
                      else f"runner lost: {runner} is no longer running (lease until {lease})")
            error = {"reason": reason, "runner_host": host, "runner_pid": int(pid) if pid else None,
                     "worker_pid": row.pid, "worker_killed": killed}
            row.status, row.finished_at, row.error = "failed", now, json.dumps(error)
            s.add(row)
            return Done(_record(row), {"job_id": job_id, "job": row.name, "status": "failed", "error": error},
                        ["JobFailed"])

        return self._write(Permission.ENGINE_RUN, "jobs.lost", f"job:{job_id}", work)  # type: ignore[no-any-return]

    def record_job_state(self, job_id: str, status: str, *, pid: int | None = None,
                         error: dict[str, Any] | None = None) -> JobRecord:
        """Move a job to running or to a final state (the job runner's system actor only; audited)."""
        if status not in ("running", *FINAL):
            raise InvalidInput(f"job status must be running or one of {', '.join(FINAL)}, was {status!r}")

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = s.get(JobRow, job_id)
            if row is None:
                raise InvalidInput(f"no job {job_id!r}")
            if row.status in FINAL:
                raise InvalidInput(f"job {job_id} is already {row.status}")
            row.status = status
            if status == "running":
                row.started_at, row.pid, row.host = now, pid, socket.gethostname() if pid else None
            else:
                row.finished_at = now
                row.progress = 1.0 if status == "succeeded" else row.progress
                row.error = json.dumps(error) if error else None
            s.add(row)
            payload = {"job_id": job_id, "job": row.name, "status": status, **({"error": error} if error else {})}
            return Done(_record(row), payload, [f"Job{status.title().replace('_', '')}"])

        return self._write(Permission.ENGINE_RUN, f"jobs.{status}", f"job:{job_id}", work)  # type: ignore[no-any-return]

    def cancel_job(self, job_id: str) -> JobRecord:
        """Cancel a queued or running job; a running one has its process group (and kernel) killed."""
        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = s.get(JobRow, job_id)
            if row is None:
                raise InvalidInput(f"no job {job_id!r}")
            if row.status in FINAL:
                raise InvalidInput(f"job {job_id} already {row.status}; nothing to cancel")
            _kill_group(row)
            row.status, row.finished_at = "cancelled", now
            s.add(row)
            return Done(_record(row), {"job_id": job_id, "job": row.name}, ["JobCancelled"])

        return self._write(Permission.JOBS_RUN, "jobs.cancel", f"job:{job_id}", work)  # type: ignore[no-any-return]

    def jobs(self, limit: int = 100, *, statuses: Collection[str] | None = None) -> list[JobRecord]:
        """Return job runs, newest first; only those in ``statuses`` when given (``ACTIVE``: claimed or running)."""
        query = select(JobRow)
        if statuses is not None:
            query = query.where(col(JobRow.status).in_(list(statuses)))
        return self._read(Permission.EVENTS_READ, "jobs.list", lambda s: [
            _record(r) for r in s.exec(query.order_by(col(JobRow.created_at).desc()).limit(limit))])

    def job(self, job_id: str) -> JobRecord:
        """Return one job run (an unambiguous id prefix of at least 6 characters is enough)."""
        def work(s: Session) -> JobRecord:
            rows = s.exec(select(JobRow).where(col(JobRow.id).startswith(job_id)).limit(2)).all()
            if len(job_id) < 6 or len(rows) != 1:
                raise InvalidInput(f"no job {job_id!r}" if not rows or len(job_id) < 6 else f"{job_id!r} is ambiguous")
            return _record(rows[0])

        return self._read(Permission.EVENTS_READ, "jobs.show", work)
