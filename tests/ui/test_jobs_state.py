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


def test_schedule_when_quant_schedules_the_form_lists_it_with_next_fire_and_pause_and_remove_work(
        log_in: Callable[[Role], ShellState], admin: Console) -> None:
    state = page(log_in(Role.QUANT))
    state.job_name = "daily_report"
    state.cron = "30 6 * * MON-FRI"

    made = state.schedule()

    assert made is not None and state.level == "success" and f"Schedule {made.id}" in state.message
    assert admin.schedules() == [made] and made.params == {"day": ""}
    row = state.schedule_frame().iloc[0]
    assert (row["name"], row["cron"], row["state"]) == ("daily_report", "30 6 * * MON-FRI", "active")
    assert row["next_fire"] == made.next_fire_at.strftime("%Y-%m-%d %H:%M") and row["next_fire"].endswith("06:30")
    assert state.pause_schedule() is not None and state.schedule_frame().iloc[0]["state"] == "paused"
    assert state.pause_schedule(False) is not None and state.schedule_frame().iloc[0]["state"] == "active"
    assert state.unschedule() is not None and state.schedule_frame().empty and admin.schedules() == []


def test_schedule_when_cron_is_malformed_says_which_field_and_writes_nothing(
        log_in: Callable[[Role], ShellState], admin: Console) -> None:
    state = page(log_in(Role.QUANT))
    before = admin.verify_audit().entries
    state.cron = "0 7 * * FUN"

    assert state.schedule() is None

    assert state.level == "warning" and "cron field day-of-week must be 0-7 or SUN-SAT, was 'FUN'" in state.message
    assert admin.schedules() == [] and admin.verify_audit().entries == before


def test_schedule_when_viewer_is_refused_and_nothing_scheduled(log_in: Callable[[Role], ShellState],
                                                              admin: Console) -> None:
    state = page(log_in(Role.VIEWER))

    assert state.schedule() is None and state.message.startswith("Refused")
    assert state.unschedule() is None and state.level == "warning"
    assert admin.schedules() == []
