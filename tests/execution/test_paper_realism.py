"""The paper venue's latency and volume participation, and the stale-price guard, through Console."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.config import Settings, TradingSettings
from athena.console import Console
from athena.errors import InvalidConfig
from athena.execution import PaperVenue
from athena.model import AuditOutcome, DenialReason, Order, OrderDenied, OrderStatus, Role
from athena.testing import ADMIN_PASSWORD
from athena.workspace import Workspace

PW = "Trader-Passw0rd-5"
Desk = Callable[..., tuple[Console, PaperVenue]]


@pytest.fixture
def desk(workspace: Workspace, clock: SimulatedClock) -> Iterator[Callable[..., tuple[Console, PaperVenue]]]:
    """Return a function that opens the workspace with trading settings and logs a trader in."""
    opened: list[Workspace] = []

    def go(**trading: object) -> tuple[Console, PaperVenue]:
        settings = workspace.settings.model_copy(update={"trading": TradingSettings.model_validate(trading)})
        ws = Workspace.open(settings, clock=clock)
        opened.append(ws)
        workspace.login("admin", ADMIN_PASSWORD).add_user("tom", Role.TRADER, PW)
        return ws.login("tom", PW), PaperVenue.from_settings(settings.trading)

    yield go
    for ws in opened:
        ws.close()


def tick(ws: Workspace, venue: PaperVenue, price: str, volume: str | None = None, symbol: str = "BTC/USDT") -> int:
    with ws.store.write() as s:
        return venue.set_mark(s, symbol, price, ws.clock.now(), None if volume is None else Decimal(volume))


def test_participation_when_order_exceeds_tick_volume_fills_over_ticks(workspace: Workspace, desk: Desk) -> None:
    trader, venue = desk(participation="0.1")
    tick(workspace, venue, "50000", "3")
    order = trader.submit_order("BTC/USDT", "buy", "0.5")
    assert isinstance(order, Order) and order.status is OrderStatus.OPEN
    assert tick(workspace, venue, "50000", "2") == 1
    first = trader.orders()[0]
    assert (first.status, first.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, Decimal("0.2"))
    tick(workspace, venue, "50000", "2")
    tick(workspace, venue, "50000", "2")
    done = trader.orders()[0]
    assert (done.status, done.filled_quantity) == (OrderStatus.FILLED, Decimal("0.5"))
    assert [f.quantity for f in reversed(trader.fills())] == [Decimal("0.2"), Decimal("0.2"), Decimal("0.1")]
    assert trader.positions() == {"BTC/USDT": Decimal("0.5")}


def test_participation_when_two_orders_share_a_tick_fills_first_come_first(workspace: Workspace, desk: Desk) -> None:
    trader, venue = desk(participation="0.5")
    tick(workspace, venue, "50000", "1")
    first = trader.submit_order("BTC/USDT", "buy", "0.3")
    second = trader.submit_order("BTC/USDT", "sell", "0.3", type="limit", price="49000")
    assert isinstance(first, Order) and isinstance(second, Order)
    tick(workspace, venue, "50000", "1")
    by_id = {o.id: o for o in trader.orders()}
    assert by_id[first.id].filled_quantity == Decimal("0.3")
    assert by_id[second.id].filled_quantity == Decimal("0.2")


def test_participation_when_ioc_cannot_fill_in_full_cancels_rest_at_first_tick(
    workspace: Workspace, desk: Desk,
) -> None:
    trader, venue = desk(participation="0.1")
    tick(workspace, venue, "50000", "1")
    order = trader.submit_order("BTC/USDT", "buy", "0.5", tif="IOC")
    assert isinstance(order, Order)
    tick(workspace, venue, "50000", "1")
    done = trader.orders()[0]
    assert (done.status, done.filled_quantity) == (OrderStatus.CANCELLED, Decimal("0.1"))


def test_participation_when_stop_triggered_keeps_filling_after_price_returns(workspace: Workspace, desk: Desk) -> None:
    trader, venue = desk(participation="0.1")
    tick(workspace, venue, "50000", "1")
    order = trader.submit_order("BTC/USDT", "buy", "0.2", type="stop", stop_price="51000")
    assert isinstance(order, Order)
    tick(workspace, venue, "50500", "1")
    assert trader.orders()[0].filled_quantity == 0
    tick(workspace, venue, "51000", "1")
    tick(workspace, venue, "50800", "1")
    assert trader.orders()[0].status is OrderStatus.FILLED


def test_latency_when_set_keeps_order_submitted_until_it_arrives(
    workspace: Workspace, desk: Desk, clock: SimulatedClock,
) -> None:
    trader, venue = desk(latency_ms=250)
    tick(workspace, venue, "50000")
    order = trader.submit_order("BTC/USDT", "buy", "0.1")
    assert isinstance(order, Order) and order.status is OrderStatus.SUBMITTED
    clock.advance(0.1)
    tick(workspace, venue, "50100")
    assert trader.orders()[0].status is OrderStatus.SUBMITTED
    clock.advance(0.2)
    tick(workspace, venue, "50200")
    filled = trader.orders()[0]
    assert (filled.status, filled.average_price) == (OrderStatus.FILLED, Decimal("50205.0200"))


def test_latency_when_cancelled_before_arrival_never_fills(
    workspace: Workspace, desk: Desk, clock: SimulatedClock,
) -> None:
    trader, venue = desk(latency_ms=500)
    tick(workspace, venue, "50000")
    order = trader.submit_order("BTC/USDT", "buy", "0.1")
    assert isinstance(order, Order)
    trader.cancel_order(order.id)
    clock.advance(1)
    tick(workspace, venue, "50000")
    assert trader.orders()[0].status is OrderStatus.CANCELLED and trader.fills() == []


def test_order_when_last_price_is_stale_is_denied_and_audited(
    workspace: Workspace, desk: Desk, clock: SimulatedClock,
) -> None:
    trader, venue = desk(stale_after_s=5)
    tick(workspace, venue, "50000")
    clock.advance(5)
    assert isinstance(trader.submit_order("BTC/USDT", "buy", "0.1"), Order)
    clock.advance(1)
    denied = trader.submit_order("BTC/USDT", "buy", "0.1")
    assert isinstance(denied, OrderDenied) and denied.reason is DenialReason.STALE_PRICE
    assert "6.0 s old (limit 5 s)" in denied.message
    assert trader.positions() == {"BTC/USDT": Decimal("0.1")}
    entry = trader.audit(AuditFilter(action="orders.submit", limit=1))[0]
    assert (entry.outcome, entry.payload["reason"]) == (AuditOutcome.DENIED, "STALE_PRICE")
    tick(workspace, venue, "50010")
    assert isinstance(trader.submit_order("BTC/USDT", "buy", "0.1"), Order)


@pytest.mark.parametrize(("name", "value", "says"), [
    ("ATHENA_PAPER_PARTICIPATION", "1.5", "ATHENA_PAPER_PARTICIPATION='1.5'"),
    ("ATHENA_PAPER_LATENCY_MS", "-1", "ATHENA_PAPER_LATENCY_MS='-1'"),
    ("ATHENA_STALE_AFTER_S", "soon", "ATHENA_STALE_AFTER_S='soon'"),
])
def test_settings_when_trading_env_is_bad_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str,
                                                             value: str, says: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidConfig, match=says):
        Settings.from_env("/tmp/athena-nowhere")


def test_settings_when_trading_env_set_describe_the_paper_venue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_PAPER_LATENCY_MS", "40")
    monkeypatch.setenv("ATHENA_PAPER_PARTICIPATION", "0.05")
    venue = PaperVenue.from_settings(Settings.from_env("/tmp/athena-nowhere").trading)
    assert (venue.latency_ms, venue.participation, venue.fills_on_ticks) == (40, Decimal("0.05"), True)
