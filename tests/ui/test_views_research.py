"""The research views as objects: buttons and inputs drive the page states, and roles disable controls."""

from __future__ import annotations

from typing import Any

import panel as pn
import pytest

from athena.console import Console
from athena.model import Role
from athena.testing import ADMIN_PASSWORD
from athena.ui import ControlPlane
from athena.workspace import Workspace

PASSWORD = "Research-Passw0rd-1"


@pytest.fixture
def plane(sqlite_workspace: Workspace, admin: Console) -> ControlPlane:
    """Return a control plane with a registered strategy and a QUANT and a VIEWER account, logged out."""
    admin.register_strategy("trend", "sma_cross", ["BTC/USDT"], params={"fast": 5, "slow": 20}, timeframe="1h")
    admin.add_user("quinn", Role.QUANT, PASSWORD)
    admin.add_user("vera", Role.VIEWER, PASSWORD)
    return ControlPlane(sqlite_workspace)


def sign_in(plane: ControlPlane, username: str, page: str) -> None:
    session = plane.state.session
    session.param.update(username=username, password=ADMIN_PASSWORD if username == "admin" else PASSWORD)
    assert session.login(), session.message
    plane.state.page = page


def widgets(plane: ControlPlane, kind: type[Any]) -> list[Any]:
    return list(plane.__panel__().select(kind))


def button(plane: ControlPlane, label: str) -> pn.widgets.Button:
    (found,) = [b for b in widgets(plane, pn.widgets.Button) if b.label == label]
    return found


def test_strategies_when_quant_edits_and_presses_buttons_saves_and_queues_backtest(
    plane: ControlPlane, admin: Console
) -> None:
    sign_in(plane, "quinn", "Strategies")
    registry = next(t for t in widgets(plane, pn.widgets.Tabulator) if "lifecycle" in t.value.columns)
    registry.selection = [0]
    fast = next(w for w in widgets(plane, pn.widgets.IntInput) if w.label == "fast")

    fast.value = 7
    button(plane, "Save").clicks += 1
    button(plane, "RUN BACKTEST").clicks += 1

    assert admin.strategies()[0].params == {"fast": 7, "slow": 20}
    (job,) = admin.jobs()
    assert job.params["params"] == "fast:7,slow:20" and job.requested_by == "quinn"
    assert button(plane, "Approve").disabled and button(plane, "Halt").disabled
    assert not button(plane, "RUN BACKTEST").disabled


def test_strategies_when_viewer_has_every_control_disabled(plane: ControlPlane) -> None:
    sign_in(plane, "vera", "Strategies")
    registry = next(t for t in widgets(plane, pn.widgets.Tabulator) if "lifecycle" in t.value.columns)
    registry.selection = [0]

    for label in ("Save", "Approve", "Activate", "Halt", "RUN BACKTEST"):
        assert button(plane, label).disabled, label
    assert all(w.disabled for w in widgets(plane, pn.widgets.IntInput) if w.label in ("fast", "slow"))


def test_jobs_when_quant_fills_form_and_presses_run_queues_the_job(plane: ControlPlane, admin: Console) -> None:
    sign_in(plane, "quinn", "Jobs")
    periods = next(w for w in widgets(plane, pn.widgets.IntInput) if w.label == "periods")

    periods.value = 120
    button(plane, "Run").clicks += 1

    (job,) = admin.jobs()
    assert job.name == "backtest" and job.params["periods"] == 120
    jobs_table = next(t for t in widgets(plane, pn.widgets.Tabulator) if "progress" in t.value.columns)
    assert list(jobs_table.value["status"]) == ["queued"] and jobs_table.selection == [0]
    assert not button(plane, "Cancel").disabled
    button(plane, "Cancel").clicks += 1
    assert admin.job(job.id).status == "cancelled"


def test_runs_when_run_recorded_elsewhere_lists_it_and_shows_report(plane: ControlPlane, admin: Console) -> None:
    sign_in(plane, "vera", "Runs")
    admin.record_run(kind="backtest", strategy="trend", params={"fast": 5}, config_hash="ab" * 12,
                     data_fingerprint="cd" * 12, metrics={"sharpe": 1.25}, artefacts={})
    plane.state.poll()
    runs = next(t for t in widgets(plane, pn.widgets.Tabulator) if "kind" in t.value.columns)
    assert list(runs.value["strategy"]) == ["trend"]

    runs.selection = [0]

    report = " ".join(str(p.object) for p in widgets(plane, pn.pane.HTML))
    assert "abababab" in report and "config hash" in report


def test_jobs_when_quant_presses_schedule_lists_it_and_pause_and_remove_act_on_the_picked_one(
        plane: ControlPlane, admin: Console) -> None:
    sign_in(plane, "quinn", "Jobs")
    cron = next(w for w in widgets(plane, pn.widgets.TextInput) if w.name == "Cron (UTC)")
    cron.value = "15 5 * * *"
    button(plane, "Schedule").clicks += 1

    (made,) = admin.schedules()
    assert (made.name, made.cron) == ("backtest", "15 5 * * *")
    listed = next(t for t in widgets(plane, pn.widgets.Tabulator) if "next_fire" in t.value.columns)
    assert list(listed.value["cron"]) == ["15 5 * * *"] and listed.selection == [0]
    assert button(plane, "Resume").disabled and not button(plane, "Pause").disabled
    button(plane, "Pause").clicks += 1
    assert admin.schedules()[0].paused and not button(plane, "Resume").disabled
    button(plane, "Remove").clicks += 1
    assert admin.schedules() == [] and listed.value.empty


def test_jobs_when_viewer_opens_the_page_every_input_but_the_job_picker_is_disabled(plane: ControlPlane) -> None:
    sign_in(plane, "vera", "Jobs")
    inputs = [w for kind in (pn.widgets.IntInput, pn.widgets.FloatInput, pn.widgets.TextInput, pn.widgets.Checkbox,
                             pn.widgets.Button) for w in widgets(plane, kind)]
    assert {"periods", "Cron (UTC)", "Timeout (s)", "Run", "Schedule"} <= {getattr(w, "label", w.name) for w in inputs}
    assert [getattr(w, "label", w.name) for w in inputs if not w.disabled] == ["Log out"]
    assert not next(w for w in widgets(plane, pn.widgets.Select) if w.name == "Job").disabled
