"""Job schedules through Console: create, pause, resume, remove, list, and fire (the scheduler's actor).

A schedule holds a job name, its parameters (validated when scheduled, exactly as ``start_job``
does), a UTC cron expression and the next time it fires. Firing is one transaction: a conditional
update moves ``next_fire_at`` on from the value the scheduler saw, and the job is queued beside it,
so of two engines (or an engine restarted mid-tick) exactly one queues each fire.

Fires missed while no engine ran collapse into one catch-up run: the next fire time after a fire
is the first one after *now*, not after the missed one, and the audit entry says how many were
skipped. Resuming a paused schedule likewise starts from the next fire after now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from athena.audit import canonical_json
from athena.auth import Permission
from athena.clock import utc
from athena.console._core import Done
from athena.console._jobs import JobRecord, JobsMixin, _record
from athena.errors import InvalidInput
from athena.model import Identity
from athena.store import JobScheduleRow

if TYPE_CHECKING:
    from athena.jobs.cron import Cron

__all__ = ["Schedule", "SchedulesMixin"]

#: Most skipped fires counted for the audit entry of a catch-up run.
_MISSED_CAP = 10_000


@dataclass(frozen=True, slots=True)
class Schedule:
    """A job that runs on a cron schedule."""

    id: int
    name: str
    cron: str
    params: dict[str, Any]
    timeout_s: int
    paused: bool
    created_by: str
    created_at: datetime
    next_fire_at: datetime
    last_fire_at: datetime | None
    last_job_id: str | None


def _schedule(row: JobScheduleRow) -> Schedule:
    return Schedule(row.id or 0, row.name, row.cron, json.loads(row.params), row.timeout_s, row.paused,
                    row.created_by, utc(row.created_at), utc(row.next_fire_at),
                    utc(row.last_fire_at) if row.last_fire_at else None, row.last_job_id)


def _get(s: Session, schedule_id: int) -> JobScheduleRow:
    row = s.get(JobScheduleRow, schedule_id)
    if row is None:
        raise InvalidInput(f"no schedule {schedule_id!r}")
    return row


class SchedulesMixin(JobsMixin):
    """Console actions on job schedules."""

    def schedule_job(self, name: str, cron: str, params: dict[str, Any] | None = None, *,
                     timeout_s: int = 3600) -> Schedule:
        """Run an allowed job on a UTC cron schedule (``"0 7 * * *"``: every day at 07:00).

        Parameters are checked against the notebook now, as :meth:`start_job` does; a malformed
        cron expression raises :class:`~athena.jobs.cron.InvalidCron` naming the field and value.
        """
        from athena.jobs.catalog import spec, validate_params
        from athena.jobs.cron import parse

        expression = parse(cron)
        if timeout_s <= 0:
            raise InvalidInput(f"timeout_s must be > 0, was {timeout_s}")

        def work(s: Session, now: datetime, who: Identity) -> Done:
            values = validate_params(spec(name), params or {})
            row = JobScheduleRow(name=name, cron=expression.expression, params=canonical_json(values),
                                 timeout_s=timeout_s, paused=False, created_by=who.actor, created_at=now,
                                 next_fire_at=expression.next_after(now))
            s.add(row)
            s.flush()
            found = _schedule(row)
            return Done(found, {"schedule_id": found.id, "job": name, "cron": found.cron, "params": values,
                                "timeout_s": timeout_s, "next_fire_at": found.next_fire_at.isoformat()},
                        ["JobScheduled"])

        return self._write(Permission.JOBS_RUN, "jobs.schedule", f"job:{name}", work)  # type: ignore[no-any-return]

    def unschedule_job(self, schedule_id: int) -> Schedule:
        """Remove a schedule (jobs it already queued are left as they are); return what was removed."""
        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = _get(s, schedule_id)
            found = _schedule(row)
            s.delete(row)
            return Done(found, {"schedule_id": found.id, "job": found.name, "cron": found.cron},
                        ["JobUnscheduled"])

        return self._write(Permission.JOBS_RUN, "jobs.unschedule",  # type: ignore[no-any-return]
                           f"schedule:{schedule_id}", work)

    def pause_schedule(self, schedule_id: int, paused: bool = True) -> Schedule:
        """Pause a schedule, or resume it (``paused=False``) from its next fire after now."""
        from athena.jobs.cron import parse

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = _get(s, schedule_id)
            if row.paused == paused:
                raise InvalidInput(f"schedule {schedule_id} is already {'paused' if paused else 'running'}")
            row.paused = paused
            if not paused:
                row.next_fire_at = parse(row.cron).next_after(now)
            s.add(row)
            found = _schedule(row)
            return Done(found, {"schedule_id": found.id, "job": found.name,
                                "next_fire_at": found.next_fire_at.isoformat()},
                        ["JobSchedulePaused" if paused else "JobScheduleResumed"])

        action = "jobs.schedule_pause" if paused else "jobs.schedule_resume"
        return self._write(Permission.JOBS_RUN, action, f"schedule:{schedule_id}", work)  # type: ignore[no-any-return]

    def schedules(self) -> list[Schedule]:
        """Return every schedule, soonest next fire first."""
        return self._read(Permission.EVENTS_READ, "jobs.schedules", lambda s: [
            _schedule(r) for r in s.exec(select(JobScheduleRow).order_by(col(JobScheduleRow.next_fire_at),
                                                                         col(JobScheduleRow.id)))])

    def fire_schedule(self, schedule_id: int, due_at: datetime) -> JobRecord | None:
        """Queue the job of a schedule whose fire at ``due_at`` is due (the scheduler's system actor; audited).

        Returns the queued job, or None when the job could not be queued (the notebook or its
        parameters changed since scheduling: the fire is skipped, audited with the error). When the
        cron expression has no fire after this one within its horizon (``0 0 29 2 */7``), the
        schedule is paused in the same audited write, the payload saying why.

        Raises
        ------
        InvalidInput
            The schedule is unknown, paused, not yet due, or that fire was already taken (by another
            engine); nothing is written.
        """
        from athena.jobs.catalog import spec, validate_params
        from athena.jobs.cron import HORIZON, parse

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = _get(s, schedule_id)
            if row.paused or utc(row.next_fire_at) != due_at or due_at > now:
                state = "paused" if row.paused else f"next due {utc(row.next_fire_at).isoformat()}"
                raise InvalidInput(f"schedule {schedule_id} has no fire due at {due_at.isoformat()} ({state})")
            cron = parse(row.cron)
            following = _next_or_none(cron, now)
            changes: dict[str, Any] = {"last_fire_at": now}
            if following is None:  # no fire within the horizon: stop here rather than fail every tick
                changes["paused"] = True
            else:
                changes["next_fire_at"] = following
            taken = s.execute(update(JobScheduleRow).where(col(JobScheduleRow.id) == schedule_id,
                                                           col(JobScheduleRow.next_fire_at) == row.next_fire_at,
                                                           col(JobScheduleRow.paused).is_(False))
                              .values(**changes))
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise InvalidInput(f"schedule {schedule_id} fire at {due_at.isoformat()} was already taken")
            missed, t = 0, _next_or_none(cron, due_at)
            while t is not None and t <= now and missed < _MISSED_CAP:
                missed, t = missed + 1, _next_or_none(cron, t)
            payload: dict[str, Any] = {"schedule_id": schedule_id, "job": row.name, "due_at": due_at.isoformat(),
                                       "missed": missed,
                                       "next_fire_at": following.isoformat() if following else None}
            if following is None:
                payload["paused"] = (f"cron {row.cron!r} has no fire after {now.isoformat()} within "
                                     f"{HORIZON.days} days; the schedule is paused")
            try:
                values = validate_params(spec(row.name), json.loads(row.params))
            except InvalidInput as exc:
                return Done(None, {**payload, "error": str(exc)}, ["ScheduledJobSkipped"])
            job = self._queue_job(s, now, who, row.name, values, row.timeout_s)
            s.execute(update(JobScheduleRow).where(col(JobScheduleRow.id) == schedule_id)
                      .values(last_job_id=job.id))
            return Done(_record(job), {**payload, "job_id": job.id, "params": values}, ["JobQueued"])

        return self._write(Permission.ENGINE_RUN, "jobs.schedule_fire",  # type: ignore[no-any-return]
                           f"schedule:{schedule_id}", work)


def _next_or_none(cron: Cron, when: datetime) -> datetime | None:
    from athena.jobs.cron import InvalidCron

    try:
        return cron.next_after(when)
    except InvalidCron:
        return None
