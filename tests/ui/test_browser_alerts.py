"""The Alerts page served by ``athena up`` in headless Chromium: live inbox, acknowledge, assign, resolve.

An alert raised by another process must reach the open inbox within about a second without a
reload; a RISK operator then works it from the page, and the ledger shows every step.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from athena.alerts import AlertStatus
from athena.audit import AuditFilter
from athena.model import Role
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.workspace import connect

if TYPE_CHECKING:
    from conftest import Served, Ui, Watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RISK, RISK_PASSWORD = "rita", "Risk-Passw0rd-11"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, ui: type[Ui]) -> Iterator[Served]:
    """Serve a fresh workspace (ADMIN ``admin`` and RISK ``rita``) with Voila for the module."""
    home = tmp_path_factory.mktemp("served-alerts") / "ws"
    ws, _ = new_workspace(home)
    ws.login("admin", ADMIN_PASSWORD).add_user(RISK, Role.RISK, RISK_PASSWORD)
    ws.close()
    with ui.serve(home) as app:
        yield app
    assert app.proc.returncode == 0, "".join(app.output)


def test_alert_when_raised_elsewhere_appears_live_and_risk_works_it_from_page(
    ui: type[Ui], served: Served, page: Page, watch: Watch
) -> None:
    ui.sign_in(page, served.url, RISK, RISK_PASSWORD)
    page.get_by_role("button", name="Alerts").click()
    expect(page.get_by_text("0 alerts shown")).to_be_visible(timeout=10_000)

    ws = connect(served.home)
    admin = ws.login("admin", ADMIN_PASSWORD)
    alert = ws.system("risk-monitor").raise_alert("critical", "mandate:global:MAX_DRAWDOWN",
                                                  "drawdown 12.5% beyond the 10% limit", {"level": "BREACH"})
    raised = time.monotonic()
    page.get_by_text("drawdown 12.5% beyond the 10% limit").first.wait_for(timeout=5_000)
    latency = time.monotonic() - raised
    assert latency <= 1.0, f"the alert took {latency:.2f} s to reach the open inbox"

    page.get_by_text("drawdown 12.5% beyond the 10% limit").first.click()
    expect(page.get_by_text(f"Alert #{alert.id}")).to_be_visible()
    page.get_by_placeholder("what you did or found").fill("checking the book")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text(f"Alert {alert.id} acknowledged.")).to_be_visible()
    expect(page.get_by_text("ACKNOWLEDGED", exact=True)).to_be_visible()

    page.get_by_label("Assign to").select_option("admin")
    page.get_by_placeholder("what you did or found").fill("desk head decides")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text(f"Alert {alert.id} assigned to admin.")).to_be_visible()
    expect(page.get_by_text("owner admin", exact=False)).to_be_visible()

    page.get_by_placeholder("what you did or found").fill("limit raised by the desk head")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text(f"Alert {alert.id} resolved.")).to_be_visible()
    expect(page.get_by_text("RESOLVED", exact=True)).to_be_visible()
    expect(page.get_by_text("limit raised by the desk head")).to_be_visible()
    expect(page.get_by_role("button", name="Resolve")).to_be_disabled()
    ui.shoot(page, "alerts")

    stored = admin.alert(alert.id)
    assert (stored.status, stored.owner) == (AlertStatus.RESOLVED, "admin")
    steps = admin.audit(AuditFilter(subject=f"alert:{alert.id}", newest_first=False))
    assert [(e.actor, e.action, e.payload["note"]) for e in steps] == [
        (RISK, "alerts.acknowledge", "checking the book"),
        (RISK, "alerts.assign", "desk head decides"),
        (RISK, "alerts.resolve", "limit raised by the desk head"),
    ]
    assert admin.verify_audit().ok
    ws.close()
    assert watch.problems == []
