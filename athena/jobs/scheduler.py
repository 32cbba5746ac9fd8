"""The scheduler the engine runs: queue a job for each due schedule fire, as ``system:scheduler``.

Each :meth:`Scheduler.tick` reads the schedules due on the workspace clock and fires each through
:meth:`Console.fire_schedule`, whose conditional update makes every fire queue exactly one job
whichever engine (or restarted engine) gets there first. The jobs service then runs the job.
"""

from __future__ import annotations

from athena.console import Console, JobRecord
from athena.errors import InvalidInput
from athena.workspace import Workspace

__all__ = ["SCHEDULER_ACTOR", "Scheduler"]

SCHEDULER_ACTOR = "scheduler"


class Scheduler:
    """Fire due job schedules of one workspace.

    Parameters
    ----------
    workspace
        The workspace whose schedules to fire; its clock says what is due.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.console: Console = workspace.system(SCHEDULER_ACTOR)

    def tick(self) -> list[JobRecord]:
        """Queue a job for every due fire; return the jobs queued by this call.

        A fire another engine took first is passed over; a fire whose job could no longer be
        queued (its notebook or parameters changed) is skipped, audited, and raised as an alert. A
        schedule its fire left with no next fire is paused by that fire and raised as a warning alert.
        """
        now = self.workspace.clock.now()
        queued: list[JobRecord] = []
        for schedule in self.console.schedules():
            if schedule.paused or schedule.next_fire_at > now:
                continue
            try:
                job = self.console.fire_schedule(schedule.id, schedule.next_fire_at)
            except InvalidInput:
                continue  # another engine fired it, or it was paused or removed meanwhile
            if job is None:
                self.console.raise_alert("warning", f"schedule:{schedule.id}",
                                         f"schedule {schedule.id} ({schedule.name}) skipped its fire due "
                                         f"{schedule.next_fire_at:%Y-%m-%d %H:%M} UTC: its job can no longer be "
                                         "queued with the scheduled parameters; see the audit entry")
            else:
                queued.append(job)
            if any(s.id == schedule.id and s.paused for s in self.console.schedules()):
                self.console.raise_alert("warning", f"schedule:{schedule.id}",
                                         f"schedule {schedule.id} ({schedule.name}) is paused: its cron "
                                         f"{schedule.cron!r} has no fire after the one due "
                                         f"{schedule.next_fire_at:%Y-%m-%d %H:%M} UTC within the cron horizon")
        return queued
