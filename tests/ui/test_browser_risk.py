"""The served Command center and Risk control tower in headless Chromium, beside a running engine.

RISK engages the kill switch from the Risk page (with a reason and a confirmation): every page's
header shows HALTED, the open orders are cancelled and the ledger shows the engage. Then one ADMIN
requests the reset with a TOTP code and a second ADMIN approves it from the same page.

Apart from it (no engine, orders going to an exchange venue), an ADMIN moves a paper strategy live from
the Strategies page with a TOTP code.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyotp
import pytest
from playwright.sync_api import Page, expect

from athena.audit import AuditFilter
from athena.execution import PaperVenue
from athena.execution.venue_credentials import Credentials
from athena.model import AuditOutcome, OrderStatus, Role
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.workspace import Workspace, connect

if TYPE_CHECKING:
    from conftest import Ui, Watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RISK, RISK_PASSWORD = "rita", "Risk-Officer-Passw0rd-3"
SECOND, SECOND_PASSWORD = "ann", "Second-Admin-Passw0rd-2"
STEP_S = 30


class Codes:
    """TOTP codes of the enrolled ADMINs, each step used once (the server refuses a reused step)."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.used: dict[str, int] = {}

    def next(self, name: str) -> str:
        """Return a code for a step after the last one used that the server accepts for 20 s more.

        The server accepts the steps from one before the current one to one after it, so step k
        works until step k + 1 ends: the earliest such step is taken, waiting only when none is.
        """
        step = max(self.used.get(name, 0) + 1, int(time.time()) // STEP_S - 1)
        while (step + 2) * STEP_S - time.time() < 20:
            step += 1
        while step > int(time.time()) // STEP_S + 1:
            time.sleep(1)
        self.used[name] = step
        return pyotp.TOTP(self.secrets[name]).at(step * STEP_S)

    def enrol(self, ws: Workspace, name: str, password: str) -> None:
        """Enrol ``name`` through Console with its first code."""
        console = ws.login(name, password)
        self.secrets[name] = console.enroll_totp().secret
        console.confirm_totp(self.next(name))


def prepare(home: Path) -> Codes:
    """Create the desk (RISK, two ADMINs with TOTP) and rest two limit orders far below the market."""
    ws, _ = new_workspace(home)
    admin = ws.login("admin", ADMIN_PASSWORD)
    admin.add_user(RISK, Role.RISK, RISK_PASSWORD)
    admin.add_user(SECOND, Role.ADMIN, SECOND_PASSWORD)
    with ws.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", "65000", ws.clock.now())
    bought = admin.submit_order("BTC/USDT", "buy", "2")
    assert getattr(bought, "status", None) is OrderStatus.FILLED
    for price in ("100", "200"):
        order = admin.submit_order("BTC/USDT", "buy", "0.1", type="limit", price=price)
        assert getattr(order, "status", None) is OrderStatus.OPEN
    admin.set_limit("global", "MAX_GROSS_LEVERAGE", warn="0.1", breach="0.5")
    admin.set_limit("global", "MAX_DRAWDOWN", warn="0.02", breach="0.05", action="KILL_SWITCH")
    admin.register_strategy("btc_x", "sma_cross", ["BTC/USDT"])
    ws.system("risk-monitor").raise_alert("warning", "mandate:global", "gross leverage above warn")
    codes = Codes()
    codes.enrol(ws, "admin", ADMIN_PASSWORD)
    codes.enrol(ws, SECOND, SECOND_PASSWORD)
    ws.close()
    return codes


def sign_in_with_code(page: Page, username: str, password: str, code: str) -> None:
    """Sign in on the login page already shown, answering the TOTP prompt."""
    page.get_by_placeholder("username").fill(username)
    page.get_by_placeholder("password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_placeholder("6-digit code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Log out").wait_for(timeout=15_000)


def log_out(page: Page) -> None:
    """Log out and wait for the login page."""
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Sign in").wait_for(timeout=15_000)


@pytest.fixture
def desk(tmp_path: Path, ui: type[Ui]) -> Iterator[tuple[Path, str, Codes]]:
    """Serve the prepared workspace with Voila beside a running engine."""
    home = tmp_path / "ws"
    codes = prepare(home)
    with ui.serve(home) as app, ui.engine(home, 0.25):
        yield home, app.url, codes
    assert app.proc.returncode == 0, "".join(app.output)


def test_kill_switch_when_engaged_from_risk_page_halts_everywhere_and_two_admins_reset_it(
    ui: type[Ui], desk: tuple[Path, str, Codes], page: Page, watch: Watch
) -> None:
    home, url, codes = desk
    ws = connect(home)
    risk = ws.login(RISK, RISK_PASSWORD)

    ui.sign_in(page, url, RISK, RISK_PASSWORD)
    expect(page.get_by_text("RUNNING", exact=True)).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Equity and drawdown")).to_be_visible()
    expect(page.get_by_text("gross leverage above warn")).to_be_visible()
    expect(page.get_by_text("btc_x")).to_be_visible()
    page.wait_for_timeout(3_000)  # a few more snapshots for the chart
    ui.shoot(page, "command")

    page.get_by_role("button", name="Risk").click()
    page.get_by_role("button", name="ENGAGE KILL SWITCH").click()
    page.get_by_placeholder("why trading must stop").fill("browser drill")
    page.get_by_role("button", name="Confirm engage").click()
    expect(page.get_by_text("Kill switch engaged: trading HALTED, 2 open orders cancelled.")).to_be_visible()
    expect(page.get_by_text("\u25a0 HALTED")).to_be_visible(timeout=5_000)
    assert risk.orders(open_only=True) == []
    assert risk.trading_states()["global"].value == "HALTED"
    page.get_by_role("button", name="Run scenario").click()
    expect(page.get_by_text(re.compile(r"^[a-z0-9_]+: PnL -?[0-9,.]+ "))).to_be_visible(timeout=15_000)
    ui.shoot(page, "risk-stress")
    page.get_by_text("Kill switch", exact=True).scroll_into_view_if_needed()
    ui.shoot(page, "risk")
    page.get_by_role("button", name="Command center").click()
    expect(page.get_by_text("TRADING HALTED")).to_be_visible()
    page.get_by_role("button", name="Audit log").click()
    expect(page.get_by_text("killswitch.engage").first).to_be_visible()
    expect(page.get_by_text("\u25a0 HALTED")).to_be_visible()
    log_out(page)

    sign_in_with_code(page, "admin", ADMIN_PASSWORD, codes.next("admin"))
    page.get_by_role("button", name="Risk").click()
    page.get_by_placeholder("code to request reset").fill(codes.next("admin"))
    page.get_by_role("button", name="Request reset").click()
    expect(page.get_by_text("a second ADMIN must approve it")).to_be_visible()
    log_out(page)

    sign_in_with_code(page, SECOND, SECOND_PASSWORD, codes.next(SECOND))
    page.get_by_role("button", name="Risk").click()
    expect(page.get_by_text(re.compile(r"^Selected: #\d+ killswitch.reset by admin$"))).to_be_visible()
    page.get_by_placeholder("code to approve").fill(codes.next(SECOND))
    page.get_by_role("button", name="Approve request").click()
    expect(page.get_by_text("(killswitch.reset)")).to_be_visible()
    expect(page.get_by_text("\u25a0 HALTED")).to_have_count(0, timeout=5_000)
    assert risk.trading_states()["global"].value == "ACTIVE"
    ws.close()
    assert watch.problems == []


def test_go_live_when_admin_types_totp_on_strategies_page_shows_the_strategy_live(
    ui: type[Ui], tmp_path: Path, page: Page, watch: Watch
) -> None:
    home = tmp_path / "ws"
    ws, _ = new_workspace(home)
    admin = ws.login("admin", ADMIN_PASSWORD)
    admin.register_strategy("btc_x", "sma_cross", ["BTC/USDT"])
    admin.approve_strategy("btc_x")
    admin.activate_strategy("btc_x")
    # Nothing connects to the exchange here: go-live only needs orders to be going to one.
    admin.set_venue("binance", symbols=["BTC/USDT"], credentials=Credentials("key", "secret"))
    codes = Codes()
    codes.enrol(ws, "admin", ADMIN_PASSWORD)
    ws.close()

    with ui.serve(home) as app:
        ui.open_login(page, app.url)
        sign_in_with_code(page, "admin", ADMIN_PASSWORD, codes.next("admin"))
        page.get_by_role("button", name="Strategies").click()
        page.get_by_role("gridcell", name="sma_cross", exact=True).first.click()
        expect(page.get_by_text("btc_x trades on paper")).to_be_visible()
        page.get_by_placeholder("code to go live").fill(codes.next("admin"))
        page.get_by_role("button", name="Go live").click()

        expect(page.get_by_text("btc_x is live: its orders go to the exchange venue from now on.")).to_be_visible()
        expect(page.get_by_role("gridcell", name="live", exact=True)).to_be_visible()
        expect(page.get_by_text("btc_x is live on the exchange venue already.")).to_be_visible()
        expect(page.get_by_role("button", name="Go live")).to_be_disabled()
        ui.shoot(page, "strategies-go-live")
    assert app.proc.returncode == 0, "".join(app.output)
    ws = connect(home)
    entry = ws.system("browser-check").audit(AuditFilter(action="strategies.go_live", limit=1))[0]
    assert (entry.actor, entry.outcome, entry.payload) == ("admin", AuditOutcome.OK, {"from": "paper", "to": "live"})
    ws.close()
    assert watch.problems == []
