"""Positions kept in the fill's transaction equal a replay of the fills, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from decimal import Decimal as D

import pytest
from sqlalchemy import text
from sqlmodel import select

from athena.console import Console
from athena.errors import InvalidInput
from athena.execution import PaperVenue, record_fill
from athena.execution.ccxt_venue import MarketRules, VenueAck, VenueFill
from athena.execution.portfolio import holdings, portfolio, replay_portfolio, starting_cash
from athena.execution.router import apply_ack
from athena.execution.venue_credentials import Credentials
from athena.execution.venue_reconcile import ReconcileReport
from athena.model import FeeCharge, Order, OrderStatus, Role, Side
from athena.store import OrderRow
from athena.store.migrations import m0013_positions
from athena.testing import ADMIN_PASSWORD
from athena.workspace import Workspace

PW = "Trader-Passw0rd-6"


def desk(ws: Workspace) -> Console:
    ws.login("admin", ADMIN_PASSWORD).add_user("tom", Role.TRADER, PW)
    with ws.store.write() as s:
        for symbol, price in (("BTC/USDT", "50000"), ("ETH/USDT", "3000")):
            PaperVenue().set_mark(s, symbol, price, ws.clock.now())
    return ws.login("tom", PW)


def trade(tom: Console) -> None:
    for symbol, side, qty, strategy in (
        ("BTC/USDT", "buy", "0.3", "alpha"), ("BTC/USDT", "buy", "0.2", None), ("ETH/USDT", "sell", "2", "beta"),
        ("BTC/USDT", "sell", "0.4", "alpha"), ("ETH/USDT", "buy", "3", "beta"), ("BTC/USDT", "sell", "0.25", None),
    ):
        assert isinstance(tom.submit_order(symbol, side, qty, strategy=strategy), Order)


def assert_kept_equals_replay(ws: Workspace) -> None:
    with ws.store.read() as s:
        cash = starting_cash(s)
        for strategy, base in ((None, cash), ("alpha", D(0)), ("beta", D(0))):
            assert portfolio(s, base, strategy) == replay_portfolio(s, base, strategy)


def test_positions_when_fills_add_reduce_and_flip_equal_replay_of_fills(workspace: Workspace) -> None:
    tom = desk(workspace)
    trade(tom)
    assert_kept_equals_replay(workspace)
    # by hand: fills at the mark moved 1 bp against the taker, fee 0.1 % of notional
    buy, sell = D("50005.0000"), D("49995.0000")
    with workspace.store.read() as s:
        alpha = holdings(s, "alpha")["BTC/USDT"]
    assert (alpha.quantity, alpha.average_price) == (D("-0.1"), sell)
    assert alpha.realized_pnl == (sell - buy) * D("0.3")
    assert alpha.fees == (buy * D("0.3") + sell * D("0.4")) * D("0.001")
    assert tom.positions() == {"BTC/USDT": D("-0.15"), "ETH/USDT": D("1")}


def test_positions_when_two_writers_fill_at_once_equal_replay_of_fills(workspace: Workspace) -> None:
    tom = desk(workspace)
    errors: list[BaseException] = []

    def submit(side: str) -> None:
        try:
            for _ in range(15):
                tom.submit_order("BTC/USDT", side, "0.01", strategy="alpha")
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(side,)) for side in ("buy", "sell", "buy")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert tom.positions() == {"BTC/USDT": D("0.15")}
    assert_kept_equals_replay(workspace)


def test_migration_when_fills_exist_fills_positions_in_from_them(workspace: Workspace) -> None:
    tom = desk(workspace)
    trade(tom)
    store = workspace.store
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE positions"))
        m0013_positions.upgrade(conn, store.dialect)
    assert_kept_equals_replay(workspace)
    assert tom.positions() == {"BTC/USDT": D("-0.15"), "ETH/USDT": D("1")}


def test_migration_when_fills_paid_fees_in_base_books_them_out_of_the_coins(workspace: Workspace) -> None:
    tom = desk(workspace)
    trade(tom)
    workspace.login("admin", ADMIN_PASSWORD).set_venue("binance", symbols=["BTC/USDT"],
                                                       credentials=Credentials("key", "secret"))
    rules = {"BTC/USDT": MarketRules("BTC/USDT", D("0.01"), D("0.00001"), D("0.00001"), None)}
    workspace.system("engine").record_reconciliation(ReconcileReport("binance", (), (), (), ()), {}, rules)
    assert isinstance(tom.submit_order("BTC/USDT", "buy", "0.5", client_order_id="x-1"), Order)
    ack = VenueAck("9", "x-1", "BTC/USDT", Side.BUY, "market", OrderStatus.FILLED, D("0.5"), None, D("0.5"), None,
                   (VenueFill("1", D(50_000), D("0.5"), D("0.0005"), "BTC"),))
    with workspace.store.write() as s:
        row = s.exec(select(OrderRow).where(OrderRow.client_order_id == "x-1")).one()
        apply_ack(s, row, ack, workspace.clock.now())
    assert_kept_equals_replay(workspace)
    store = workspace.store
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE positions"))
        m0013_positions.upgrade(conn, store.dialect)
    assert tom.positions() == {"BTC/USDT": D("-0.15") + D("0.4995"), "ETH/USDT": D("1")}
    assert_kept_equals_replay(workspace)


@pytest.mark.parametrize(("detail", "message"), [
    ((FeeCharge("BTC", D("0.0005"), D(25)), FeeCharge("USDT", D(1), D(1))),
     "must be the sum of its charges' values, was fee=30 values=BTC 25, USDT 1"),
    ((FeeCharge("USDT", D(10), D(10)), FeeCharge("USDT", D(20), D(20))), "names a currency twice, was USDT, USDT"),
    ((FeeCharge("BTC", D("0.5"), D(29)), FeeCharge("USDT", D(1), D(1))),
     "in BTC must be >= 0 and below the 0.5 bought, was 0.5"),
])
def test_record_fill_when_fee_detail_is_inconsistent_says_why_and_records_nothing(
    workspace: Workspace, detail: tuple[FeeCharge, ...], message: str,
) -> None:
    tom = desk(workspace)
    workspace.login("admin", ADMIN_PASSWORD).set_venue("binance", symbols=["BTC/USDT"],
                                                       credentials=Credentials("key", "secret"))
    rules = {"BTC/USDT": MarketRules("BTC/USDT", D("0.01"), D("0.00001"), D("0.00001"), None)}
    workspace.system("engine").record_reconciliation(ReconcileReport("binance", (), (), (), ()), {}, rules)
    assert isinstance(tom.submit_order("BTC/USDT", "buy", "0.5", client_order_id="bad-fee"), Order)
    with pytest.raises(InvalidInput, match=re.escape(f"the fee of bad-fee {message}")):
        with workspace.store.write() as s:
            row = s.exec(select(OrderRow).where(OrderRow.client_order_id == "bad-fee")).one()
            record_fill(s, row, D("0.5"), D(50_000), D(30), workspace.clock.now(), fee_detail=detail)
    assert tom.fills() == [] and tom.positions() == {}
    assert next(o for o in tom.orders() if o.client_order_id == "bad-fee").status is OrderStatus.SUBMITTED
