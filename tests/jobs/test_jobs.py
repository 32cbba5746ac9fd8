"""Jobs: the allowlist and its parameters, real papermill runs to every final state, audit trail."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from athena.audit import AuditFilter
from athena.console import Console
from athena.errors import InvalidInput, InvalidParameter
from athena.jobs import UnknownJob, catalog, notebook_progress, run
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.testing.processes import kernels_of


@pytest.fixture
def admin(tmp_path: Path) -> Console:
    ws, _ = new_workspace(tmp_path / "ws")
    return ws.login("admin", ADMIN_PASSWORD)


def test_catalog_when_read_lists_each_notebook_with_typed_parameters() -> None:
    jobs = {j.name: j for j in catalog()}
    assert set(jobs) == {"backtest", "walk_forward", "stress_test", "daily_report"}
    params = {p.name: p for p in jobs["backtest"].params}
    assert (params["periods"].type, params["periods"].default) == ("int", "2000")
    assert "commission per side" in params["commission"].help


def test_start_when_job_or_parameter_unknown_or_mistyped_records_nothing(admin: Console) -> None:
    before = admin.verify_audit().entries
    with pytest.raises(UnknownJob, match="did you mean 'backtest'"):
        admin.start_job("backtst")
    with pytest.raises(InvalidParameter, match="did you mean 'seed'"):
        admin.start_job("backtest", {"sed": "3"})
    with pytest.raises(InvalidParameter, match="periods must be int, was 'many'"):
        admin.start_job("backtest", {"periods": "many"})
    assert admin.jobs() == [] and admin.verify_audit().entries == before


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", float("nan"), float("inf")])
def test_start_and_schedule_when_float_parameter_not_finite_raise_invalid_parameter(admin: Console,
                                                                                    value: object) -> None:
    before = admin.verify_audit().entries
    with pytest.raises(InvalidParameter, match="parameter cash must be a finite float"):
        admin.start_job("backtest", {"cash": value})
    with pytest.raises(InvalidParameter, match="parameter cash must be a finite float"):
        admin.schedule_job("backtest", "0 7 * * *", {"cash": value})
    assert admin.jobs() == [] and admin.verify_audit().entries == before


def test_run_when_notebook_succeeds_records_outputs_progress_and_audit(admin: Console) -> None:
    seen: list[float] = []
    job = admin.start_job("backtest", {"periods": "600", "params": "fast:5,slow:20"})
    final = run(admin, job, on_progress=seen.append)
    assert final.status == "succeeded", final.error
    assert final.progress == 1.0 and seen[-1] == 1.0
    assert Path(final.output_notebook).exists() and "<html" in Path(final.output_html).read_text()[:500].lower()
    assert notebook_progress(Path(final.output_notebook)) == 1.0
    (recorded,) = admin.list_runs()
    book = recorded.book
    assert recorded.symbols == ("SYN",) and book is not None
    nav = book.cash + sum(qty * book.marks[symbol] for symbol, qty in book.positions.items())
    assert float(nav) == pytest.approx(recorded.metrics["final_equity"], rel=1e-9)
    actions = [(e.actor, e.action) for e in admin.audit(AuditFilter(subject="job:", newest_first=False))]
    assert actions == [("admin", "jobs.start"), ("system:jobs", "jobs.claim"), ("system:jobs", "jobs.running"),
                       ("system:jobs", "jobs.succeeded")]


def test_run_when_a_cell_raises_fails_with_cell_and_raises_alert(admin: Console) -> None:
    job = admin.start_job("backtest", {"params": "fast:50,slow:20"})
    final = run(admin, job)
    assert final.status == "failed" and final.error is not None
    assert (final.error["ename"], final.error["cell_index"]) == ("InvalidParameter", 3)
    assert "fast must be < slow" in final.error["evalue"]
    alert = admin.audit(AuditFilter(action="alerts.raise", limit=1))[0]
    assert alert.payload["severity"] == "critical" and "failed in cell 3" in alert.payload["message"]
    assert Path(final.output_html).exists()


def wait_running(console: Console, job_id: str) -> None:
    deadline = time.monotonic() + 60
    while console.job(job_id).status != "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2.0)


def test_run_when_time_runs_out_ends_timed_out_with_nothing_left_running(admin: Console, slow_jobs: Path) -> None:
    assert [j.name for j in catalog()] == ["slow"]
    job = admin.start_job("slow", timeout_s=12)
    final = run(admin, job)
    assert final.status == "timed_out"
    assert final.pid is not None, "the job never started; raise the timeout"
    time.sleep(2.5)
    assert not kernels_of(final.pid)
    with pytest.raises(ProcessLookupError):
        os.kill(final.pid, 0)


def test_cancel_when_running_stops_it_and_when_finished_refuses(admin: Console, slow_jobs: Path) -> None:
    job = admin.start_job("slow")
    results = []
    runner = threading.Thread(target=lambda: results.append(run(admin, job)))
    runner.start()
    wait_running(admin, job.id)
    cancelled = admin.cancel_job(job.id)
    runner.join(60)
    assert cancelled.status == "cancelled" and results[0].status == "cancelled"
    time.sleep(2.5)
    assert cancelled.pid is not None and not kernels_of(cancelled.pid)
    with pytest.raises(InvalidInput, match="already cancelled"):
        admin.cancel_job(job.id)


def test_run_when_machine_is_full_keeps_the_job_queued(admin: Console, slow_jobs: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_JOBS_MAX", "1")
    first, second = admin.start_job("slow"), admin.start_job("slow", {"seconds": "1"})
    results: dict[str, str] = {}
    threads = [threading.Thread(target=lambda j=j: results.update({j.id: run(admin, j).status}))
               for j in (first, second)]
    threads[0].start()
    wait_running(admin, first.id)
    threads[1].start()
    time.sleep(2.0)
    assert admin.job(second.id).status == "queued"
    admin.cancel_job(first.id)
    for thread in threads:
        thread.join(60)
    assert results == {first.id: "cancelled", second.id: "succeeded"}


def test_backtest_job_when_end_given_sizes_synthetic_data_from_start_to_end() -> None:
    from athena.jobs.notebook import backtest_job

    result = backtest_job(strategy="sma_cross", params="fast:5,slow:20", data="", periods=10, seed=1, cash=50_000.0,
                          commission=0.0, symbols="BTC/USDT", timeframe="1h", start="2024-01-01", end="2024-01-05")

    assert result.metrics.to_dict()["bars"] == 97
    assert result.equity.iloc[0] == 50_000.0
    with pytest.raises(InvalidParameter, match="end must be at least two bars after start"):
        backtest_job(strategy="sma_cross", params="", data="", periods=10, seed=1, cash=1.0, commission=0.0,
                     start="2024-01-01", end="2024-01-01")
