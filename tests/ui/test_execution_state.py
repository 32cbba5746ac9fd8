"""The Execution page as an object: order entry outcomes, cancel, flatten, and what each role may use."""

from __future__ import annotations

from collections.abc import Callable

import panel as pn
import pytest

from athena.audit import AuditFilter
from athena.console import Console
from athena.execution import PaperVenue
from athena.model import AuditOutcome, DenialReason, Order, OrderDenied, OrderStatus, Role
from athena.ui.state import ExecutionState, ShellState
from athena.ui.views import ExecutionView
from athena.workspace import Workspace


def mark(ws: Workspace, symbol: str, price: str) -> None:
    with ws.store.write() as s:
        PaperVenue().set_mark(s, symbol, price, ws.clock.now())


@pytest.fixture
def page(log_in: Callable[[Role], ShellState], sqlite_workspace: Workspace) -> ExecutionState:
    mark(sqlite_workspace, "BTC/USDT", "50000")
    mark(sqlite_workspace, "ETH/USDT", "3000")
    state = log_in(Role.TRADER).states["Execution"]
    assert isinstance(state, ExecutionState)
    return state


def fill_form(page: ExecutionState, **values: str) -> None:
    page.param.update(**{"symbol": "BTC/USDT", "side": "buy", "order_type": "market", "quantity": "0.01",
                         "price": "", "stop_price": "", **values})


def test_submit_when_market_order_accepted_shows_id_fill_and_position(page: ExecutionState) -> None:
    fill_form(page, quantity="0.25")

    result = page.submit()

    assert isinstance(result, Order) and result.status is OrderStatus.FILLED
    assert page.level == "success"
    assert page.message.startswith(f"Accepted: order {result.id} buy 0.25 BTC/USDT is filled at 50,005.00")
    assert list(page.fills_frame()["order"]) == [result.id]
    position = page.positions_frame().set_index("symbol").loc["BTC/USDT"]
    assert (position["quantity"], position["mark"]) == ("0.25", "50,000.00")


def test_submit_when_limit_far_from_market_rests_in_open_orders(page: ExecutionState) -> None:
    fill_form(page, order_type="limit", price="20000", stop_price="999")

    result = page.submit()

    assert isinstance(result, Order) and result.status is OrderStatus.OPEN
    assert result.stop_price is None
    assert list(page.orders_frame()["id"]) == [result.id]
    assert page.orders_frame().iloc[0]["price"] == "20000"


def test_submit_when_risk_denies_shows_reason_code(page: ExecutionState, admin: Console) -> None:
    admin.set_limit("global", "MAX_ORDER_NOTIONAL", breach=1000)
    fill_form(page, quantity="1")

    result = page.submit()

    assert isinstance(result, OrderDenied) and result.reason is DenialReason.LIMIT_MAX_ORDER_NOTIONAL
    assert page.level == "danger"
    assert page.message.startswith("Denied LIMIT_MAX_ORDER_NOTIONAL: ")
    assert page.last_result == result and page.positions == []


@pytest.mark.parametrize(("values", "message"), [
    ({"quantity": "-1"}, "quantity must be > 0, was -1"),
    ({"quantity": "abc"}, "quantity must be a number"),
    ({"order_type": "limit", "price": "NaN"}, "price must be finite"),
    ({"order_type": "limit", "price": ""}, "a limit order needs price"),
    ({"quantity": "  "}, "Enter a quantity."),
])
def test_submit_when_input_is_bad_warns_and_changes_nothing(
    page: ExecutionState, admin: Console, values: dict[str, str], message: str
) -> None:
    fill_form(page, **values)
    before = admin.verify_audit().entries

    assert page.submit() is None

    assert page.level == "warning" and message in page.message
    assert admin.orders() == [] and page.last_result is None
    assert [e for e in admin.audit(AuditFilter(limit=None)) if e.seq > before and e.action != "audit.verify"] == []


def test_cancel_when_order_selected_cancels_it(page: ExecutionState, admin: Console) -> None:
    fill_form(page, order_type="limit", price="20000")
    order = page.submit()
    assert isinstance(order, Order)
    page.cancel()
    assert page.level == "warning"
    page.selected_order = order.id

    page.cancel()

    assert page.message == f"Cancelled order {order.id}." and page.open_orders == []
    assert admin.orders()[0].status is OrderStatus.CANCELLED
    assert admin.audit(AuditFilter(action="orders.cancel", limit=1))[0].actor == "trader9"


def test_cancel_all_when_symbol_chosen_cancels_only_that_symbol(page: ExecutionState) -> None:
    fill_form(page, order_type="limit", price="20000")
    page.submit()
    fill_form(page, symbol="ETH/USDT", order_type="limit", price="1000")
    eth = page.submit()
    page.cancel_symbol = "BTC/USDT"

    assert page.cancel_all() == 1

    assert page.message == "Cancelled 1 open order in BTC/USDT."
    assert isinstance(eth, Order) and [o.id for o in page.open_orders] == [eth.id]
    page.cancel_symbol = "All symbols"
    assert page.cancel_all() == 1 and page.open_orders == []


def test_flatten_when_position_selected_closes_it(page: ExecutionState, admin: Console) -> None:
    fill_form(page, quantity="0.5")
    page.submit()
    fill_form(page, symbol="ETH/USDT", side="sell", quantity="2")
    page.submit()
    page.selected_position = "BTC/USDT"

    results = page.flatten()

    assert results is not None and [r.symbol for r in results] == ["BTC/USDT"]
    assert page.level == "success" and "sell 0.5 BTC/USDT is filled" in page.message
    assert admin.positions() == {"ETH/USDT": -2}
    entry = admin.audit(AuditFilter(action="positions.flatten", limit=1))[0]
    assert (entry.actor, entry.payload["reason"]) == ("trader9", "flattened from the Execution page")


def test_flatten_all_when_kill_switch_engaged_closes_everything(page: ExecutionState, admin: Console) -> None:
    fill_form(page, quantity="0.5")
    page.submit()
    fill_form(page, symbol="ETH/USDT", side="sell", quantity="2")
    page.submit()
    admin.engage_kill_switch("drill")
    fill_form(page, quantity="0.1")
    assert isinstance(page.submit(), OrderDenied) and "TRADING_HALTED" in page.message

    page.flatten_all()

    assert page.level == "success" and admin.positions() == {}
    assert [p.quantity for p in page.positions] == [0, 0]


def test_controls_when_trader_are_enabled_and_price_fields_follow_type(page: ExecutionState) -> None:
    assert (page.can_submit, page.can_cancel, page.can_flatten) == (True, True, True)
    view = ExecutionView(state=page).__panel__()
    buttons = {b.label: b.disabled for b in view.select(pn.widgets.Button)}
    assert buttons == {"Send order": False, "Cancel": False, "Cancel all": False, "Flatten": False,
                       "Flatten all": False}
    prices = {w.label: w for w in view.select(pn.widgets.TextInput) if w.label in ("Limit price", "Stop price")}
    assert not prices["Limit price"].visible and not prices["Stop price"].visible
    page.order_type = "stop"
    assert not prices["Limit price"].visible and prices["Stop price"].visible


def test_controls_when_viewer_show_tables_but_nothing_enabled(
    log_in: Callable[[Role], ShellState], admin: Console, sqlite_workspace: Workspace
) -> None:
    mark(sqlite_workspace, "BTC/USDT", "50000")
    admin.submit_order("BTC/USDT", "buy", "0.1", type="limit", price="20000")
    page = log_in(Role.VIEWER).states["Execution"]
    assert isinstance(page, ExecutionState)
    assert (page.can_submit, page.can_cancel, page.can_flatten) == (False, False, False)
    view = ExecutionView(state=page).__panel__()

    assert all(b.disabled for b in view.select(pn.widgets.Button))
    assert all(w.disabled for w in view.select(pn.widgets.TextInput) + view.select(pn.widgets.Select))
    assert len(page.orders_frame()) == 1
    fill_form(page)
    assert page.submit() is None and page.message.startswith("Refused: ")
    denied = admin.audit(AuditFilter(action="orders.submit", limit=1))[0]
    assert (denied.actor, denied.outcome) == ("viewer9", AuditOutcome.DENIED)
