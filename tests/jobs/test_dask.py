"""Jobs on a real Dask cluster (scheduler and worker subprocesses): same results, progress, cancel, timeout."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from athena.audit import canonical_json
from athena.config import dask_client
from athena.console import Console
from athena.errors import Unavailable
from athena.jobs import run, spec
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.testing.dask import dask_cluster
from athena.testing.processes import kernels_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with dask_cluster() as address:
        yield address


@pytest.fixture
def admin(tmp_path: Path) -> Console:
    ws, _ = new_workspace(tmp_path / "ws")
    return ws.login("admin", ADMIN_PASSWORD)


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def test_run_when_dask_address_is_set_gives_the_local_result(admin: Console, cluster: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from athena.jobs.notebook import backtest_job

    monkeypatch.setenv("ATHENA_DASK_ADDRESS", cluster)
    seen: list[float] = []
    remote = run(admin, admin.start_job("backtest", {"periods": "400", "params": "fast:5,slow:20", "seed": "4"}),
                 on_progress=seen.append)
    assert remote.status == "succeeded", remote.error
    assert any(0 < share < 1 for share in seen) and seen[-1] == 1.0 and Path(remote.output_html).exists()
    [recorded] = admin.list_runs()
    defaults = {p.name: p.default for p in spec("backtest").params}
    local = backtest_job(strategy="sma_cross", params="fast:5,slow:20", data="", periods=400, seed=4,
                         cash=float(defaults["cash"]), commission=float(defaults["commission"]))
    assert recorded.artefacts["job"] == remote.id and recorded.config_hash == local.config_hash
    assert recorded.metrics == json.loads(canonical_json(local.to_dict()["metrics"]))


def test_cancel_when_the_job_runs_on_a_dask_worker_kills_its_kernel_there(admin: Console, cluster: str,
                                                                          slow_jobs: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_DASK_ADDRESS", cluster)
    job = admin.start_job("slow")
    results = []
    runner = threading.Thread(target=lambda: results.append(run(admin, job)))
    runner.start()
    deadline = time.monotonic() + 60
    while not kernels_of(admin.job(job.id).pid or 0) and time.monotonic() < deadline:
        time.sleep(0.1)
    worker = admin.job(job.id).pid
    assert worker is not None and kernels_of(worker), "the job never started on the cluster"
    with dask_client(cluster) as client:
        assert parent_of(worker) in client.run(os.getpid).values()
    admin.cancel_job(job.id)
    runner.join(60)
    assert results[0].status == "cancelled" and admin.job(job.id).status == "cancelled"
    deadline = time.monotonic() + 15
    while (kernels_of(worker) or os.path.exists(f"/proc/{worker}")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not kernels_of(worker) and not os.path.exists(f"/proc/{worker}")


def test_run_when_a_dask_job_overruns_ends_timed_out_with_nothing_left(admin: Console, cluster: str,
                                                                       slow_jobs: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_DASK_ADDRESS", cluster)
    final = run(admin, admin.start_job("slow", timeout_s=8))
    assert final.status == "timed_out" and final.pid is not None, "the job never started; raise the timeout"
    deadline = time.monotonic() + 15
    while (kernels_of(final.pid) or os.path.exists(f"/proc/{final.pid}")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not kernels_of(final.pid) and not os.path.exists(f"/proc/{final.pid}")


def test_connect_when_the_dask_scheduler_is_unreachable_says_which_address() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unavailable, match=f"Dask scheduler at ATHENA_DASK_ADDRESS='tcp://127.0.0.1:{port}' "
                                          "is unreachable"):
        dask_client(f"tcp://127.0.0.1:{port}", timeout_s=1)


def test_run_when_dask_address_is_malformed_fails_the_job_naming_it_and_raises_an_alert(
        admin: Console, slow_jobs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from athena.audit import AuditFilter

    monkeypatch.setenv("ATHENA_DASK_ADDRESS", "localhost")
    final = run(admin, admin.start_job("slow", {"seconds": "1"}))
    assert final.status == "failed" and final.error is not None and final.pid is None
    assert "ATHENA_DASK_ADDRESS must be a Dask address like tcp://host:8786, was 'localhost'" in final.error["reason"]
    alert = admin.audit(AuditFilter(action="alerts.raise", limit=1))[0]
    assert alert.payload["severity"] == "critical" and "could not start" in alert.payload["message"]
