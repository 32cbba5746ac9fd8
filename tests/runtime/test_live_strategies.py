"""Strategies from research running live: lifecycle, versioned parameters, engine trading, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.data.feed import SyntheticFeed
from athena.errors import InvalidInput, InvalidParameter, PermissionDenied, TotpRequired, UnknownStrategy
from athena.model import DenialReason, OrderStatus, Role, TradingState
from athena.runtime.engine import Engine, EngineConfig
from athena.runtime.strategies import BarBuilder
from athena.strategies import Strategy
from athena.strategies.base import BarView
from athena.testing import ADMIN_PASSWORD, totp_now
from athena.workspace import Workspace

PW = "Desk-Passw0rd-77"


class Pulse(Strategy):
    """Holds 0.1 units through even ten-second windows and nothing through odd ones: entries and exits on a clock."""

    name = "pulse_test"

    def on_bar(self, bar: BarView) -> None:
        want = bar.time.second // 10 % 2 == 0
        if want and not self.size_of():
            self.buy(size=0.1)
        elif not want and self.size_of():
            self.close()


class Exploding(Strategy):
    """Raises on every bar, to prove the engine halts it and goes on."""

    name = "exploding_test"

    def on_bar(self, bar: object) -> None:
        raise RuntimeError("boom")


@pytest.fixture
def desk(sqlite_workspace: Workspace) -> dict[str, Console]:
    admin = sqlite_workspace.login("admin", ADMIN_PASSWORD)
    for name, role in (("quinn", Role.QUANT), ("rita", Role.RISK), ("tom", Role.TRADER)):
        admin.add_user(name, role, PW)
    return {"admin": admin, **{n: sqlite_workspace.login(n, PW) for n in ("quinn", "rita", "tom")}}


def test_lifecycle_when_followed_by_roles_reaches_paper(desk: dict[str, Console]) -> None:
    d = desk["quinn"].register_strategy("btc_x", "sma_cross", ["BTC/USDT"], params={"fast": "5", "slow": "20"})
    assert (d.lifecycle, d.params, d.params_version) == ("registered", {"fast": 5, "slow": 20}, 1)
    with pytest.raises(InvalidInput, match="needs it approved or paper"):
        desk["tom"].activate_strategy("btc_x")
    with pytest.raises(PermissionDenied):
        desk["quinn"].approve_strategy("btc_x")
    desk["rita"].approve_strategy("btc_x")
    d = desk["tom"].activate_strategy("btc_x")
    assert (d.lifecycle, d.trading_state) == ("paper", TradingState.ACTIVE)
    desk["rita"].halt_strategy("btc_x", "drill")
    assert desk["tom"].strategies()[0].trading_state is TradingState.HALTED
    entries = desk["admin"].audit(AuditFilter(subject="strategy:btc_x", newest_first=False))
    assert [(e.actor, e.action, e.outcome.value) for e in entries] == [
        ("quinn", "strategies.register", "ok"), ("quinn", "strategies.approve", "denied"),
        ("rita", "strategies.approve", "ok"),
        ("tom", "strategies.activate", "ok"), ("rita", "trading.set_state", "ok"),
    ]


def test_params_when_changed_are_validated_and_versioned(desk: dict[str, Console]) -> None:
    desk["quinn"].register_strategy("btc_x", "sma_cross", ["BTC/USDT"])
    with pytest.raises(InvalidParameter, match="fast must be < slow"):
        desk["quinn"].set_strategy_params("btc_x", {"fast": 50})
    with pytest.raises(InvalidParameter, match="did you mean 'fast'"):
        desk["quinn"].set_strategy_params("btc_x", {"fats": 5})
    d = desk["quinn"].set_strategy_params("btc_x", {"fast": 7})
    assert (d.params_version, d.params["fast"]) == (2, 7)
    history = desk["quinn"].strategy_param_history("btc_x")
    assert [(v, p["fast"]) for v, p, _, _ in history] == [(1, 10), (2, 7)]


def test_register_when_input_bad_says_why(desk: dict[str, Console]) -> None:
    with pytest.raises(UnknownStrategy, match="did you mean 'sma_cross'"):
        desk["quinn"].register_strategy("x1", "sma_crss", ["BTC/USDT"])
    with pytest.raises(InvalidInput, match="unknown: DOGE/USDT"):
        desk["quinn"].register_strategy("x1", "sma_cross", ["DOGE/USDT"])
    with pytest.raises(InvalidInput, match="capital must be > 0"):
        desk["quinn"].register_strategy("x1", "sma_cross", ["BTC/USDT"], capital=0)
    with pytest.raises(InvalidInput, match="capital must be a number, was 'lots'"):
        desk["quinn"].register_strategy("x1", "sma_cross", ["BTC/USDT"], capital="lots")
    assert desk["quinn"].strategies() == []


def test_bar_builder_when_ticks_cross_a_boundary_closes_ohlc() -> None:
    builder = BarBuilder(bar_s=60)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    assert not builder.add(t0 + timedelta(seconds=1), 10.0)
    assert not builder.add(t0 + timedelta(seconds=30), 12.0)
    assert not builder.add(t0 + timedelta(seconds=59), 9.0)
    assert builder.add(t0 + timedelta(seconds=61), 11.0)
    assert list(builder.bars) == [(t0, 10.0, 12.0, 9.0, 9.0)]
    assert builder.frame().index[0] == t0


def test_engine_when_strategy_active_trades_towards_its_target(
    desk: dict[str, Console], clock: SimulatedClock
) -> None:
    desk["quinn"].register_strategy("mom", "buy_and_hold", ["BTC/USDT"], capital=10_000, timeframe="1s")
    desk["rita"].approve_strategy("mom")
    desk["tom"].activate_strategy("mom")
    engine = Engine(desk["admin"].workspace, feed=SyntheticFeed(prices={"BTC/USDT": Decimal("50000")}, seed=1,
                                                                 tick_sizes={"BTC/USDT": Decimal("0.01")}))
    for _ in range(60):
        clock.advance(1)
        engine.step()
    orders = desk["tom"].orders()
    assert orders and all(o.strategy == "mom" for o in orders)
    assert orders[-1].client_order_id.startswith("mom:BTCUSDT:")
    assert orders[-1].status is OrderStatus.FILLED
    held = desk["tom"].portfolio("mom").positions[0]
    notional = held.quantity * held.average_price
    assert Decimal("9900") < notional <= Decimal("10000") * Decimal("1.0002")
    assert len([o for o in orders if o.status is OrderStatus.FILLED]) == 1
    submits = desk["admin"].audit(AuditFilter(action="orders.submit"))
    assert {e.actor for e in submits} == {"system:engine"}


def test_engine_when_strategy_raises_halts_it_and_goes_on(desk: dict[str, Console], clock: SimulatedClock) -> None:
    desk["quinn"].register_strategy("bad", f"{__name__}:Exploding", ["BTC/USDT"], timeframe="1s")
    desk["rita"].approve_strategy("bad")
    desk["tom"].activate_strategy("bad")
    engine = Engine(desk["admin"].workspace)
    for _ in range(60):
        clock.advance(1)
        engine.step()
    assert desk["tom"].strategies()[0].trading_state is TradingState.HALTED
    halt = desk["admin"].audit(AuditFilter(action="trading.set_state", limit=1))[0]
    assert halt.actor == "system:engine" and "boom" in halt.payload["reason"]
    assert engine.ticks == 60


@pytest.mark.parametrize(("state", "reason"), [(TradingState.HALTED, DenialReason.STRATEGY_HALTED),
                                               (TradingState.REDUCING, DenialReason.REDUCE_ONLY)])
def test_engine_when_strategy_stopped_lets_its_exit_through_and_denies_its_next_entry(
    desk: dict[str, Console], clock: SimulatedClock, state: TradingState, reason: DenialReason,
) -> None:
    desk["quinn"].register_strategy("pulse", f"{__name__}:Pulse", ["BTC/USDT"], capital=50_000, timeframe="1s")
    desk["rita"].approve_strategy("pulse")
    desk["tom"].activate_strategy("pulse")
    engine = Engine(desk["admin"].workspace, config=EngineConfig(min_bars=3),
                    feed=SyntheticFeed(prices={"BTC/USDT": Decimal("50000")}, seed=1,
                                       tick_sizes={"BTC/USDT": Decimal("0.01")}))

    def run_until(second: int) -> None:
        while clock.now().second < second:
            clock.advance(1)
            engine.step()

    run_until(9)
    assert desk["tom"].portfolio("pulse").positions[0].quantity == Decimal("0.1")
    desk["rita"].set_trading_state(state, strategy="pulse", reason="drill")
    run_until(19)
    orders = [o for o in desk["tom"].orders() if o.strategy == "pulse"]
    exit_order = orders[0]
    assert (exit_order.side.value, exit_order.quantity, exit_order.status) == ("sell", Decimal("0.1"),
                                                                                OrderStatus.FILLED)
    assert desk["tom"].portfolio("pulse").positions[0].quantity == 0
    run_until(29)
    denied = [o for o in desk["tom"].orders() if o.strategy == "pulse" and o.status is OrderStatus.DENIED]
    assert denied and all(o.side.value == "buy" and (o.reason or "").startswith(reason.value) for o in denied)
    assert desk["tom"].portfolio("pulse").positions[0].quantity == 0
    assert desk["tom"].strategies()[0].trading_state is state


def test_go_live_when_not_admin_without_totp_or_on_paper_venue_refuses_and_changes_nothing(
    desk: dict[str, Console], clock: SimulatedClock,
) -> None:
    desk["quinn"].register_strategy("btc_x", "sma_cross", ["BTC/USDT"])
    desk["rita"].approve_strategy("btc_x")
    desk["tom"].activate_strategy("btc_x")
    for who, role in (("rita", "RISK"), ("tom", "TRADER")):
        with pytest.raises(PermissionDenied, match=f"role {role} may not strategies.go_live"):
            desk[who].go_live_strategy("btc_x", "123456")
    with pytest.raises(TotpRequired):
        desk["admin"].go_live_strategy("btc_x", None)
    enrolment = desk["admin"].enroll_totp()
    desk["admin"].confirm_totp(totp_now(enrolment.secret, clock.now()))
    clock.advance(30)
    with pytest.raises(InvalidInput, match="cannot go live: orders go to the paper venue"):
        desk["admin"].go_live_strategy("btc_x", totp_now(enrolment.secret, clock.now()))
    assert desk["tom"].strategies()[0].lifecycle == "paper"
    entries = desk["admin"].audit(AuditFilter(action="strategies.go_live", newest_first=False))
    assert [(e.actor, e.outcome.value, e.payload["error"]) for e in entries] == [
        ("rita", "denied", "PermissionDenied"), ("tom", "denied", "PermissionDenied"),
        ("admin", "denied", "TotpRequired")]
