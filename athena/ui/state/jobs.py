"""What the Jobs page shows: the allowlisted jobs with their parameter forms, the job runs and the schedules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import param

from athena.auth import Permission
from athena.console import JobRecord, Schedule
from athena.errors import AthenaError
from athena.jobs.catalog import JobSpec, Param, catalog
from athena.ui.state.base import PageState
from athena.ui.state.research import FINAL, JOB_COLUMNS, default_value, job_row, tail

__all__ = ["SCHEDULE_COLUMNS", "JobsState"]

SCHEDULE_COLUMNS = ["id", "name", "cron", "params", "state", "next_fire", "last_job"]


class JobsState(PageState):
    """The job catalog, the form of the chosen job, every job run with live progress, and the schedules."""

    live = True

    specs = param.List(default=[], item_type=JobSpec, doc="The allowlisted jobs, by name.")
    job_name = param.Selector[str](default="", objects=[""], doc="The job the form starts.")
    values = param.Dict(default={}, doc="Parameter name -> value in the form of the chosen job.")
    timeout_s = param.Integer(default=3600, bounds=(1, 86_400), doc="Seconds before the job is stopped.")
    jobs = param.List(default=[], item_type=JobRecord, doc="Job runs, newest first.")
    limit = param.Integer(default=100, bounds=(1, 1_000), doc="How many of the newest job runs to show.")
    selected_id = param.String(default="", doc="Full id of the job run shown in detail.")
    log_tail = param.String(default="", doc="The last lines of the selected job's captured output.")
    cron = param.String(default="0 7 * * *", doc="UTC cron expression (five fields) the form's job is scheduled on.")
    schedules = param.List(default=[], item_type=Schedule, doc="Job schedules, soonest next fire first.")
    selected_schedule = param.Integer(default=0, bounds=(0, None), doc="Id of the schedule acted on (0 for none).")

    @property
    def can_run(self) -> bool:
        """Return whether the role may start and cancel jobs."""
        return self.session.can(Permission.JOBS_RUN)

    @property
    def spec(self) -> JobSpec | None:
        """Return the chosen job's spec."""
        return next((s for s in self.specs if s.name == self.job_name), None)

    @property
    def form(self) -> tuple[Param, ...]:
        """Return the chosen job's parameters, as its notebook declares them."""
        chosen = self.spec
        return chosen.params if chosen else ()

    @property
    def selected(self) -> JobRecord | None:
        """Return the selected job run, if loaded."""
        return next((j for j in self.jobs if j.id == self.selected_id), None)

    def load_catalog(self) -> None:
        """Read the allowlist from the jobs directory."""
        try:
            specs = catalog()
        except AthenaError as exc:
            self.say(f"The job catalog could not be read: {exc}", "danger")
            return
        self.specs = specs
        names = [s.name for s in specs]
        self.param.job_name.objects = names or [""]
        if self.job_name not in names:
            self.job_name = names[0] if names else ""
        else:
            self.choose()

    @param.depends("job_name", watch=True)
    def choose(self) -> None:
        """Fill the form with the chosen job's defaults."""
        self.values = {p.name: default_value(p) for p in self.form}

    def set_value(self, name: str, value: object) -> None:
        """Change one value in the form."""
        self.values = {**self.values, name: value}

    def open(self) -> None:
        """Read the catalog the first time the page opens (it parses every notebook), then reload."""
        if not self.specs and self.session.console is not None:
            self.load_catalog()
        self.refresh()

    def refresh(self) -> None:
        """Reload the job runs and the selected run's log."""
        if self.session.console is None:
            return
        found = self.run(lambda: self.console.jobs(limit=self.limit))
        if found is not None and found != self.jobs:
            self.jobs = found
        chosen = self.selected
        text = tail(chosen.log_path) if chosen else ""
        if text != self.log_tail:
            self.log_tail = text
        schedules = self.run(self.console.schedules)
        if schedules is not None and schedules != self.schedules:
            self.schedules = schedules

    def start(self) -> JobRecord | None:
        """Queue the chosen job with the form's values (checked against the notebook by Console)."""
        name = self.job_name
        values = dict(self.values)
        job = self.run(lambda: self.console.start_job(name, values, timeout_s=self.timeout_s),
                       lambda j: f"Job {j.name} {j.id[:12]} queued.")
        if job is not None:
            self.selected_id = job.id
            self.refresh()
        return job

    def schedule(self) -> Schedule | None:
        """Schedule the chosen job with the form's values on :attr:`cron` (both checked by Console)."""
        name, values, cron = self.job_name, dict(self.values), self.cron
        made = self.run(lambda: self.console.schedule_job(name, cron, values, timeout_s=self.timeout_s),
                        lambda m: f"Schedule {m.id}: {m.name} on '{m.cron}', next at "
                                  f"{m.next_fire_at:%Y-%m-%d %H:%M} UTC.")
        if made is not None:
            self.selected_schedule = made.id
            self.refresh()
        return made

    def pause_schedule(self, paused: bool = True) -> Schedule | None:
        """Pause the selected schedule, or resume it (``paused=False``)."""
        chosen = self.selected_schedule
        if not chosen:
            self.say("Select a schedule first.", "warning")
            return None
        done = self.run(lambda: self.console.pause_schedule(chosen, paused),
                        lambda m: f"Schedule {m.id} {'paused' if paused else 'resumed'}.")
        self.refresh()
        return done

    def unschedule(self) -> Schedule | None:
        """Remove the selected schedule (jobs it queued stay)."""
        chosen = self.selected_schedule
        if not chosen:
            self.say("Select a schedule first.", "warning")
            return None
        done = self.run(lambda: self.console.unschedule_job(chosen), lambda m: f"Schedule {m.id} removed.")
        if done is not None:
            self.selected_schedule = 0
        self.refresh()
        return done

    def schedule_frame(self) -> pd.DataFrame:
        """Return the schedules as a table, with their next fire time (UTC)."""
        return pd.DataFrame([{"id": m.id, "name": m.name, "cron": m.cron,
                              "params": ", ".join(f"{k}={v}" for k, v in m.params.items()),
                              "state": "paused" if m.paused else "active",
                              "next_fire": m.next_fire_at.strftime("%Y-%m-%d %H:%M"),
                              "last_job": (m.last_job_id or "")[:12]} for m in self.schedules],
                            columns=SCHEDULE_COLUMNS)

    def select(self, job_id: str) -> None:
        """Show the job run whose id starts with ``job_id`` ('' for none)."""
        chosen = next((j for j in self.jobs if job_id and j.id.startswith(job_id)), None)
        self.selected_id = chosen.id if chosen else ""
        self.log_tail = tail(chosen.log_path) if chosen else ""

    def cancel(self) -> JobRecord | None:
        """Cancel the selected job run (its kernel is stopped)."""
        chosen = self.selected
        if chosen is None:
            self.say("Select a job run first.", "warning")
            return None
        done = self.run(lambda: self.console.cancel_job(chosen.id), lambda j: f"Job {j.id[:12]} cancelled.")
        self.refresh()
        return done

    def output(self, kind: str) -> Path | None:
        """Return the selected run's executed ``notebook`` or its ``html``, once it exists."""
        chosen = self.selected
        if chosen is None or chosen.status not in FINAL:
            return None
        path = Path(chosen.output_notebook if kind == "notebook" else chosen.output_html)
        return path if path.is_file() else None

    def frame(self) -> pd.DataFrame:
        """Return the job runs as a table."""
        return pd.DataFrame([job_row(j) for j in self.jobs], columns=JOB_COLUMNS)
