"""The jobs service: queued jobs get run, one runner per job, cancel and SIGTERM stop what runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from athena.audit import AuditFilter
from athena.console import Console, JobRecord
from athena.errors import InvalidInput
from athena.jobs.service import JobsService
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.workspace import Workspace, connect

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path) -> Path:
    ws, _ = new_workspace(tmp_path / "ws")
    ws.close()
    return tmp_path / "ws"


@pytest.fixture
def admin(home: Path) -> Iterator[Console]:
    ws = connect(home)
    yield ws.login("admin", ADMIN_PASSWORD)
    ws.close()


@contextmanager
def serving(workspace: Workspace, poll_s: float = 0.2) -> Iterator[JobsService]:
    service = JobsService(workspace, slots=2, poll_s=poll_s)
    thread = threading.Thread(target=service.serve)
    thread.start()
    try:
        yield service
    finally:
        service.stop()
        thread.join(90)
        assert not thread.is_alive()


def wait_for(check: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def final(console: Console, job: JobRecord) -> JobRecord:
    wait_for(lambda: console.job(job.id).status in ("succeeded", "failed", "cancelled", "timed_out"))
    return console.job(job.id)


def actions(console: Console, job: JobRecord) -> list[tuple[str, str]]:
    return [(e.actor, e.action) for e in console.audit(AuditFilter(subject=f"job:{job.id}", newest_first=False))]


def test_serve_when_a_job_is_queued_runs_it_to_succeeded(admin: Console, home: Path, slow_jobs: Path) -> None:
    with serving(connect(home)):
        job = admin.start_job("slow", {"seconds": "1"})
        done = final(admin, job)
    assert done.status == "succeeded", done.error
    assert done.progress == 1.0 and Path(done.output_html).exists()
    assert actions(admin, job) == [("system:jobs", "jobs.claim"), ("system:jobs", "jobs.running"),
                                   ("system:jobs", "jobs.succeeded")]


def test_claim_when_two_services_race_only_one_takes_the_job(admin: Console, home: Path, slow_jobs: Path) -> None:
    job = admin.start_job("slow", {"seconds": "1"})
    services = [JobsService(connect(home)), JobsService(connect(home))]
    start = threading.Barrier(2)
    taken: list[list[JobRecord]] = []

    def claim(service: JobsService) -> None:
        start.wait()
        taken.append(service.claim_next())

    threads = [threading.Thread(target=claim, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(len(t) for t in taken) == [0, 1]
    assert admin.job(job.id).status == "claimed"
    with pytest.raises(InvalidInput, match="is claimed, not queued"):
        services[0].console.claim_job(job.id)


def test_serve_when_two_services_run_each_job_runs_once(admin: Console, home: Path, slow_jobs: Path) -> None:
    with serving(connect(home), poll_s=0.05), serving(connect(home), poll_s=0.05):
        jobs = [admin.start_job("slow", {"seconds": "1"}) for _ in range(3)]
        results = [final(admin, job) for job in jobs]
    assert [r.status for r in results] == ["succeeded"] * 3, [r.error for r in results]
    for job in jobs:
        assert [a for _, a in actions(admin, job)].count("jobs.running") == 1
        assert [a for _, a in actions(admin, job)].count("jobs.claim") == 1


def test_cancel_when_the_service_runs_the_job_stops_it(admin: Console, home: Path, slow_jobs: Path) -> None:
    with serving(connect(home)) as service:
        job = admin.start_job("slow")
        wait_for(lambda: admin.job(job.id).status == "running")
        pid = admin.job(job.id).pid
        cancelled = admin.cancel_job(job.id)
        wait_for(lambda: service.running == [], timeout_s=30)
    assert cancelled.status == "cancelled" and admin.job(job.id).status == "cancelled"
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_serve_cli_when_sigterm_cancels_running_jobs_and_exits(admin: Console, home: Path, slow_jobs: Path) -> None:
    env = {**os.environ, "ATHENA_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "athena", "jobs", "serve", "--poll", "0.2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        job = admin.start_job("slow")
        wait_for(lambda: admin.job(job.id).status == "running")
        pid = admin.job(job.id).pid
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, out
    assert "cancelled at shutdown" in out and "jobs service stopped" in out
    assert admin.job(job.id).status == "cancelled"
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize(("flags", "expected"), [((), "succeeded"), (("--no-jobs",), "queued")],
                         ids=["with-jobs", "no-jobs"])
def test_up_when_started_runs_queued_jobs_unless_no_jobs(admin: Console, home: Path, slow_jobs: Path,
                                                         monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...],
                                                         expected: str) -> None:
    from click.testing import CliRunner

    from athena.cli import cli
    from athena.runtime import supervisor

    seen: list[str] = []

    def dashboards(**kwargs: object) -> int:
        """Stand in for the served dashboards: queue a job and watch it while "serving"."""
        job = admin.start_job("slow", {"seconds": "1"})
        deadline = time.monotonic() + (60 if not flags else 4)
        while admin.job(job.id).status != "succeeded" and time.monotonic() < deadline:
            time.sleep(0.2)
        seen.append(admin.job(job.id).status)
        return 0

    monkeypatch.setattr(supervisor, "run_up", dashboards)
    result = CliRunner().invoke(cli, ["--home", str(home), "up", "--no-engine", *flags])

    assert result.exit_code == 0, result.output
    assert seen == [expected]
    assert ("jobs started" in result.output) is (not flags)


def test_claim_when_not_a_runner_is_refused_and_job_stays_queued(admin: Console, slow_jobs: Path) -> None:
    from athena.errors import PermissionDenied
    from athena.model import Role

    admin.add_user("quinn", Role.QUANT, "Quant-Passw0rd-1")
    quant = admin.workspace.login("quinn", "Quant-Passw0rd-1")
    job = quant.start_job("slow")

    with pytest.raises(PermissionDenied, match="may not jobs.claim"):
        quant.claim_job(job.id)
    assert admin.job(job.id).status == "queued"


def test_claim_when_two_runners_race_on_each_backend_every_job_is_taken_once(
    workspace: Workspace, db_url: str, slow_jobs: Path
) -> None:
    admin = workspace.login("admin", ADMIN_PASSWORD)
    jobs = [admin.start_job("slow") for _ in range(8)]
    opened = [connect(workspace.settings.home, db_url) for _ in range(2)]
    runners = [ws.system("jobs") for ws in opened]
    start = threading.Barrier(2)
    won: list[str] = []

    def claim_all(runner: Console) -> None:
        start.wait()
        for job in jobs:
            try:
                won.append(runner.claim_job(job.id).id)
            except InvalidInput:
                continue

    threads = [threading.Thread(target=claim_all, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for ws in opened:
        ws.close()
    assert sorted(won) == sorted(j.id for j in jobs)
    assert {j.status for j in admin.jobs()} == {"claimed"}
    claims = admin.audit(AuditFilter(action="jobs.claim", limit=None))
    assert len(claims) == len(jobs)


def test_run_in_foreground_when_a_service_also_serves_runs_the_job_once(admin: Console, home: Path,
                                                                        slow_jobs: Path) -> None:
    from athena.jobs import run

    seen: list[float] = []
    with serving(connect(home), poll_s=0.05):
        job = admin.start_job("slow", {"seconds": "1"})
        done = run(admin, job, on_progress=seen.append)
    assert done.status == "succeeded" and seen[-1] == 1.0
    assert [a for _, a in actions(admin, job)].count("jobs.running") == 1
