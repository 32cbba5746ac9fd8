"""The served control plane in headless Chromium: log in, every page, live ledger, offline-clean.

One ``athena up`` (Voila) serves the whole module; every page load must finish without a failed
request or a console error. Screenshots land in ``tests/artifacts/ui``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect

from athena.model import Role
from athena.runtime.supervisor import VOILA_DIR
from athena.testing import ADMIN_PASSWORD, new_workspace

if TYPE_CHECKING:
    from conftest import Served, Ui, Watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWER, VIEWER_PASSWORD = "vera", "Viewer-Passw0rd-1"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, ui: type[Ui]) -> Iterator[Served]:
    """Serve a fresh workspace (ADMIN ``admin`` and VIEWER ``vera``) with Voila for the module."""
    home = tmp_path_factory.mktemp("served") / "ws"
    ws, _ = new_workspace(home)
    ws.login("admin", ADMIN_PASSWORD).add_user(VIEWER, Role.VIEWER, VIEWER_PASSWORD)
    ws.close()
    with ui.serve(home) as app:
        yield app
    assert app.proc.returncode == 0, "".join(app.output)
    assert "Athena stopped." in "".join(app.output)


def cli_login(served: Served) -> None:
    """Log the CLI in as the ADMIN of the served workspace."""
    served.athena("login", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")


def test_admin_when_logged_in_navigates_every_page_offline_clean(
    ui: type[Ui], served: Served, page: Page, watch: Watch
) -> None:
    ui.open_login(page, served.url)
    expect(page.get_by_text("ONLINE")).to_be_visible()
    ui.shoot(page, "01-login")
    ui.sign_in(page, None, "admin", ADMIN_PASSWORD)
    expect(page.get_by_text("Equity and drawdown")).to_be_visible()
    ui.shoot(page, "02-command-center-admin")

    page.get_by_role("button", name="Audit log").click()
    expect(page.get_by_role("button", name="Verify chain")).to_be_visible()
    page.get_by_text("workspace.init").first.click()
    expect(page.get_by_text("Entry #1")).to_be_visible()
    expect(page.get_by_text('"workspace_id"')).to_be_visible()
    ui.shoot(page, "03-audit-admin")

    page.get_by_role("button", name="Users").click()
    expect(page.get_by_role("button", name="Add user")).to_be_visible()
    page.get_by_text(VIEWER, exact=True).first.click()
    page.get_by_role("button", name="Enrol TOTP").click()
    expect(page.get_by_text("Scan with an authenticator app")).to_be_visible()
    ui.shoot(page, "04-users-admin")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    assert watch.problems == []


def test_viewer_when_logged_in_sees_no_admin_page_or_control(
    ui: type[Ui], served: Served, page: Page, watch: Watch
) -> None:
    ui.sign_in(page, served.url, VIEWER, VIEWER_PASSWORD)

    expect(page.get_by_text("VIEWER").first).to_be_visible()
    expect(page.get_by_role("button", name="Users")).to_have_count(0)
    page.get_by_role("button", name="Audit log").click()
    expect(page.get_by_role("button", name="Export CSV")).to_be_visible()
    ui.shoot(page, "05-audit-viewer")
    assert watch.problems == []


def test_wrong_password_when_submitted_says_so(ui: type[Ui], served: Served, page: Page, watch: Watch) -> None:
    ui.open_login(page, served.url)

    page.get_by_placeholder("username").fill("admin")
    page.get_by_placeholder("password").fill("not-the-password-1")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_text("Invalid username or password.")).to_be_visible()
    ui.shoot(page, "06-login-refused")
    assert watch.problems == []


def test_audit_page_when_cli_appends_shows_entry_within_one_second(
    ui: type[Ui], served: Served, page: Page, watch: Watch
) -> None:
    cli_login(served)
    ui.sign_in(page, served.url, VIEWER, VIEWER_PASSWORD)
    page.get_by_role("button", name="Audit log").click()
    expect(page.get_by_role("button", name="Verify chain")).to_be_visible()

    served.athena("users", "add", "from-the-cli", "--role", "QUANT")
    appended = time.monotonic()
    page.get_by_text("user:from-the-cli").first.wait_for(timeout=1_000)
    latency = time.monotonic() - appended

    assert latency <= 1.0
    page.get_by_role("button", name="Verify chain").click()
    expect(page.get_by_text("audit chain OK").first).to_be_visible()
    ui.shoot(page, "07-audit-live-verified")
    assert watch.problems == []


def test_session_when_revoked_elsewhere_returns_to_login_with_message(
    ui: type[Ui], served: Served, page: Page, watch: Watch
) -> None:
    cli_login(served)
    served.athena("users", "add", "temp-op", "--role", "VIEWER", "--password-stdin", stdin="Opaque-Passw0rd-7\n")
    ui.sign_in(page, served.url, "temp-op", "Opaque-Passw0rd-7")

    served.athena("users", "reset-password", "temp-op", "--password-stdin", stdin="Other-Passw0rd-22\n")

    expect(page.get_by_text("Your session has ended")).to_be_visible(timeout=5_000)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    ui.shoot(page, "08-session-ended")
    assert watch.problems == []


def test_kernels_when_twenty_tabs_open_and_close_fall_back_to_open_tabs(
    ui: type[Ui], served: Served, browser: Browser, watch: Watch
) -> None:
    context = browser.new_context()
    kept = watch.attach(context.new_page())
    ui.sign_in(kept, served.url, VIEWER, VIEWER_PASSWORD)
    kept.get_by_role("button", name="Audit log").click()
    pool = json.loads((VOILA_DIR / "config" / "voila.json").read_text())["VoilaConfiguration"]["default_pool_size"]

    for _ in range(20):
        tab = watch.attach(context.new_page())
        ui.open_login(tab, served.url)
        tab.close()
    peak = len(served.kernels())
    closed = time.monotonic()
    while len(served.kernels()) > 1 + pool and time.monotonic() < closed + 60:
        time.sleep(1)
    settled = len(served.kernels())
    ui.artifacts.mkdir(parents=True, exist_ok=True)
    (ui.artifacts / "kernel-cycles.json").write_text(
        json.dumps(
            {
                "cycles": 20,
                "open_tabs": 1,
                "pool": pool,
                "kernels_after_cycles": peak,
                "kernels_settled": settled,
                "seconds_to_settle": round(time.monotonic() - closed, 1),
            }
        )
    )

    assert peak > 1 + pool
    assert settled <= 1 + pool, f"{settled} kernels left for 1 open tab and a pool of {pool}"
    cli_login(served)
    served.athena("users", "add", "after-cycles", "--role", "VIEWER")
    kept.get_by_text("user:after-cycles").first.wait_for(timeout=2_000)
    assert watch.problems == []
    context.close()


def test_panel_serve_when_chosen_serves_same_app(ui: type[Ui], tmp_path: Path, browser: Browser, watch: Watch) -> None:
    home = tmp_path / "ws"
    new_workspace(home)[0].close()
    with ui.serve(home, server="panel") as app:
        page = watch.attach(browser.new_page(viewport={"width": 1440, "height": 900}))
        ui.sign_in(page, app.url, "admin", ADMIN_PASSWORD)
        page.get_by_role("button", name="Audit log").click()
        expect(page.get_by_text("workspace.init").first).to_be_visible()
        ui.shoot(page, "09-audit-panel-serve")
        page.close()
    assert app.proc.returncode == 0
    assert watch.problems == []
