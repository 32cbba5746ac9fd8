"""The Execution and Market data pages served with the engine running, in headless Chromium.

A TRADER rests a limit order far from the market, sees it open and cancels it, then sends a
market order and sees its fill and the position; the Market data page moves without a reload.
Screenshots: ``tests/artifacts/ui/execution.png`` and ``market.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from athena.model import Role
from athena.testing import ADMIN_PASSWORD, new_workspace

if TYPE_CHECKING:
    from conftest import Served, Ui, Watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRADER, TRADER_PASSWORD = "tara", "Trader-Passw0rd-1"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, ui: type[Ui]) -> Iterator[Served]:
    """Serve a fresh workspace with a TRADER, and run the engine beside it."""
    home = tmp_path_factory.mktemp("served-execution") / "ws"
    ws, _ = new_workspace(home)
    ws.login("admin", ADMIN_PASSWORD).add_user(TRADER, Role.TRADER, TRADER_PASSWORD)
    ws.close()
    with ui.serve(home) as app, ui.engine(home, tick_s=0.25):
        yield app
    assert app.proc.returncode == 0, "".join(app.output)


def btc_price(page: Page) -> str:
    """Return the last BTC/USDT price the Market data page shows."""
    row = page.locator("tr", has_text="BTC/USDT").first
    return row.locator("td").nth(1).inner_text()


def test_trader_when_trading_sees_orders_fills_positions_and_live_prices(
    ui: type[Ui], served: Served, page: Page, watch: Watch
) -> None:
    ui.sign_in(page, served.url, TRADER, TRADER_PASSWORD)
    page.get_by_role("button", name="Execution", exact=True).click()
    send = page.get_by_role("button", name="Send order")
    expect(send).to_be_enabled(timeout=15_000)

    page.get_by_role("combobox", name="Type").select_option("limit")
    page.get_by_placeholder("e.g. 0.01").fill("0.001")
    page.get_by_placeholder("e.g. 20000").fill("1000")
    send.click()
    expect(page.get_by_text(re.compile(r"Accepted: order \d+ buy 0.001 BTC/USDT is open"))).to_be_visible()
    order_id = page.get_by_text(re.compile(r"Accepted: order \d+")).inner_text().split()[2]
    cell = page.get_by_role("gridcell", name="1000", exact=True)
    expect(cell).to_be_visible()
    cell.click()
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.get_by_text(f"Cancelled order {order_id}.")).to_be_visible()
    expect(page.get_by_text("No open orders")).to_be_visible()

    page.get_by_role("combobox", name="Type").select_option("market")
    send.click()
    expect(page.get_by_text(re.compile(r"Accepted: order \d+ buy 0.001 BTC/USDT is filled at"))).to_be_visible()
    expect(page.get_by_text("No fills yet")).to_have_count(0)
    expect(page.get_by_text("No positions")).to_have_count(0)
    expect(page.get_by_role("gridcell", name="0.001", exact=True)).to_have_count(2)
    ui.shoot(page, "execution")

    page.get_by_role("button", name="Market data").click()
    expect(page.get_by_text("ENGINE RUNNING")).to_be_visible()
    first = btc_price(page)
    expect(page.locator("tr", has_text="BTC/USDT").first.locator("td").nth(1)).not_to_have_text(first,
                                                                                              timeout=3_000)
    expect(page.get_by_text("p99")).to_be_visible()
    ui.shoot(page, "market")
    assert watch.problems == []
