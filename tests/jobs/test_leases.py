"""Claims hold a lease: a jobs service killed outright has its jobs ended as failed, its kernel killed, an alert."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.errors import InvalidInput
from athena.jobs.service import JobsService
from athena.store import JobRow
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.testing.processes import kernels_of
from athena.workspace import connect


def test_reap_when_a_remote_runner_stops_renewing_fails_the_job_after_its_lease(
        admin: Console, clock: SimulatedClock, slow_jobs: Path) -> None:
    job = admin.start_job("slow")
    service = JobsService(admin.workspace)
    claimed = service.console.claim_job(job.id, lease_s=30)
    assert claimed.lease_until == clock.now() + timedelta(seconds=30)
    assert claimed.runner == f"{socket.gethostname()}:{os.getpid()}"
    with admin.workspace.store.write() as s:
        row = s.get(JobRow, job.id)
        assert row is not None
        row.runner = "other-host:4242"
        s.add(row)
    clock.advance(29)
    assert service.reap_lost() == []
    with pytest.raises(InvalidInput, match="its runner is not lost"):
        service.console.fail_lost_job(job.id)
    clock.advance(2)
    [lost] = service.reap_lost()
    assert (lost.status, lost.finished_at) == ("failed", clock.now())
    assert lost.error is not None and (lost.error["runner_host"], lost.error["runner_pid"]) == ("other-host", 4242)
    assert "runner lost: jobs runner pid 4242 on other-host" in lost.error["reason"]
    entry = admin.audit(AuditFilter(subject=f"job:{job.id}", limit=1))[0]
    assert (entry.actor, entry.action) == ("system:jobs", "jobs.lost")
    alert = admin.audit(AuditFilter(action="alerts.raise", limit=1))[0]
    assert (alert.actor, alert.payload["severity"]) == ("system:jobs", "critical")
    assert "its runner was lost (pid 4242 on other-host)" in alert.payload["message"]
    assert service.reap_lost() == []


def test_reap_when_a_local_runner_is_gone_before_its_lease_ends_says_it_is_no_longer_running(
        admin: Console, clock: SimulatedClock, slow_jobs: Path) -> None:
    job = admin.start_job("slow")
    service = JobsService(admin.workspace)
    claimed = service.console.claim_job(job.id, lease_s=30)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(10)
    with admin.workspace.store.write() as s:
        row = s.get(JobRow, job.id)
        assert row is not None
        row.runner = f"{socket.gethostname()}:{dead.pid}"
        s.add(row)
    [lost] = service.reap_lost()
    assert lost.error is not None and lost.error["runner_pid"] == dead.pid
    assert lost.error["reason"] == (f"runner lost: jobs runner pid {dead.pid} on {socket.gethostname()} is no "
                                    f"longer running (lease until {claimed.lease_until.isoformat()})")
    assert "stopped renewing" not in lost.error["reason"]


def test_reap_when_a_lost_job_is_older_than_the_newest_thousand_still_fails_it(
        admin: Console, clock: SimulatedClock, slow_jobs: Path) -> None:
    job = admin.start_job("slow")
    service = JobsService(admin.workspace)
    service.console.claim_job(job.id, lease_s=30)
    clock.advance(31)
    with admin.workspace.store.write() as s:
        row = s.get(JobRow, job.id)
        assert row is not None
        row.runner = "other-host:4242"
        s.add(row)
        for k in range(1000):
            s.add(JobRow(id=f"newer{k:027d}", name="slow", params="{}", status="succeeded", requested_by="admin",
                         created_at=clock.now(), timeout_s=60, output_notebook="-", output_html="-", log_path="-"))
    assert [j.id for j in admin.jobs(limit=5, statuses=("claimed", "running"))] == [job.id]
    [lost] = service.reap_lost()
    assert (lost.id, lost.status) == (job.id, "failed")


@pytest.mark.slow
def test_serve_when_killed_with_sigkill_mid_job_the_next_service_fails_it_and_kills_its_kernel(
        tmp_path: Path, slow_jobs: Path) -> None:
    ws, _ = new_workspace(tmp_path / "ws")
    ws.close()
    home = tmp_path / "ws"
    admin = connect(home).login("admin", ADMIN_PASSWORD)
    env = {**os.environ, "ATHENA_HOME": str(home), "ATHENA_JOBS_LEASE_S": "1.5"}
    env.pop("ATHENA_DB_URL", None)
    serve = subprocess.Popen([sys.executable, "-m", "athena", "jobs", "serve", "--poll", "0.2"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        job = admin.start_job("slow")
        deadline = time.monotonic() + 60
        while not kernels_of(admin.job(job.id).pid or 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        worker = admin.job(job.id).pid
        assert worker is not None and kernels_of(worker), "the job's kernel never started"
        time.sleep(2.0)  # longer than the lease: the heartbeat keeps the claim
        second = JobsService(connect(home))
        assert second.reap_lost() == [] and admin.job(job.id).status == "running"
    finally:
        os.kill(serve.pid, signal.SIGKILL)
        serve.wait(10)
    assert kernels_of(worker), "the kernel should outlive the killed service until someone cleans up"
    [lost] = second.reap_lost()
    assert lost.status == "failed" and lost.error is not None
    assert (lost.error["runner_pid"], lost.error["worker_pid"], lost.error["worker_killed"]) == (serve.pid, worker,
                                                                                               True)
    assert f"pid {serve.pid}" in lost.error["reason"]
    deadline = time.monotonic() + 10
    while (kernels_of(worker) or os.path.exists(f"/proc/{worker}")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not kernels_of(worker) and not os.path.exists(f"/proc/{worker}")
    assert admin.job(job.id).status == "failed"
    alert = admin.audit(AuditFilter(action="alerts.raise", limit=1))[0]
    assert "its runner was lost" in alert.payload["message"] and alert.actor == "system:jobs"
