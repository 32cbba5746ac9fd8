"""Jobs through Console: start (validated against the notebook), state changes, cancel, reads."""

from __future__ import annotations

import json
import os
import signal
import uuid
from dataclasses import dataclass
from datetime import datetime
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

__all__ = ["FINAL", "JobRecord", "JobsMixin"]

FINAL = ("succeeded", "failed", "cancelled", "timed_out")


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


def _record(row: JobRow) -> JobRecord:
    return JobRecord(row.id, row.name, json.loads(row.params), row.status, row.requested_by, utc(row.created_at),
                     utc(row.started_at) if row.started_at else None,
                     utc(row.finished_at) if row.finished_at else None, row.progress, row.timeout_s, row.pid,
                     row.output_notebook, row.output_html, row.log_path, json.loads(row.error) if row.error else None)


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

    def claim_job(self, job_id: str) -> JobRecord:
        """Take a queued job for this runner so no other runner starts it (runner system actors only; audited).

        The queued -> claimed change is one conditional update, so of two runners claiming the same
        job exactly one succeeds; the other gets :class:`InvalidInput` and nothing is written.
        """
        def work(s: Session, now: datetime, who: Identity) -> Done:
            taken = s.execute(update(JobRow).where(col(JobRow.id) == job_id, col(JobRow.status) == "queued")
                              .values(status="claimed"))
            row = s.get(JobRow, job_id, populate_existing=True)
            if row is None or taken.rowcount != 1:  # type: ignore[attr-defined]
                raise InvalidInput(f"no job {job_id!r}" if row is None else f"job {job_id} is {row.status}, not queued")
            return Done(_record(row), {"job_id": job_id, "job": row.name, "runner": who.actor}, ["JobClaimed"])

        return self._write(Permission.ENGINE_RUN, "jobs.claim", f"job:{job_id}", work)  # type: ignore[no-any-return]

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
                row.started_at, row.pid = now, pid
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
            if row.pid:
                try:
                    os.killpg(row.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            row.status, row.finished_at = "cancelled", now
            s.add(row)
            return Done(_record(row), {"job_id": job_id, "job": row.name}, ["JobCancelled"])

        return self._write(Permission.JOBS_RUN, "jobs.cancel", f"job:{job_id}", work)  # type: ignore[no-any-return]

    def jobs(self, limit: int = 100) -> list[JobRecord]:
        """Return job runs, newest first."""
        return self._read(Permission.EVENTS_READ, "jobs.list", lambda s: [
            _record(r) for r in s.exec(select(JobRow).order_by(col(JobRow.created_at).desc()).limit(limit))])

    def job(self, job_id: str) -> JobRecord:
        """Return one job run (an unambiguous id prefix of at least 6 characters is enough)."""
        def work(s: Session) -> JobRecord:
            rows = s.exec(select(JobRow).where(col(JobRow.id).startswith(job_id)).limit(2)).all()
            if len(job_id) < 6 or len(rows) != 1:
                raise InvalidInput(f"no job {job_id!r}" if not rows or len(job_id) < 6 else f"{job_id!r} is ambiguous")
            return _record(rows[0])

        return self._read(Permission.EVENTS_READ, "jobs.show", work)
