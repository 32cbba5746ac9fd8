"""Job schedules: validated like jobs run, fired by the scheduler exactly once per fire, on a simulated clock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.errors import InvalidInput, InvalidParameter, PermissionDenied
from athena.jobs import UnknownJob
from athena.jobs.cron import InvalidCron
from athena.jobs.scheduler import Scheduler
from athena.model import Role
from athena.runtime.engine import Engine
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.workspace import Workspace, connect

# The shared clock starts on Monday 2026-03-02 09:30 UTC.
NEXT_7AM = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


def fires(console: Console) -> list[dict[str, object]]:
    return [e.payload for e in console.audit(AuditFilter(action="jobs.schedule_fire", newest_first=False))]


def reader(console: Console) -> Console:
    """Return a system Console of the same workspace: a person's session expires as the clock moves on."""
    return console.workspace.system("tests", Role.VIEWER)


def test_schedule_when_quant_schedules_stores_it_with_next_fire_and_audits(
        login_as: Callable[[Role], Console], slow_jobs: Path) -> None:
    quant = login_as(Role.QUANT)
    made = quant.schedule_job("slow", "0 7 * * *", {"seconds": "5"}, timeout_s=60)
    assert (made.name, made.cron, made.params, made.timeout_s) == ("slow", "0 7 * * *", {"seconds": 5}, 60)
    assert made.next_fire_at == NEXT_7AM and not made.paused and made.created_by == "quant1"
    assert quant.schedules() == [made]
    entry = quant.audit(AuditFilter(action="jobs.schedule", limit=1))[0]
    assert (entry.actor, entry.subject, entry.payload["schedule_id"]) == ("quant1", "job:slow", made.id)
    assert entry.payload["next_fire_at"] == NEXT_7AM.isoformat()


def test_schedule_when_input_is_bad_refuses_it_and_records_nothing(
        login_as: Callable[[Role], Console], slow_jobs: Path) -> None:
    quant = login_as(Role.QUANT)
    before = quant.verify_audit().entries
    with pytest.raises(UnknownJob, match="did you mean 'slow'"):
        quant.schedule_job("slo", "0 7 * * *")
    with pytest.raises(InvalidParameter, match="did you mean 'seconds'"):
        quant.schedule_job("slow", "0 7 * * *", {"second": "5"})
    with pytest.raises(InvalidParameter, match="seconds must be int, was 'five'"):
        quant.schedule_job("slow", "0 7 * * *", {"seconds": "five"})
    with pytest.raises(InvalidCron, match="cron field hour must be within 0-23, was '25'"):
        quant.schedule_job("slow", "0 25 * * *")
    assert quant.schedules() == [] and quant.verify_audit().entries == before


def test_schedule_when_viewer_tries_is_refused_and_audited(login_as: Callable[[Role], Console],
                                                          slow_jobs: Path) -> None:
    viewer = login_as(Role.VIEWER)
    with pytest.raises(PermissionDenied, match="may not jobs.schedule"):
        viewer.schedule_job("slow", "0 7 * * *")
    with pytest.raises(PermissionDenied, match="may not jobs.unschedule"):
        viewer.unschedule_job(1)
    assert viewer.schedules() == []
    denied = viewer.audit(AuditFilter(action="jobs.schedule", limit=1))[0]
    assert (denied.actor, denied.outcome.value) == ("viewer1", "denied")


def test_tick_when_a_fire_is_due_queues_one_job_as_the_scheduler(admin: Console, clock: SimulatedClock,
                                                                 slow_jobs: Path) -> None:
    made = admin.schedule_job("slow", "0 7 * * *", {"seconds": "1"})
    scheduler = Scheduler(admin.workspace)
    clock.set(NEXT_7AM - timedelta(seconds=1))
    assert scheduler.tick() == []
    clock.set(NEXT_7AM + timedelta(seconds=2))
    queued = scheduler.tick()
    assert scheduler.tick() == []
    assert [(j.name, j.params, j.status, j.requested_by) for j in queued] == [
        ("slow", {"seconds": 1}, "queued", "system:scheduler")]
    after = reader(admin).schedules()[0]
    assert after.next_fire_at == NEXT_7AM + timedelta(days=1) and after.last_job_id == queued[0].id
    assert fires(reader(admin)) == [{"schedule_id": made.id, "job": "slow", "due_at": NEXT_7AM.isoformat(), "missed": 0,
                             "next_fire_at": after.next_fire_at.isoformat(), "job_id": queued[0].id,
                             "params": {"seconds": 1}}]
    entry = reader(admin).audit(AuditFilter(action="jobs.schedule_fire", limit=1))[0]
    assert entry.actor == "system:scheduler"


def test_tick_when_the_engine_was_down_for_days_runs_one_catch_up_job(admin: Console, clock: SimulatedClock,
                                                                      slow_jobs: Path) -> None:
    admin.schedule_job("slow", "0 7 * * *")
    clock.set(NEXT_7AM + timedelta(days=3, hours=2))
    scheduler = Scheduler(admin.workspace)
    assert len(scheduler.tick()) == 1 and scheduler.tick() == []
    assert fires(reader(admin))[0]["missed"] == 3
    assert reader(admin).schedules()[0].next_fire_at == NEXT_7AM + timedelta(days=4)
    assert len(reader(admin).jobs()) == 1


def test_tick_when_paused_fires_nothing_and_resume_starts_after_now(admin: Console, clock: SimulatedClock,
                                                                    slow_jobs: Path) -> None:
    made = admin.schedule_job("slow", "*/15 * * * *")
    admin.pause_schedule(made.id)
    with pytest.raises(InvalidInput, match=f"schedule {made.id} is already paused"):
        admin.pause_schedule(made.id)
    clock.set(datetime(2026, 3, 2, 12, 7, tzinfo=UTC))
    assert Scheduler(admin.workspace).tick() == []
    resumed = admin.pause_schedule(made.id, paused=False)
    assert resumed.next_fire_at == datetime(2026, 3, 2, 12, 15, tzinfo=UTC)
    assert [e.action for e in admin.audit(AuditFilter(subject=f"schedule:{made.id}", newest_first=False))] == [
        "jobs.schedule_pause", "jobs.schedule_resume"]


def test_unschedule_when_removed_stops_firing_and_unknown_id_is_refused(admin: Console, clock: SimulatedClock,
                                                                        slow_jobs: Path) -> None:
    made = admin.schedule_job("slow", "0 7 * * *")
    assert admin.unschedule_job(made.id) == made
    with pytest.raises(InvalidInput, match=f"no schedule {made.id}"):
        admin.unschedule_job(made.id)
    clock.set(NEXT_7AM + timedelta(minutes=1))
    assert Scheduler(admin.workspace).tick() == [] and reader(admin).schedules() == []


def test_tick_when_the_notebook_lost_the_parameter_skips_the_fire_and_raises_an_alert(
        admin: Console, clock: SimulatedClock, slow_jobs: Path) -> None:
    import nbformat

    admin.schedule_job("slow", "0 7 * * *", {"seconds": "1"})
    book = nbformat.read(slow_jobs / "slow.ipynb", as_version=4)
    book.cells[0].source = "pause: int = 1  # how long to sleep"
    nbformat.write(book, slow_jobs / "slow.ipynb")
    clock.set(NEXT_7AM)
    assert Scheduler(admin.workspace).tick() == []
    assert reader(admin).jobs() == [] and reader(admin).schedules()[0].next_fire_at == NEXT_7AM + timedelta(days=1)
    assert "has no parameter 'seconds'" in str(fires(reader(admin))[0]["error"])
    alert = reader(admin).audit(AuditFilter(action="alerts.raise", limit=1))[0]
    assert "skipped its fire due 2026-03-03 07:00 UTC" in alert.payload["message"]


def test_tick_when_two_engines_race_on_each_backend_queues_each_fire_once(
        workspace: Workspace, db_url: str, clock: SimulatedClock, slow_jobs: Path) -> None:
    admin = workspace.login("admin", ADMIN_PASSWORD)
    for minute in range(4):
        admin.schedule_job("slow", f"{minute} 7 * * *")
    clock.set(NEXT_7AM + timedelta(minutes=5))
    opened = [connect(workspace.settings.home, db_url, clock=clock) for _ in range(2)]
    schedulers = [Scheduler(ws) for ws in opened]
    start = threading.Barrier(2)
    queued: list[str] = []

    def tick(scheduler: Scheduler) -> None:
        start.wait()
        queued.extend(j.id for j in scheduler.tick())

    threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for ws in opened:
        ws.close()
    assert sorted(queued) == sorted(j.id for j in reader(admin).jobs()) and len(queued) == 4
    assert len(fires(reader(admin))) == 4


def test_engine_step_when_a_schedule_is_due_queues_its_job(admin: Console, clock: SimulatedClock,
                                                           slow_jobs: Path) -> None:
    admin.schedule_job("slow", "31 9 * * *", {"seconds": "1"})
    engine = Engine(admin.workspace)
    engine.start()
    engine.step()
    assert admin.jobs() == []
    clock.advance(60)
    engine.step()
    assert [(j.name, j.requested_by) for j in admin.jobs()] == [("slow", "system:scheduler")]


@pytest.mark.slow
def test_engine_process_when_a_fire_is_overdue_queues_it_and_the_service_runs_it(tmp_path: Path,
                                                                                 slow_jobs: Path) -> None:
    from athena.jobs.service import JobsService

    past = SimulatedClock(datetime(2026, 3, 1, tzinfo=UTC))
    ws, _ = new_workspace(tmp_path / "ws", clock=past)
    # Monthly, so the wall clock cannot reach a second fire while the test runs: 1 March to 1 December
    # 2026 are overdue, one catch-up run stands for them all.
    made = ws.login("admin", ADMIN_PASSWORD).schedule_job("slow", "30 9 1 * *", {"seconds": "1"})
    ws.close()
    home = tmp_path / "ws"
    admin = connect(home).login("admin", ADMIN_PASSWORD)
    env = {**os.environ, "ATHENA_HOME": str(home)}
    env.pop("ATHENA_DB_URL", None)
    engine = subprocess.Popen([sys.executable, "-m", "athena", "engine", "--tick", "0.1"], env=env,
                              stderr=subprocess.PIPE, start_new_session=True)
    service = JobsService(connect(home), poll_s=0.1)
    runner = threading.Thread(target=service.serve)
    runner.start()
    try:
        deadline = time.monotonic() + 60
        while not any(j.status == "succeeded" for j in admin.jobs()) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        os.killpg(engine.pid, 15)
        _, err = engine.communicate(timeout=30)
        service.stop()
        runner.join(60)
    assert b"Traceback" not in err, err.decode()
    jobs = admin.jobs()
    assert [(j.status, j.requested_by) for j in jobs] == [("succeeded", "system:scheduler")]
    assert admin.schedules()[0].last_job_id == jobs[0].id
    fired = fires(admin)
    assert len(fired) == 1 and fired[0]["schedule_id"] == made.id and int(str(fired[0]["missed"])) >= 8


def test_tick_when_a_fire_has_no_next_fire_queues_it_pauses_the_schedule_and_raises_an_alert(
        admin: Console, clock: SimulatedClock, slow_jobs: Path) -> None:
    made = admin.schedule_job("slow", "0 0 29 2 */7", {"seconds": "1"})  # 29 February on a Sunday: 2032, then 2060
    due = datetime(2032, 2, 29, tzinfo=UTC)
    assert made.next_fire_at == due
    clock.set(due + timedelta(seconds=5))
    scheduler = Scheduler(admin.workspace)
    [job] = scheduler.tick()
    after = reader(admin).schedules()[0]
    assert (after.paused, after.last_job_id, after.next_fire_at) == (True, job.id, due)
    fire = fires(reader(admin))[0]
    assert (fire["job_id"], fire["next_fire_at"]) == (job.id, None)
    assert "has no fire after 2032-02-29T00:00:05+00:00 within 3294 days; the schedule is paused" in str(fire["paused"])
    alert = reader(admin).audit(AuditFilter(action="alerts.raise", limit=1))[0]
    assert alert.payload["severity"] == "warning" and f"schedule {made.id} (slow) is paused" in alert.payload["message"]
    clock.advance(3600)
    assert scheduler.tick() == []
