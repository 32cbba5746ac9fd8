"""The Jobs page as an object: forms from the notebooks, start by role, validation, progress, cancel, outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from athena.console import Console
from athena.jobs import run
from athena.jobs.runner import JOBS_ACTOR
from athena.model import Role
from athena.store import JobRow
from athena.ui.state import ShellState
from athena.ui.state.jobs import JobsState


def page(shell: ShellState) -> JobsState:
    state = shell.jobs
    state.open()
    return state


def test_open_when_logged_in_builds_form_from_parameters_cell(log_in: Callable[[Role], ShellState]) -> None:
    shell = log_in(Role.VIEWER)
    assert shell.jobs.specs == []
    shell.page = "Jobs"
    state = shell.jobs

    assert [s.name for s in state.specs] == ["backtest", "daily_report", "stress_test", "walk_forward"]
    assert state.job_name == "backtest"
    form = {p.name: p for p in state.form}
    assert (form["periods"].type, form["cash"].type) == ("int", "float")
    assert "commission per side" in form["commission"].help
    assert state.values["periods"] == 2000 and state.values["strategy"] == "sma_cross"
    assert state.values["cash"] == 100_000.0 and isinstance(state.values["cash"], float)
    state.job_name = "walk_forward"
    assert state.values["anchored"] is False and state.values["train"] == "1000"


def test_start_when_quant_queues_the_job_with_form_values(log_in: Callable[[Role], ShellState],
                                                         admin: Console) -> None:
    state = page(log_in(Role.QUANT))
    state.set_value("periods", 150)

    job = state.start()

    assert job is not None and job.status == "queued" and job.params["periods"] == 150
    assert state.selected_id == job.id and state.level == "success"
    assert [j.id for j in admin.jobs()] == [job.id]
    assert state.frame().iloc[0]["status"] == "queued"


def test_start_when_value_mistyped_is_rejected_and_nothing_written(log_in: Callable[[Role], ShellState],
                                                                  admin: Console) -> None:
    state = page(log_in(Role.QUANT))
    before = admin.verify_audit().entries
    state.set_value("periods", "many")

    assert state.start() is None

    assert state.level == "warning" and "periods must be int" in state.message
    assert admin.jobs() == [] and admin.verify_audit().entries == before


def test_start_when_viewer_is_refused_and_nothing_queued(log_in: Callable[[Role], ShellState],
                                                        admin: Console) -> None:
    state = page(log_in(Role.VIEWER))

    assert not state.can_run
    assert state.start() is None and state.message.startswith("Refused")
    assert admin.jobs() == []


def test_poll_when_runner_reports_progress_shows_it_and_cancel_stops_it(log_in: Callable[[Role], ShellState],
                                                                        admin: Console) -> None:
    state = page(log_in(Role.QUANT))
    job = state.start()
    assert job is not None
    bot = admin.workspace.system(JOBS_ACTOR)
    bot.claim_job(job.id)
    bot.record_job_state(job.id, "running")
    with admin.workspace.store.write() as s:
        row = s.get(JobRow, job.id)
        assert row is not None
        row.progress = 0.4
        s.add(row)

    state.poll()
    assert state.frame().iloc[0][["status", "progress"]].tolist() == ["running", "40%"]

    cancelled = state.cancel()
    assert cancelled is not None and cancelled.status == "cancelled"
    assert state.frame().iloc[0]["status"] == "cancelled"


@pytest.mark.slow
def test_select_when_job_finished_offers_notebook_html_and_log(log_in: Callable[[Role], ShellState],
                                                              admin: Console) -> None:
    state = page(log_in(Role.QUANT))
    state.set_value("periods", 100)
    job = state.start()
    assert job is not None and state.output("html") is None

    assert run(admin, job).status == "succeeded"
    state.poll()
    state.select(job.id[:8])

    notebook, html = state.output("notebook"), state.output("html")
    assert notebook is not None and notebook.suffix == ".ipynb"
    assert html is not None and "<html" in html.read_text()[:500].lower()
    assert state.log_tail != "" and state.log_tail == Path(job.log_path).read_text().strip()[-len(state.log_tail):]
