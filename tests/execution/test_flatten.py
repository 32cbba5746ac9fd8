"""Flattening positions through Console: reduce-only market orders through the pre-trade checks."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from athena.audit import AuditFilter
from athena.console import Console
from athena.errors import InvalidInput, PermissionDenied
from athena.execution import PaperVenue
from athena.model import AuditOutcome, DenialReason, Order, OrderDenied, OrderStatus, Role, Side
from athena.testing import ADMIN_PASSWORD
from athena.workspace import Workspace

PW = "Trader-Passw0rd-5"


@pytest.fixture
def trader(workspace: Workspace) -> Console:
    admin = workspace.login("admin", ADMIN_PASSWORD)
    admin.add_user("tom", Role.TRADER, PW)
    return workspace.login("tom", PW)


def mark(ws: Workspace, symbol: str, price: str) -> None:
    with ws.store.write() as s:
        PaperVenue().set_mark(s, symbol, price, ws.clock.now())


def book(trader: Console) -> None:
    ws = trader.workspace
    mark(ws, "BTC/USDT", "50000")
    mark(ws, "ETH/USDT", "3000")
    trader.submit_order("BTC/USDT", "buy", "0.5")
    trader.submit_order("ETH/USDT", "sell", "2")


def test_flatten_when_long_and_short_closes_both_with_one_request_entry(trader: Console) -> None:
    book(trader)
    before = trader.verify_audit().entries
    results = trader.flatten_positions(reason="end of day")
    assert [(r.symbol, r.side, r.quantity, r.status) for r in results if isinstance(r, Order)] == [
        ("BTC/USDT", Side.SELL, Decimal("0.5"), OrderStatus.FILLED),
        ("ETH/USDT", Side.BUY, Decimal("2"), OrderStatus.FILLED),
    ]
    assert trader.positions() == {}
    new = [e for e in trader.audit(AuditFilter(limit=None, newest_first=False))
           if e.seq > before and e.action != "audit.verify"]
    assert [(e.actor, e.action, e.outcome) for e in new] == [
        ("tom", "positions.flatten", AuditOutcome.OK),
        ("tom", "orders.submit", AuditOutcome.OK),
        ("tom", "orders.submit", AuditOutcome.OK),
    ]
    assert new[0].payload["positions"] == {"BTC/USDT": "0.5", "ETH/USDT": "-2"}
    assert new[1].payload["reduce_only"] is True and new[1].payload["flatten"] == "end of day"
    assert trader.verify_audit().ok


def test_flatten_when_kill_switch_engaged_still_closes_the_position(trader: Console) -> None:
    book(trader)
    admin = trader.workspace.login("admin", ADMIN_PASSWORD)
    admin.engage_kill_switch("drill")
    opening = trader.submit_order("BTC/USDT", "buy", "0.1")
    assert isinstance(opening, OrderDenied) and opening.reason is DenialReason.TRADING_HALTED
    results = trader.flatten_positions("BTC/USDT", reason="halted: close out")
    assert len(results) == 1 and isinstance(results[0], Order)
    assert results[0].status is OrderStatus.FILLED
    assert trader.positions() == {"ETH/USDT": Decimal("-2")}
    assert trader.trading_states()["global"].value == "HALTED"


def test_flatten_when_reducing_closes_and_new_exposure_is_denied(trader: Console) -> None:
    book(trader)
    admin = trader.workspace.login("admin", ADMIN_PASSWORD)
    admin.set_trading_state("REDUCING", reason="de-risk")
    adding = trader.submit_order("ETH/USDT", "sell", "1")
    assert isinstance(adding, OrderDenied) and adding.reason is DenialReason.REDUCE_ONLY
    trader.flatten_positions(reason="de-risk")
    assert trader.positions() == {}


def test_flatten_when_a_mandate_refuses_returns_the_denial(trader: Console) -> None:
    book(trader)
    admin = trader.workspace.login("admin", ADMIN_PASSWORD)
    admin.set_limit("global", "MAX_ORDER_NOTIONAL", breach=1000)
    results = trader.flatten_positions("BTC/USDT", reason="try")
    assert len(results) == 1 and isinstance(results[0], OrderDenied)
    assert results[0].reason is DenialReason.LIMIT_MAX_ORDER_NOTIONAL
    assert trader.positions()["BTC/USDT"] == Decimal("0.5")
    entry = trader.audit(AuditFilter(action="orders.submit", limit=1))[0]
    assert entry.outcome is AuditOutcome.DENIED and entry.payload["reduce_only"] is True


def test_flatten_when_nothing_held_records_the_request_and_sends_nothing(trader: Console) -> None:
    assert trader.flatten_positions(reason="tidy") == []
    entry = trader.audit(AuditFilter(limit=1))[0]
    assert (entry.action, entry.payload["positions"]) == ("positions.flatten", {})
    assert trader.orders() == []


@pytest.mark.parametrize(("symbol", "reason", "message"), [
    ("SOL/USDT", "x", "no open position in 'SOL/USDT'"),
    (None, "  ", "needs a reason"),
])
def test_flatten_when_input_is_bad_raises_and_changes_nothing(
    trader: Console, symbol: str | None, reason: str, message: str
) -> None:
    book(trader)
    orders = len(trader.orders())
    with pytest.raises(InvalidInput, match=message):
        trader.flatten_positions(symbol, reason=reason)
    assert len(trader.orders()) == orders
    assert len(trader.positions()) == 2


def test_flatten_when_risk_officer_asks_works_without_order_rights(
    sqlite_workspace: Workspace, login_as: Callable[[Role], Console]
) -> None:
    trader, risk = login_as(Role.TRADER), login_as(Role.RISK)
    mark(sqlite_workspace, "BTC/USDT", "50000")
    trader.submit_order("BTC/USDT", "buy", "0.5")
    with pytest.raises(PermissionDenied):
        risk.submit_order("BTC/USDT", "sell", "0.5")
    risk.flatten_positions(reason="risk override")
    assert risk.positions() == {}
