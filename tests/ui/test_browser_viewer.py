"""Every page served by ``athena up`` as a VIEWER in headless Chromium: nothing that changes state is enabled,
and no page blocks while a job runs.

One browser, one login, a loop over the pages. On each page every row a table offers is first
selected where selection unlocks controls (an open order, a strategy, a queued job, an alert);
then every control Playwright finds by role inside Panel's shadow DOM (the page's ARIA snapshot)
must be disabled, except the short, explicit list of navigation, read-only filters and reads
below. Each page is screenshotted to ``tests/artifacts/ui/viewer-*.png``; no request may fail and
the console must stay clean. Then, with a long backtest running in ``athena jobs serve``, the Market data
page must show each new price within a second, and the Jobs page must show the job running.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from athena.execution import PaperVenue
from athena.model import OrderStatus, Role
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.workspace import connect

if TYPE_CHECKING:
    from conftest import Served, Ui, Watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWER, VIEWER_PASSWORD = "vera", "Viewer-Passw0rd-1"

#: The roles of controls a person operates (a select's options follow their combobox); the rest is content.
CONTROL_ROLES = ("button", "textbox", "combobox", "checkbox", "radio", "spinbutton", "slider", "switch",
                 "searchbox", "listbox", "menuitem", "link", "tab")

NAVIGATION = {("button", name) for name in ("Command center", "Execution", "Market data", "Risk", "Strategies",
                                             "Runs", "Jobs", "Alerts", "Audit log", "Log out")}

#: Page -> (text that shows the page has rendered, controls a VIEWER may use there). Every entry is a
#: read: a filter of what is shown, a what-if computed in the tab, a verification or an export.
PAGES: dict[str, tuple[str, set[tuple[str, str]]]] = {
    "Command center": ("Equity and drawdown", set()),
    "Execution": ("Order entry", set()),
    "Market data": ("Latest mark per symbol", {("button", "since opened"), ("button", "1 min"), ("button", "5 min")}),
    "Risk": ("Shipped scenario library", {("combobox", "Scenario"), ("button", "Run scenario")}),
    "Strategies": ("Version history", set()),
    "Runs": ("Select a run to see its report.", {("combobox", "Kind"), ("combobox", "Strategy"),
                                                  ("textbox", "Search")}),
    "Jobs": ("Log tail", {("combobox", "Job")}),
    "Alerts": ("alerts shown", {("combobox", "Status"), ("combobox", "Severity")}),
    "Audit log": ("entries shown", {("textbox", "Actor"), ("textbox", "Action"), ("textbox", "Subject"),
                                    ("textbox", "Search"), ("combobox", "Outcome"), ("textbox", "From (UTC)"),
                                    ("textbox", "To (UTC)"), ("button", "Clear filters"), ("button", "Verify chain"),
                                    ("button", "Export CSV")}),
}

#: Page -> a table cell to select first (a selection enables that page's row actions for roles that may use
#: them), and the text that shows the kernel took the selection ("" where nothing shows it: wait a moment).
SELECT_FIRST = {
    "Execution": ("100", ""),
    "Strategies": ("sma_cross", "fast=5, slow=20"),
    "Jobs": ("queued", ""),
    "Alerts": ("gross leverage above warn", "Alert #1"),
}

_LINE = re.compile(r'^\s*- (?P<role>[a-z]+)(?: "(?P<name>(?:[^"\\]|\\.)*)")?(?P<attrs>(?: \[[^\]]*\])*):?\s*$')


def enabled_controls(page: Page) -> list[tuple[str, str]]:
    """Return (role, accessible name) of every visible, enabled control on the page, in page order."""
    found = []
    for line in page.locator("body").aria_snapshot().splitlines():
        match = _LINE.match(line)
        if match and match["role"] in CONTROL_ROLES and "[disabled" not in (match["attrs"] or ""):
            found.append((match["role"], (match["name"] or "").replace('\\"', '"')))
    return found


def prepare(home: Path) -> None:
    """Fill a workspace so every page has rows: a position, an open order, a strategy, a queued job, an alert."""
    ws, _ = new_workspace(home)
    admin = ws.login("admin", ADMIN_PASSWORD)
    admin.add_user(VIEWER, Role.VIEWER, VIEWER_PASSWORD)
    with ws.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", "65000", ws.clock.now())
    assert getattr(admin.submit_order("BTC/USDT", "buy", "0.5"), "status", None) is OrderStatus.FILLED
    order = admin.submit_order("BTC/USDT", "buy", "0.1", type="limit", price="100")
    assert getattr(order, "status", None) is OrderStatus.OPEN
    admin.set_limit("global", "MAX_GROSS_LEVERAGE", warn="0.1", breach="0.5")
    admin.register_strategy("btc_x", "sma_cross", ["BTC/USDT"], params={"fast": 5, "slow": 20})
    admin.start_job("backtest", {"strategy": "sma_cross"})
    ws.system("risk-monitor").raise_alert("warning", "mandate:global", "gross leverage above warn")
    ws.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, ui: type[Ui]) -> Iterator[Served]:
    """Serve the prepared workspace with Voila (no engine, no jobs service: the job stays queued)."""
    home = tmp_path_factory.mktemp("served-viewer") / "ws"
    prepare(home)
    with ui.serve(home) as app:
        yield app
    assert app.proc.returncode == 0, "".join(app.output)


def test_viewer_when_visiting_every_page_finds_no_enabled_control_that_changes_state(
    ui: type[Ui], served: Served, page: Page, watch: Watch
) -> None:
    ui.sign_in(page, served.url, VIEWER, VIEWER_PASSWORD)
    expect(page.get_by_role("button", name="Users")).to_have_count(0)
    offending: dict[str, list[tuple[str, str]]] = {}

    for name, (marker, allowed) in PAGES.items():
        page.get_by_role("button", name=name, exact=True).click()
        expect(page.get_by_text(marker).first).to_be_visible(timeout=15_000)
        if name in SELECT_FIRST:
            cell, shown = SELECT_FIRST[name]
            page.get_by_role("gridcell", name=cell, exact=True).first.click()
            if shown:
                expect(page.get_by_text(shown).first).to_be_visible()
            else:
                page.wait_for_timeout(1_000)
        ui.shoot(page, "viewer-" + name.lower().replace(" ", "-"))
        enabled = enabled_controls(page)
        assert NAVIGATION <= set(enabled), f"the ARIA snapshot of {name} lost the sidebar: {enabled}"
        extra = [c for c in enabled if c not in NAVIGATION | allowed]
        if extra:
            offending[name] = extra

    assert offending == {}, f"controls a VIEWER can use: {offending}"
    assert watch.problems == []


def test_market_page_when_backtest_job_runs_shows_every_new_price_within_one_second(
    ui: type[Ui], served: Served, page: Page, watch: Watch
) -> None:
    ws = connect(served.home)
    admin = ws.login("admin", ADMIN_PASSWORD)
    for queued in admin.jobs():
        if queued.status == "queued":
            admin.cancel_job(queued.id)  # the job the first test left queued: only the long one runs here
    ui.sign_in(page, served.url, VIEWER, VIEWER_PASSWORD)
    page.get_by_role("button", name="Market data", exact=True).click()
    expect(page.get_by_text("65,000.00").first).to_be_visible()
    latencies = []
    with ui.jobs_service(served.home):
        job = admin.start_job("backtest", {"strategy": "sma_cross", "periods": 5_000_000, "timeframe": "1m"})
        deadline = time.monotonic() + 60
        while admin.job(job.id).status != "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        for step in range(1, 4):
            price = f"{65_000 + step * 11.25:,.2f}"
            with ws.store.write() as s:
                PaperVenue().set_mark(s, "BTC/USDT", price.replace(",", ""), ws.clock.now())
            written = time.monotonic()
            page.get_by_text(price).first.wait_for(timeout=5_000)
            latencies.append(time.monotonic() - written)
        page.get_by_role("button", name="Jobs", exact=True).click()
        expect(page.get_by_role("row", name=re.compile(f"^{job.id[:12]} backtest running"))).to_be_visible()
        ui.shoot(page, "viewer-jobs-running")
        still = admin.job(job.id).status
        if still == "running":
            admin.cancel_job(job.id)
    ws.close()

    assert still == "running", f"the backtest was {still} before the prices were measured; make it longer"
    assert max(latencies) <= 1.0, f"new prices took {[f'{x:.2f}' for x in latencies]} s to show during the job"
    assert watch.problems == []
