"""Mandates: limit rules by hand, pre-trade denials through Console, loosening by approval, the monitor."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.errors import InvalidInput
from athena.execution import PaperVenue
from athena.execution.portfolio import Book
from athena.model import ApprovalStatus, DenialReason, Order, OrderDenied, OrderRequest, Role, Side, TradingState
from athena.risk.mandates import BreachAction, Level, Limit, LimitKind, is_looser, pre_trade
from athena.runtime.engine import Engine
from athena.testing import ADMIN_PASSWORD, totp_now
from athena.workspace import Workspace

PW = "Desk-Passw0rd-77"


def view(cash: str, **positions: tuple[str, str]) -> object:
    book = Book(D(cash))
    for symbol, (qty, price) in positions.items():
        book.apply(symbol.replace("_", "/"), D(qty), D(price), D(0))
    return book.view({s.replace("_", "/"): D(p) for s, (_, p) in positions.items()})


def req(side: str, qty: str, symbol: str = "BTC/USDT", price: str | None = None) -> OrderRequest:
    return OrderRequest(symbol, Side(side), D(qty), "limit" if price else "market", D(price) if price else None)  # type: ignore[arg-type]


def test_limit_when_levels_bad_refuses() -> None:
    with pytest.raises(ValueError, match="warn level must be in"):
        Limit("global", LimitKind.MAX_DRAWDOWN, D("0.1"), D("0.2"))
    with pytest.raises(ValueError, match="breach level must be > 0"):
        Limit("global", LimitKind.MAX_ORDER_NOTIONAL, D(0))
    limit = Limit("global", LimitKind.MAX_GROSS_LEVERAGE, D(2), D("1.5"))
    assert [limit.level(D(x)) for x in ("1", "1.6", "2.1")] == [Level.OK, Level.WARN, Level.BREACH]


def test_is_looser_when_compared_by_hand() -> None:
    old = Limit("global", LimitKind.MAX_ORDER_NOTIONAL, D(1000), D(800))
    assert is_looser(Limit("global", LimitKind.MAX_ORDER_NOTIONAL, D(2000), D(800)), old)
    assert is_looser(Limit("global", LimitKind.MAX_ORDER_NOTIONAL, D(1000)), old)
    assert not is_looser(Limit("global", LimitKind.MAX_ORDER_NOTIONAL, D(900), D(500)), old)
    assert is_looser(None, old)
    allowed = Limit("global", LimitKind.ALLOWED_SYMBOLS, D(0), symbols=("BTC/USDT",))
    assert is_looser(Limit("global", LimitKind.ALLOWED_SYMBOLS, D(0), symbols=("BTC/USDT", "ETH/USDT")), allowed)


def test_pre_trade_when_limits_would_break_names_the_first() -> None:
    book = view("100000", BTC_USDT=("1", "50000"))
    lev = Limit("global", LimitKind.MAX_GROSS_LEVERAGE, D("1.0"))
    assert pre_trade(req("buy", "0.9"), D(50000), book, [lev], orders_last_minute=0) is None
    hit = pre_trade(req("buy", "1.1"), D(50000), book, [lev], orders_last_minute=0)
    assert hit is not None and hit[0] is LimitKind.MAX_GROSS_LEVERAGE
    assert pre_trade(req("sell", "0.5"), D(50000), book,
                     [Limit("global", LimitKind.MAX_GROSS_LEVERAGE, D("0.1"))], orders_last_minute=0) is None
    notional = Limit("global", LimitKind.MAX_ORDER_NOTIONAL, D(10000))
    hit = pre_trade(req("buy", "0.21"), D(50000), book, [notional], orders_last_minute=0)
    assert hit is not None and "order value 10500.00 > 10000" in hit[1]
    collar = Limit("global", LimitKind.PRICE_COLLAR, D("0.05"))
    assert pre_trade(req("buy", "0.1", price="47600"), D(50000), book, [collar], orders_last_minute=0) is None
    assert pre_trade(req("buy", "0.1", price="47400"), D(50000), book, [collar], orders_last_minute=0) is not None
    rate = Limit("global", LimitKind.MAX_ORDER_RATE, D(5))
    assert pre_trade(req("buy", "0.1"), D(50000), book, [rate], orders_last_minute=5) is not None
    symbols = Limit("global", LimitKind.ALLOWED_SYMBOLS, D(0), symbols=("ETH/USDT",))
    assert pre_trade(req("buy", "0.1"), None, book, [symbols], orders_last_minute=0) is not None


@pytest.fixture
def desk(sqlite_workspace: Workspace, clock: SimulatedClock) -> dict[str, Console]:
    admin = sqlite_workspace.login("admin", ADMIN_PASSWORD)
    for name, role in (("rita", Role.RISK), ("tom", Role.TRADER), ("ann", Role.ADMIN)):
        admin.add_user(name, role, PW)
    consoles = {"admin": admin, **{n: sqlite_workspace.login(n, PW) for n in ("rita", "tom", "ann")}}
    with sqlite_workspace.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", "50000", clock.now())
    return consoles


def test_order_when_limit_would_break_is_denied_with_stable_code(desk: dict[str, Console]) -> None:
    desk["rita"].set_limit("global", "MAX_ORDER_NOTIONAL", breach=20_000)
    denied = desk["tom"].submit_order("BTC/USDT", "buy", "0.5")
    assert isinstance(denied, OrderDenied) and denied.reason is DenialReason.LIMIT_MAX_ORDER_NOTIONAL
    assert isinstance(desk["tom"].submit_order("BTC/USDT", "buy", "0.1"), Order)
    entry = desk["admin"].audit(AuditFilter(action="orders.submit", limit=2))[1]
    assert entry.payload["reason"] == "LIMIT_MAX_ORDER_NOTIONAL"


def test_order_rate_when_limit_reached_accepts_that_many_then_denies(
    desk: dict[str, Console], clock: SimulatedClock,
) -> None:
    desk["rita"].set_limit("global", "MAX_ORDER_RATE", breach=3)
    accepted = [desk["tom"].submit_order("BTC/USDT", "buy", "0.01", type="limit", price="1000") for _ in range(3)]
    assert all(isinstance(o, Order) for o in accepted)
    denied = desk["tom"].submit_order("BTC/USDT", "buy", "0.01", type="limit", price="1000")
    assert isinstance(denied, OrderDenied) and denied.reason is DenialReason.LIMIT_MAX_ORDER_RATE
    assert "4 orders in a minute > 3" in denied.message
    clock.advance(61)
    with desk["admin"].workspace.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", "50000", clock.now())
    assert isinstance(desk["tom"].submit_order("BTC/USDT", "buy", "0.01", type="limit", price="1000"), Order)


def test_limit_when_loosened_needs_a_second_admin(desk: dict[str, Console], clock: SimulatedClock) -> None:
    secrets = {}
    for name in ("rita", "ann"):
        secrets[name] = desk[name].enroll_totp().secret
        desk[name].confirm_totp(totp_now(secrets[name], clock.now()))
    desk["rita"].set_limit("global", "MAX_ORDER_NOTIONAL", breach=20_000, warn=15_000)
    assert desk["rita"].set_limit("global", "MAX_ORDER_NOTIONAL", breach=10_000) is None
    clock.advance(30)
    approval = desk["rita"].set_limit("global", "MAX_ORDER_NOTIONAL", breach=50_000,
                                      totp=totp_now(secrets["rita"], clock.now()))
    assert approval is not None and approval.status is ApprovalStatus.PENDING
    assert desk["tom"].limits()[0].breach == D(10_000)
    clock.advance(30)
    desk["ann"].approve(approval.id, totp_now(secrets["ann"], clock.now()))
    assert desk["tom"].limits()[0].breach == D(50_000)
    with pytest.raises(InvalidInput, match="has no MAX_DRAWDOWN limit"):
        desk["rita"].remove_limit("global", "MAX_DRAWDOWN")


def test_monitor_when_breached_alerts_and_acts_once(desk: dict[str, Console], clock: SimulatedClock) -> None:
    desk["tom"].submit_order("BTC/USDT", "buy", "2")
    desk["rita"].set_limit("global", "MAX_GROSS_LEVERAGE", breach="0.05", warn="0.02", action=BreachAction.REDUCE)
    engine = Engine(desk["admin"].workspace)
    for _ in range(3):
        clock.advance(timedelta(seconds=1))
        engine.step()
    assert desk["tom"].trading_states()["global"] is TradingState.REDUCING
    alerts = desk["admin"].audit(AuditFilter(action="alerts.raise"))
    assert len(alerts) == 1 and alerts[0].payload["level"] == "BREACH"
    assert alerts[0].actor == "system:risk-monitor"
    denied = desk["tom"].submit_order("BTC/USDT", "buy", "0.1")
    assert isinstance(denied, OrderDenied) and denied.reason is DenialReason.REDUCE_ONLY
