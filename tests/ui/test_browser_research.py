"""The research pages served by Voila beside ``athena jobs serve``: a QUANT backtests a strategy end to end.

Log in as QUANT, open Strategies, pick the registered strategy, RUN BACKTEST, watch the job's
progress, then its equity curve and metrics; the run is listed on the Runs page and the job on the
Jobs page. No request may fail. Screenshots land in ``tests/artifacts/ui``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from athena.model import Role
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.workspace import connect

if TYPE_CHECKING:
    from conftest import Ui, Watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUANT, QUANT_PASSWORD = "quinn", "Quant-Passw0rd-1"


def test_quant_when_backtest_run_sees_progress_equity_metrics_and_the_run_listed(
    ui: type[Ui], tmp_path: Path, page: Page, watch: Watch
) -> None:
    home = tmp_path / "ws"
    ws, _ = new_workspace(home)
    admin = ws.login("admin", ADMIN_PASSWORD)
    admin.add_user(QUANT, Role.QUANT, QUANT_PASSWORD)
    admin.register_strategy("trend", "sma_cross", ["BTC/USDT"], params={"fast": 5, "slow": 20}, timeframe="1h")
    ws.close()
    started = time.monotonic()
    with ui.serve(home) as served, ui.jobs_service(home):
        ui.sign_in(page, served.url, QUANT, QUANT_PASSWORD)
        page.get_by_role("button", name="Strategies").click()
        page.get_by_role("gridcell", name="sma_cross", exact=True).first.click()
        expect(page.get_by_text("v1", exact=True)).to_be_visible()
        page.get_by_role("button", name="RUN BACKTEST").click()

        expect(page.get_by_text("queued.")).to_be_visible(timeout=10_000)
        expect(page.get_by_text("of cells done")).to_be_visible()
        expect(page.get_by_text("SUCCEEDED")).to_be_visible(timeout=45_000)
        expect(page.get_by_text("done: total return")).to_be_visible(timeout=10_000)
        expect(page.get_by_text("total_return")).to_be_visible()
        expect(page.get_by_text("Backtest", exact=False).first).to_be_visible()
        page.locator("canvas").first.wait_for(timeout=5_000)
        ui.shoot(page, "strategies")

        page.get_by_role("button", name="Runs").click()
        expect(page.get_by_text("Select a run to see its report.")).to_be_visible()
        page.get_by_role("gridcell", name="trend", exact=True).first.click()
        expect(page.get_by_text("config hash")).to_be_visible()
        ui.shoot(page, "runs")

        page.get_by_role("button", name="Jobs").click()
        expect(page.get_by_text("Log tail")).to_be_visible()
        page.get_by_role("gridcell", name="succeeded", exact=True).first.click()
        expect(page.get_by_role("button", name="HTML report")).to_be_visible()
        expect(page.get_by_role("button", name="Executed notebook")).to_be_visible()
        ui.shoot(page, "jobs")
    assert time.monotonic() - started < 90
    assert watch.problems == []
    ws = connect(home)
    check = ws.login("admin", ADMIN_PASSWORD)
    (run,) = check.list_runs()
    assert run.strategy == "trend" and run.metrics["bars"] == 500
    (job,) = check.jobs()
    assert job.requested_by == QUANT and job.status == "succeeded"
    ws.close()
