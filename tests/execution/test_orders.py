"""Orders through Console, the OMS and the paper venue, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from athena.audit import AuditFilter
from athena.console import Console
from athena.errors import InvalidInput, InvalidOrder, InvalidTransition
from athena.execution import PaperVenue, transition
from athena.model import AuditOutcome, DenialReason, Order, OrderDenied, OrderStatus, Role
from athena.store import OrderRow, OrderTransitionRow
from athena.testing import ADMIN_PASSWORD
from athena.workspace import Workspace

PW = "Trader-Passw0rd-5"


@pytest.fixture
def trader(workspace: Workspace) -> Console:
    admin = workspace.login("admin", ADMIN_PASSWORD)
    admin.add_user("tom", Role.TRADER, PW)
    return workspace.login("tom", PW)


def mark(ws: Workspace, symbol: str, price: str) -> int:
    with ws.store.write() as s:
        return PaperVenue().set_mark(s, symbol, price, ws.clock.now())


def statuses(ws: Workspace, order_id: int) -> list[str]:
    with ws.store.read() as s:
        rows = s.exec(select(OrderTransitionRow).where(OrderTransitionRow.order_id == order_id)
                      .order_by(OrderTransitionRow.id))  # type: ignore[arg-type]
        return [r.to_status for r in rows]


def test_market_buy_when_mark_known_fills_with_slippage_and_fee(trader: Console) -> None:
    ws = trader.workspace
    mark(ws, "BTC/USDT", "50000")
    order = trader.submit_order("BTC/USDT", "buy", "0.5")
    assert isinstance(order, Order)
    assert order.status is OrderStatus.FILLED
    assert order.average_price == Decimal("50005.0000")
    fill = trader.fills()[0]
    assert fill.fee == Decimal("50005") * Decimal("0.5") * Decimal("0.001")
    assert trader.positions() == {"BTC/USDT": Decimal("0.5")}
    assert statuses(ws, order.id) == ["submitted", "open", "filled"]
    entry = trader.audit(AuditFilter(action="orders.submit", limit=1))[0]
    assert (entry.actor, entry.outcome, entry.payload["status"]) == ("tom", AuditOutcome.OK, "filled")


def test_limit_order_when_mark_crosses_fills_at_limit(trader: Console) -> None:
    ws = trader.workspace
    mark(ws, "ETH/USDT", "3000")
    order = trader.submit_order("ETH/USDT", "buy", "1", type="limit", price="2900")
    assert isinstance(order, Order) and order.status is OrderStatus.OPEN
    assert mark(ws, "ETH/USDT", "2950") == 0
    assert mark(ws, "ETH/USDT", "2899.5") == 1
    filled = trader.orders()[0]
    assert (filled.status, filled.average_price) == (OrderStatus.FILLED, Decimal("2900"))


def test_stop_sell_when_mark_falls_through_fills_as_market(trader: Console) -> None:
    ws = trader.workspace
    mark(ws, "SOL/USDT", "150")
    trader.submit_order("SOL/USDT", "buy", "10")
    stop = trader.submit_order("SOL/USDT", "sell", "10", type="stop", stop_price="140")
    assert isinstance(stop, Order) and stop.status is OrderStatus.OPEN
    mark(ws, "SOL/USDT", "139")
    assert trader.orders()[0].average_price == Decimal("139") * (1 - Decimal("0.0001"))
    assert trader.positions() == {}


def test_ioc_limit_when_not_crossing_is_cancelled(trader: Console) -> None:
    mark(trader.workspace, "BTC/USDT", "50000")
    order = trader.submit_order("BTC/USDT", "buy", "0.1", type="limit", price="40000", tif="IOC")
    assert isinstance(order, Order) and order.status is OrderStatus.CANCELLED


def test_client_order_id_when_resent_returns_the_same_order(trader: Console) -> None:
    first = trader.submit_order("BTC/USDT", "buy", "0.1", type="limit", price="40000", client_order_id="c-1")
    again = trader.submit_order("BTC/USDT", "buy", "0.1", type="limit", price="40000", client_order_id="c-1")
    assert isinstance(first, Order) and isinstance(again, Order) and first.id == again.id
    other = trader.submit_order("BTC/USDT", "buy", "0.2", type="limit", price="40000", client_order_id="c-1")
    assert isinstance(other, OrderDenied) and other.reason is DenialReason.DUPLICATE_CLIENT_ORDER_ID
    assert len(trader.orders()) == 1


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"quantity": "-1"}, "quantity must be > 0, was -1"),
    ({"quantity": "0"}, "quantity must be > 0, was 0"),
    ({"quantity": "NaN"}, "quantity must be finite"),
    ({"type": "limit"}, "a limit order needs price"),
    ({"type": "limit", "price": "nan"}, "price must be finite"),
    ({"symbol": "btc-usdt"}, "symbol must look like"),
    ({"side": "hold"}, "'hold' is not a valid Side"),
])
def test_submit_when_input_bad_raises_and_writes_nothing(trader: Console, kwargs: dict[str, str],
                                                         message: str) -> None:
    before = trader.verify_audit().entries
    args = {"symbol": "BTC/USDT", "side": "buy", "quantity": "1", **kwargs}
    with pytest.raises(InvalidOrder, match=message):
        trader.submit_order(args.pop("symbol"), args.pop("side"), args.pop("quantity"), **args)  # type: ignore[arg-type]
    assert trader.orders() == []
    assert trader.verify_audit().entries == before


@pytest.mark.parametrize(("symbol", "quantity", "price", "reason"), [
    ("DOGE/USDT", "1", None, DenialReason.UNKNOWN_SYMBOL),
    ("BTC/USDT", "0.000001", None, DenialReason.BELOW_MIN_QUANTITY),
    ("BTC/USDT", "0.000015", None, DenialReason.OFF_LOT),
    ("BTC/USDT", "0.1", "100.005", DenialReason.OFF_TICK),
])
def test_submit_when_venue_rules_broken_is_denied_with_reason(
    trader: Console, symbol: str, quantity: str, price: str | None, reason: DenialReason
) -> None:
    kind = "limit" if price else "market"
    result = trader.submit_order(symbol, "buy", quantity, type=kind, price=price)
    assert isinstance(result, OrderDenied) and result.reason is reason
    stored = trader.orders()[0]
    assert stored.status is OrderStatus.DENIED and reason.value in (stored.reason or "")
    entry = trader.audit(AuditFilter(action="orders.submit", limit=1))[0]
    assert (entry.outcome, entry.payload["reason"]) == (AuditOutcome.DENIED, reason.value)


def test_cancel_when_open_cancels_and_when_done_refuses(trader: Console) -> None:
    order = trader.submit_order("BTC/USDT", "buy", "0.1", type="limit", price="40000")
    assert isinstance(order, Order)
    assert trader.cancel_order(order.id).status is OrderStatus.CANCELLED
    with pytest.raises(InvalidInput, match="already cancelled"):
        trader.cancel_order(order.id)
    assert statuses(trader.workspace, order.id) == ["submitted", "open", "cancelled"]


def test_transition_when_not_in_table_raises(trader: Console) -> None:
    order = trader.submit_order("BTC/USDT", "buy", "0.1", type="limit", price="40000")
    ws = trader.workspace
    with pytest.raises(InvalidTransition, match="cannot go from open to submitted"), ws.store.write() as s:
        row = s.get(OrderRow, order.id)  # type: ignore[union-attr]
        assert row is not None
        transition(s, row, OrderStatus.SUBMITTED, ws.clock.now())
