"""The engine on an exchange venue: the real ccxt client over HTTP against a local fake Binance (or Bybit).

Orders accepted by Console for the exchange are sent, followed and cancelled by the engine's
router; on start the engine reconciles the OMS with the exchange and records every difference.
Tests marked ``BOTH`` run against the fake Bybit too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlmodel import select

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.errors import InvalidConfig, InvalidInput, InvalidTotp, PermissionDenied
from athena.execution import transition
from athena.execution.ccxt_venue import Balance, VenueAck, VenueFill
from athena.execution.portfolio import portfolio, replay_portfolio, starting_cash
from athena.execution.router import ExchangeRouter, apply_ack
from athena.execution.venue_credentials import Credentials
from athena.execution.venue_reconcile import ReconcileReport, VenueHoldings
from athena.model import DenialReason, FeeCharge, Order, OrderDenied, OrderStatus, Role, Side, TradingMode, TradingState
from athena.runtime.engine import Engine, EngineConfig
from athena.runtime.exchange import ExchangeLink
from athena.store import FillRow, InstrumentRow, OrderRow
from athena.testing import ADMIN_PASSWORD, totp_now
from athena.testing.fake_bybit import FakeBybit
from athena.testing.fake_exchange import FakeExchange, FakeMarket
from athena.testing.fake_venue import FakeVenue
from athena.workspace import Workspace

PW = "Trader-Passw0rd-5"


BOTH = pytest.mark.parametrize("fake", ["binance", "bybit"], indirect=True)


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[FakeVenue]:
    """Yield a started fake Binance, or a fake Bybit when parametrized with ``"bybit"``."""
    bybit = getattr(request, "param", "binance") == "bybit"
    kind = FakeBybit if bybit else FakeExchange
    with kind() as server:
        yield server


@pytest.fixture
def desk(workspace: Workspace, fake: FakeVenue) -> tuple[Console, Console]:
    """Return (admin, trader) on a workspace whose venue is the fake exchange."""
    admin = workspace.login("admin", ADMIN_PASSWORD)
    admin.add_user("tom", Role.TRADER, PW)
    admin.set_venue(fake.exchange_id, symbols=["BTC/USDT", "eth/usdt"],
                    credentials=Credentials(fake.api_key, fake.secret), api_url=fake.url)
    return admin, workspace.login("tom", PW)


def engine_on(ws: Workspace) -> Engine:
    """Return an engine whose exchange client never really sleeps between retries."""
    console = ws.system("engine")
    link = ExchangeLink.open(ws, console, console.venue_config(), backoff=0.0)
    return Engine(ws, exchange=link)


def order(console: Console, cid: str) -> Order:
    return next(o for o in console.orders() if o.client_order_id == cid)


def test_venue_when_set_is_testnet_stores_key_encrypted_and_audits_without_secret(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue,
) -> None:
    admin, _ = desk
    config = admin.venue_config()
    assert (config.name, config.symbols, config.sandbox, config.api_url) == (
        "binance", ("BTC/USDT", "ETH/USDT"), True, fake.url)
    stored = (workspace.settings.home / "credentials.json").read_text()
    assert fake.secret not in stored and fake.api_key not in stored
    entry = admin.audit(AuditFilter(action="venues.set", limit=1))[0]
    assert entry.payload["credentials"] == "replaced" and fake.secret not in str(entry.payload)
    link = engine_on(workspace).exchange
    assert link is not None and link.venue.exchange.isSandboxModeEnabled


def test_venue_when_input_bad_says_why_and_changes_nothing(workspace: Workspace) -> None:
    admin = workspace.login("admin", ADMIN_PASSWORD)
    with pytest.raises(InvalidInput, match="venue must be one of paper, binance, bybit, was 'kraken'"):
        admin.set_venue("kraken", symbols=["BTC/USDT"])
    with pytest.raises(InvalidInput, match="needs the symbols"):
        admin.set_venue("binance", credentials=Credentials("k", "s"))
    with pytest.raises(InvalidInput, match="symbols are BASE/QUOTE like BTC/USDT, was BTCUSDT"):
        admin.set_venue("binance", symbols=["BTCUSDT", "ETH/USDT"], credentials=Credentials("k", "s"))
    with pytest.raises(InvalidInput, match="api_url must be"):
        admin.set_venue("binance", symbols=["BTC/USDT"], credentials=Credentials("k", "s"), api_url="ftp://x/y")
    with pytest.raises(InvalidConfig, match="binance"):
        admin.set_venue("binance", symbols=["BTC/USDT"])
    assert admin.venue_config().name == "paper"
    assert admin.audit(AuditFilter(action="venues.set")) == []


def test_engine_when_restarted_after_adopting_holdings_reconciles_clean(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue,
) -> None:
    admin, _ = desk
    engine_on(workspace).start()
    engine_on(workspace).start()
    with workspace.store.read() as s:
        eth = s.get(InstrumentRow, "ETH/USDT")
    assert eth is not None and (eth.venue, eth.lot_size, eth.min_quantity) == (
        "binance", Decimal("0.0001"), Decimal("0.0001"))
    entry = admin.audit(AuditFilter(action="venues.reconcile", limit=1))[0]
    assert (entry.actor, entry.payload["clean"], entry.payload["discrepancies"]) == ("system:engine", True, [])
    assert entry.payload["holdings_compared"] is True
    status = admin.engine_status()
    assert status is not None and status.feed == "binance"


@BOTH
def test_start_when_venue_holds_other_positions_and_cash_adopts_them_and_alerts_each(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue,
) -> None:
    admin, trader = desk
    engine = engine_on(workspace)
    engine.start()
    engine.step()
    assert trader.positions() == {"BTC/USDT": Decimal(2), "ETH/USDT": Decimal(20)}
    view = trader.portfolio()
    assert view.cash == Decimal(100_000)
    assert view.nav == Decimal(100_000) + 2 * Decimal(30_000) + 20 * Decimal(2_000)
    assert {p.symbol: p.average_price for p in view.positions} == {"BTC/USDT": 30_000, "ETH/USDT": 2_000}
    entry = admin.audit(AuditFilter(action="venues.reconcile", limit=1))[0]
    lines = entry.payload["discrepancies"]
    name = fake.exchange_id
    assert entry.payload["clean"] is False and len(lines) == 3
    assert lines[0].startswith(f"position BTC/USDT: 0 BTC here, 2 at {name}; adopted +2 at 30000")
    assert lines[1].startswith(f"position ETH/USDT: 0 ETH here, 20 at {name}; adopted +20 at 2000")
    assert lines[2] == f"cash USDT: 1000000 here, 100000 at {name}; adopted"
    alerts = [e.payload["message"] for e in admin.audit(AuditFilter(action="alerts.raise"))]
    assert sorted(alerts) == sorted(f"reconciliation: {line}" for line in lines)
    adopted = [o for o in trader.orders() if o.client_order_id.startswith(f"reconcile:{name}:")]
    assert {(o.symbol, o.side, o.quantity, o.status) for o in adopted} == {
        ("BTC/USDT", Side.BUY, Decimal(2), OrderStatus.FILLED), ("ETH/USDT", Side.BUY, Decimal(20), OrderStatus.FILLED)}
    assert len(admin.audit(AuditFilter(action="venues.reconcile"))) == 1


@BOTH
def test_orders_when_routed_fill_at_exchange_and_update_positions(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue, clock: SimulatedClock,
) -> None:
    _, trader = desk
    engine = engine_on(workspace)
    engine.start()
    placed = trader.submit_order("BTC/USDT", "buy", "0.01", type="limit", price="29000", client_order_id="t-1")
    assert isinstance(placed, Order) and placed.status is OrderStatus.SUBMITTED
    clock.advance(1)
    engine.step()
    assert order(trader, "t-1").status is OrderStatus.OPEN
    assert fake.book() == [("t-1", "NEW")]
    fake.fill_at("BTC/USDT", "28900")
    clock.advance(1)
    prices = engine.step()
    assert prices["BTC/USDT"] == Decimal("28900")
    filled = order(trader, "t-1")
    assert (filled.status, filled.filled_quantity, filled.average_price) == (
        OrderStatus.FILLED, Decimal("0.01"), Decimal("29000"))
    # The buy's fee was 0.00001 BTC: 2 + 0.01 - 0.00001 held, as at the exchange.
    assert trader.positions()["BTC/USDT"] == Decimal("2.00999") == fake.balance("BTC")[0]
    trader.submit_order("BTC/USDT", "sell", "0.01", client_order_id="t-2")
    clock.advance(1)
    engine.step()
    assert order(trader, "t-2").status is OrderStatus.FILLED
    assert trader.positions()["BTC/USDT"] == Decimal("1.99999")
    ours = {order(trader, cid).id for cid in ("t-1", "t-2")}
    assert [f.fee for f in reversed(trader.fills()) if f.order_id in ours] == [
        Decimal("0.00001") * 29000, Decimal("0.01") * 28900 / 1000]
    assert fake.balance("BTC") == (Decimal("1.99999"), Decimal(0))


@BOTH
def test_cancel_when_routed_waits_for_the_exchange_then_cancels_there(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue, clock: SimulatedClock,
) -> None:
    _, trader = desk
    engine = engine_on(workspace)
    engine.start()
    trader.submit_order("ETH/USDT", "buy", "0.5", type="limit", price="1500", client_order_id="c-1")
    engine.step()
    pending = trader.cancel_order("c-1")
    assert pending.status is OrderStatus.PENDING_CANCEL
    assert fake.book() == [("c-1", "NEW")]
    clock.advance(1)
    engine.step()
    assert order(trader, "c-1").status is OrderStatus.CANCELLED
    assert fake.book() == [("c-1", "CANCELED")]


@BOTH
def test_kill_switch_when_engaged_cancels_every_order_at_the_exchange(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue, clock: SimulatedClock,
) -> None:
    admin, trader = desk
    engine = engine_on(workspace)
    engine.start()
    for i, price in enumerate(("1500", "1600", "1700")):
        trader.submit_order("ETH/USDT", "buy", "0.5", type="limit", price=price, client_order_id=f"k-{i}")
    engine.step()
    assert admin.engage_kill_switch("exchange drill") == 3
    denied = trader.submit_order("ETH/USDT", "buy", "0.5", type="limit", price="1500")
    assert isinstance(denied, OrderDenied) and denied.reason is DenialReason.TRADING_HALTED
    clock.advance(1)
    engine.step()
    assert {o.status for o in trader.orders() if o.client_order_id.startswith("k-")} == {OrderStatus.CANCELLED}
    assert {status for _, status in fake.book()} == {"CANCELED"}


@BOTH
def test_submit_when_answer_lost_retries_with_same_id_and_makes_one_order(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue,
) -> None:
    _, trader = desk
    engine = engine_on(workspace)
    engine.start()
    trader.submit_order("BTC/USDT", "buy", "0.01", type="limit", price="29000", client_order_id="r-1")
    fake.inject_failures(1, 503, endpoint=fake.order_endpoint, after_processing=True)
    engine.step()
    assert order(trader, "r-1").status is OrderStatus.OPEN
    assert fake.book() == [("r-1", "NEW")]


@BOTH
def test_stop_when_routed_waits_at_the_exchange_then_fills_when_the_price_falls_through(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue, clock: SimulatedClock,
) -> None:
    _, trader = desk
    engine = engine_on(workspace)
    engine.start()
    trader.submit_order("BTC/USDT", "sell", "0.01", type="stop", stop_price="29000", client_order_id="st-1")
    trader.submit_order("BTC/USDT", "buy", "0.01", type="stop", price="31100", stop_price="31000",
                        client_order_id="st-2")
    engine.step()
    waiting = "UNTRIGGERED" if fake.exchange_id == "bybit" else "NEW"
    assert fake.book() == [("st-1", waiting), ("st-2", waiting)]
    assert {order(trader, cid).status for cid in ("st-1", "st-2")} == {OrderStatus.OPEN}
    fake.fill_at("BTC/USDT", "29500")
    clock.advance(1)
    engine.step()
    assert order(trader, "st-1").status is OrderStatus.OPEN
    fake.fill_at("BTC/USDT", "28950")
    trader.cancel_order("st-2")
    clock.advance(1)
    engine.step()
    filled = order(trader, "st-1")
    assert (filled.status, filled.filled_quantity, filled.average_price) == (
        OrderStatus.FILLED, Decimal("0.01"), Decimal("28950"))
    assert trader.positions()["BTC/USDT"] == Decimal("1.99") == fake.balance("BTC")[0]
    assert [f.fee for f in trader.fills() if f.order_id == filled.id] == [Decimal("0.2895")]
    assert order(trader, "st-2").status is OrderStatus.CANCELLED
    assert fake.book() == [("st-1", "FILLED"), ("st-2", "CANCELED")]
    assert fake.fill_at("BTC/USDT", "31200") == 0


@BOTH
def test_submit_when_exchange_refuses_marks_order_rejected_with_reason(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue,
) -> None:
    _, trader = desk
    engine = engine_on(workspace)
    engine.start()
    trader.submit_order("BTC/USDT", "buy", "50", type="limit", price="29000", client_order_id="big")
    engine.step()
    rejected = order(trader, "big")
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reason is not None and rejected.reason.startswith("INSUFFICIENT_FUNDS")
    assert fake.book() == []


@BOTH
def test_start_when_venue_and_oms_disagree_adopts_settles_and_alerts_each(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue, clock: SimulatedClock,
) -> None:
    admin, trader = desk
    first = engine_on(workspace)
    first.start()
    trader.submit_order("BTC/USDT", "buy", "0.01", type="limit", price="29000", client_order_id="filled-offline")
    first.step()
    trader.submit_order("ETH/USDT", "buy", "0.1", type="limit", price="1500", client_order_id="lost")
    with workspace.store.write() as s:
        row = s.exec(select(OrderRow).where(OrderRow.client_order_id == "lost")).one()
        transition(s, row, OrderStatus.OPEN, clock.now())
    fake.fill_at("BTC/USDT", "28950")
    outside = fake.connect()
    outside.create_order("ETH/USDT", "limit", "sell", 1.5, 2500, {"clientOrderId": "by-hand"})
    outside.session.close()
    clock.advance(60)
    alerted_before = len(admin.audit(AuditFilter(action="alerts.raise")))
    engine_on(workspace).start()
    settled = order(trader, "filled-offline")
    assert settled.status is OrderStatus.FILLED
    assert next(f for f in trader.fills() if f.order_id == settled.id).fee == Decimal("0.00001") * 29000
    assert order(trader, "lost").status is OrderStatus.EXPIRED
    adopted = order(trader, "by-hand")
    assert (adopted.status, adopted.quantity, adopted.price) == (OrderStatus.OPEN, Decimal("1.5"), Decimal("2500"))
    # Binance took the buy's fee in BTC: booked out of the coins, not the cash, so holdings agree.
    assert trader.positions()["BTC/USDT"] == Decimal("2.00999") == fake.balance("BTC")[0]
    assert trader.portfolio().cash == Decimal(100_000) - Decimal("0.01") * 29000
    entry = admin.audit(AuditFilter(action="venues.reconcile", limit=1))[0]
    lines = entry.payload["discrepancies"]
    assert entry.payload["clean"] is False and len(lines) == 3
    assert not any(line.startswith(("position", "cash")) for line in lines)
    alerts = [e.payload["message"] for e in admin.audit(AuditFilter(action="alerts.raise"))]
    assert len(alerts) - alerted_before == 3 and all(m.startswith("reconciliation: ") for m in alerts)
    assert any("by-hand" in m for m in alerts) and any("lost" in m for m in alerts)


def test_start_when_balances_move_while_orders_are_read_adopts_no_holdings_and_alerts(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue, monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin, trader = desk
    engine = engine_on(workspace)
    assert engine.exchange is not None
    read = engine.exchange.venue.balances

    def moving() -> dict[str, Balance]:
        seen = read()
        fake.deposit("USDT", "1")
        return seen

    monkeypatch.setattr(engine.exchange.venue, "balances", moving)
    engine.start()
    assert trader.positions() == {}
    entry = admin.audit(AuditFilter(action="venues.reconcile", limit=1))[0]
    assert (entry.payload["discrepancies"], entry.payload["holdings_compared"]) == ([], False)
    alert = admin.audit(AuditFilter(action="alerts.raise", limit=1))[0]
    assert "balances at binance kept moving while orders were read" in alert.payload["message"]


def test_start_when_exchange_unreachable_alerts_and_engine_runs_on(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue,
) -> None:
    admin, _ = desk
    engine = engine_on(workspace)
    fake.stop()
    engine.start()
    assert engine.step() == {}
    alert = admin.audit(AuditFilter(action="alerts.raise", limit=1))[0]
    assert alert.payload["severity"] == "critical" and "reconciliation with binance failed" in alert.payload["message"]
    status = admin.engine_status()
    assert status is not None and status.state == "running"


def test_venue_when_trading_mode_live_leaves_the_testnet(workspace: Workspace, desk: tuple[Console, Console],
                                                        clock: SimulatedClock) -> None:
    admin, _ = desk
    admin.add_user("boss2", Role.ADMIN, PW)
    boss2 = workspace.login("boss2", PW)
    codes = {}
    for console in (admin, boss2):
        enrolment = console.enroll_totp()
        console.confirm_totp(totp_now(enrolment.secret, clock.now()))
        codes[console.identity.username] = enrolment.secret
        clock.advance(30)
    approval = admin.request_trading_mode(TradingMode.LIVE, totp_now(codes["admin"], clock.now()))
    assert approval is not None
    boss2.approve(approval.id, totp_now(codes["boss2"], clock.now()))
    assert admin.venue_config().sandbox is False
    link = engine_on(workspace).exchange
    assert link is not None and not link.venue.exchange.isSandboxModeEnabled


def test_apply_ack_when_venue_gives_no_fill_price_waits_instead_of_filling_at_zero(
    workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
) -> None:
    _, trader = desk
    engine_on(workspace).start()
    trader.submit_order("BTC/USDT", "buy", "0.01", client_order_id="m-1")
    blind = VenueAck("42", "m-1", "BTC/USDT", Side.BUY, "market", OrderStatus.FILLED, Decimal("0.01"), None,
                     Decimal("0.01"), None)
    with workspace.store.write() as s:
        row = s.exec(select(OrderRow).where(OrderRow.client_order_id == "m-1")).one()
        assert apply_ack(s, row, blind, clock.now()) == 0
    assert order(trader, "m-1").status is OrderStatus.OPEN
    assert [f for f in trader.fills() if f.symbol == "BTC/USDT" and f.quantity == Decimal("0.01")] == []
    priced = replace(blind, fills=(VenueFill("7", Decimal("30010"), Decimal("0.01"), Decimal("0.3001"), "USDT"),))
    with workspace.store.write() as s:
        row = s.exec(select(OrderRow).where(OrderRow.client_order_id == "m-1")).one()
        assert apply_ack(s, row, priced, clock.now()) == 1
    fill = trader.fills()[0]
    assert (fill.price, fill.fee) == (Decimal("30010"), Decimal("0.3001"))


def _buy_with_bnb_fees(workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
                       markets: tuple[FakeMarket, ...]) -> tuple[FillRow, list[str]]:
    """Buy 0.01 BTC at 29,000 on a fake Binance that charges fees in BNB; return the fill and the alerts."""
    admin, trader = desk
    with FakeExchange(markets=markets, fee_asset="BNB",
                      balances={"USDT": Decimal(100_000), "BNB": Decimal(10)}) as bnb:
        admin.set_venue("binance", symbols=["BTC/USDT"], api_url=bnb.url,
                        credentials=Credentials(bnb.api_key, bnb.secret))
        engine = engine_on(workspace)
        engine.start()
        trader.submit_order("BTC/USDT", "buy", "0.01", type="limit", price="29000", client_order_id="bnb-1")
        engine.step()
        bnb.fill_at("BTC/USDT", "28900")
        clock.advance(1)
        engine.step()
    placed = order(trader, "bnb-1")
    assert placed.status is OrderStatus.FILLED
    with workspace.store.read() as s:
        fill = s.exec(select(FillRow).where(FillRow.order_id == placed.id)).one()
    return fill, [e.payload["message"] for e in admin.audit(AuditFilter(action="alerts.raise"))]


def test_fill_when_fee_charged_in_bnb_values_it_at_bnb_usdt_and_keeps_it_as_charged(
    workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
) -> None:
    markets = (FakeMarket("BTC", "USDT"), FakeMarket("BNB", "USDT", price=Decimal(300)))
    fill, alerts = _buy_with_bnb_fees(workspace, desk, clock, markets)
    # 0.1 % of 0.01 x 29,000 = 0.29 USDT, charged as 0.29 / 300 = 0.00096667 BNB (8 places).
    assert (fill.fee_currency, fill.fee_native) == ("BNB", Decimal("0.00096667"))
    assert fill.fee == Decimal("0.00096667") * 300
    assert not any(m.startswith("fee of") for m in alerts)


def test_fill_when_no_price_for_fee_currency_records_it_unvalued_and_alerts(
    workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
) -> None:
    fill, alerts = _buy_with_bnb_fees(workspace, desk, clock, (FakeMarket("BTC", "USDT"),))
    assert (fill.fee_currency, fill.fee_native, fill.fee) == ("BNB", Decimal("0.00096667"), Decimal(0))
    assert alerts[0] == ("fee of bnb-1 (0.00096667 BNB): binance gave no BNB/USDT price (direct, inverted or via "
                         "USDT); recorded as charged, not valued in USDT nor taken from cash")


def test_buy_when_binance_takes_the_fee_in_btc_books_the_coins_received_and_restart_reconciles_clean(
    workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
) -> None:
    admin, trader = desk
    with FakeExchange(balances={"USDT": Decimal(100_000)}) as binance:
        admin.set_venue("binance", symbols=["BTC/USDT"], api_url=binance.url,
                        credentials=Credentials(binance.api_key, binance.secret))
        engine = engine_on(workspace)
        engine.start()
        trader.submit_order("BTC/USDT", "buy", "0.5", client_order_id="base-1")
        clock.advance(1)
        engine.step()
        bought = order(trader, "base-1")
        # By hand: 0.5 BTC at 30,000 costs 15,000 USDT; the 0.1 % fee is 0.0005 BTC (15 USDT), so 0.4995 BTC
        # arrive, at 15,000 / 0.4995 each; no fee comes out of the 85,000 USDT left.
        assert (bought.status, bought.filled_quantity, bought.average_price) == (
            OrderStatus.FILLED, Decimal("0.5"), Decimal(30_000))
        with workspace.store.read() as s:
            fill = s.exec(select(FillRow).where(FillRow.order_id == bought.id)).one()
            assert portfolio(s, starting_cash(s)) == replay_portfolio(s, starting_cash(s))
        assert (fill.quantity, fill.price, fill.fee, fill.fee_currency, fill.fee_native) == (
            Decimal("0.5"), Decimal(30_000), Decimal(15), "BTC", Decimal("0.0005"))
        assert trader.positions() == {"BTC/USDT": Decimal("0.4995")}
        assert binance.balance("BTC") == (Decimal("0.4995"), Decimal(0))
        view = trader.portfolio()
        assert view.cash == Decimal(85_000) and binance.balance("USDT") == (Decimal(85_000), Decimal(0))
        [btc] = view.positions
        assert btc.average_price == Decimal(15_000) / Decimal("0.4995")
        assert view.nav == Decimal(85_000) + Decimal("0.4995") * 30_000 == Decimal(100_000) - 15
        assert view.fees == 0 and abs(view.unrealized_pnl + 15) < Decimal("1e-20")
        engine_on(workspace).start()
        entry = admin.audit(AuditFilter(action="venues.reconcile", limit=1))[0]
        assert (entry.payload["clean"], entry.payload["discrepancies"], entry.payload["holdings_compared"]) == (
            True, [], True)
        # Selling all of it is what the exchange holds: flat here and there.
        trader.submit_order("BTC/USDT", "sell", "0.4995", client_order_id="base-2")
        clock.advance(1)
        engine.step()
        assert order(trader, "base-2").status is OrderStatus.FILLED
        assert trader.positions() == {} and binance.balance("BTC") == (Decimal(0), Decimal(0))
        view = trader.portfolio()
        # 0.4995 x 30,000 = 14,985 in, less its 0.1 % fee in USDT (14.985): 99,970.015, as at the exchange.
        assert view.cash == Decimal("99970.015") == binance.balance("USDT")[0]
        assert abs(view.realized_pnl + 15) < Decimal("1e-20") and view.fees == Decimal("14.985")


def test_apply_ack_when_fees_charged_in_base_books_each_fill_net_of_them(
    workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
) -> None:
    _, trader = desk
    engine_on(workspace).start()
    before = trader.portfolio().cash
    trader.submit_order("BTC/USDT", "buy", "0.02", type="limit", price="30000", client_order_id="p-1")
    trader.submit_order("BTC/USDT", "sell", "0.01", type="limit", price="31000", client_order_id="p-2")
    first = VenueFill("1", Decimal(30_000), Decimal("0.01"), Decimal("0.00001"), "BTC")
    second = VenueFill("2", Decimal(29_000), Decimal("0.01"), Decimal("0.00001"), "BTC")
    sold = VenueFill("3", Decimal(31_000), Decimal("0.01"), Decimal("0.00002"), "BTC")
    acks = [("p-1", VenueAck("1", "p-1", "BTC/USDT", Side.BUY, "limit", OrderStatus.OPEN, Decimal("0.02"),
                             Decimal(30_000), Decimal("0.01"), None, (first,))),
            ("p-1", VenueAck("1", "p-1", "BTC/USDT", Side.BUY, "limit", OrderStatus.FILLED, Decimal("0.02"),
                             Decimal(30_000), Decimal("0.02"), None, (first, second))),
            ("p-2", VenueAck("2", "p-2", "BTC/USDT", Side.SELL, "limit", OrderStatus.FILLED, Decimal("0.01"),
                             Decimal(31_000), Decimal("0.01"), None, (sold,)))]
    for cid, ack in acks:
        with workspace.store.write() as s:
            row = s.exec(select(OrderRow).where(OrderRow.client_order_id == cid)).one()
            assert apply_ack(s, row, ack, clock.now()) == 1
    fills = sorted(trader.fills(), key=lambda f: f.id)[-3:]
    assert [(f.quantity, f.price, f.fee, f.fee_currency, f.fee_native) for f in fills] == [
        (Decimal("0.01"), Decimal(30_000), Decimal("0.3"), "BTC", Decimal("0.00001")),
        (Decimal("0.01"), Decimal(29_000), Decimal("0.29"), "BTC", Decimal("0.00001")),
        (Decimal("0.01"), Decimal(31_000), Decimal("0.62"), "BTC", Decimal("0.00002"))]
    assert order(trader, "p-1").filled_quantity == Decimal("0.02")
    # 2 adopted + 0.01998 bought - 0.01002 sold; cash pays 590 for the buys and gets 310 for the sale, no fee.
    assert trader.positions()["BTC/USDT"] == Decimal("2.00996")
    assert trader.portfolio().cash == before - 300 - 290 + 310
    with workspace.store.read() as s:
        assert portfolio(s, starting_cash(s)) == replay_portfolio(s, starting_cash(s))


def test_apply_ack_when_a_later_poll_mixes_currencies_records_only_what_each_charged_since(
    workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
) -> None:
    _, trader = desk
    engine_on(workspace).start()
    before = trader.portfolio().cash
    trader.submit_order("BTC/USDT", "buy", "0.02", type="limit", price="30000", client_order_id="q-1")
    first = VenueFill("1", Decimal(30_000), Decimal("0.01"), Decimal("0.00001"), "BTC")
    second = VenueFill("2", Decimal(29_000), Decimal("0.005"), Decimal("0.000005"), "BTC")
    third = VenueFill("3", Decimal(29_000), Decimal("0.005"), Decimal("0.00058"), "BNB")
    polls = [VenueAck("1", "q-1", "BTC/USDT", Side.BUY, "limit", OrderStatus.OPEN, Decimal("0.02"), Decimal(30_000),
                      Decimal("0.01"), None, (first,)),
             VenueAck("1", "q-1", "BTC/USDT", Side.BUY, "limit", OrderStatus.FILLED, Decimal("0.02"), Decimal(30_000),
                      Decimal("0.02"), None, (first, second, third))]
    for ack in polls:
        with workspace.store.write() as s:
            row = s.exec(select(OrderRow).where(OrderRow.client_order_id == "q-1")).one()
            assert apply_ack(s, row, ack, clock.now(), {("BNB", "USDT"): Decimal(250)}) == 1
    fills = sorted(trader.fills(), key=lambda f: f.id)[-2:]
    # By hand: the second poll adds 0.000005 BTC (0.005 x 29,000 x 0.1 % = 0.145) and 0.00058 BNB at 250 (0.145).
    assert [(f.quantity, f.price, f.fee, f.fee_detail) for f in fills] == [
        (Decimal("0.01"), Decimal(30_000), Decimal("0.3"), (FeeCharge("BTC", Decimal("0.00001"), Decimal("0.3")),)),
        (Decimal("0.01"), Decimal(29_000), Decimal("0.29"), (FeeCharge("BNB", Decimal("0.00058"), Decimal("0.145")),
                                                             FeeCharge("BTC", Decimal("0.000005"), Decimal("0.145"))))]
    # 2 adopted + 0.02 bought - 0.000015 BTC of fees; cash pays 300 + 290 and the BNB's 0.145.
    assert trader.positions()["BTC/USDT"] == Decimal("2.019985")
    assert trader.portfolio().cash == before - 300 - 290 - Decimal("0.145")
    assert _kept_equals_replay(workspace)


def _on_fake(admin: Console, fake: FakeExchange, workspace: Workspace) -> Engine:
    """Point the workspace at ``fake`` (trading BTC/USDT) and start an engine on it."""
    admin.set_venue("binance", symbols=["BTC/USDT"], api_url=fake.url,
                    credentials=Credentials(fake.api_key, fake.secret))
    engine = engine_on(workspace)
    engine.start()
    return engine


def _kept_equals_replay(workspace: Workspace) -> bool:
    with workspace.store.read() as s:
        return portfolio(s, starting_cash(s)) == replay_portfolio(s, starting_cash(s))


def test_buy_when_fees_charged_in_btc_and_usdt_books_coins_and_cash_apart_and_restart_reconciles_clean(
    workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
) -> None:
    admin, trader = desk
    with FakeExchange(markets=(FakeMarket("BTC", "USDT", price=Decimal(100)),),
                      balances={"USDT": Decimal(1_000)}) as binance:
        engine = _on_fake(admin, binance, workspace)
        binance.split_next_fill(("0.5", "BTC"), ("0.5", "USDT"))
        trader.submit_order("BTC/USDT", "buy", "1", client_order_id="mix-1")
        clock.advance(1)
        engine.step()
        bought = order(trader, "mix-1")
        [fill] = [f for f in trader.fills() if f.order_id == bought.id]
        # By hand: 1 BTC at 100; half its 0.1 % fee in BTC (0.0005, worth 0.05), half in USDT (0.05).
        assert (fill.quantity, fill.price, fill.fee, fill.fee_currency, fill.fee_native) == (
            Decimal(1), Decimal(100), Decimal("0.1"), None, None)
        assert fill.fee_detail == (FeeCharge("BTC", Decimal("0.0005"), Decimal("0.05")),
                                   FeeCharge("USDT", Decimal("0.05"), Decimal("0.05")))
        # 0.9995 BTC arrive; cash pays 100 and the 0.05 USDT: 899.95, as at the exchange.
        assert trader.positions() == {"BTC/USDT": Decimal("0.9995")}
        assert binance.balance("BTC") == (Decimal("0.9995"), Decimal(0))
        view = trader.portfolio()
        assert view.cash == Decimal("899.95") == binance.balance("USDT")[0]
        assert view.fees == Decimal("0.05") and view.positions[0].average_price == Decimal(100) / Decimal("0.9995")
        assert _kept_equals_replay(workspace)
        engine_on(workspace).start()
    entry = admin.audit(AuditFilter(action="venues.reconcile", limit=1))[0]
    assert (entry.payload["clean"], entry.payload["discrepancies"], entry.payload["holdings_compared"]) == (
        True, [], True)


def test_sell_when_fees_charged_in_btc_and_bnb_takes_the_coins_and_the_bnb_value_at_bnb_usdt_from_cash(
    workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
) -> None:
    admin, trader = desk
    markets = (FakeMarket("BTC", "USDT", price=Decimal(100)), FakeMarket("BNB", "USDT", price=Decimal(250)))
    with FakeExchange(markets=markets, balances={"USDT": Decimal(1_000), "BTC": Decimal(2), "BNB": Decimal(1)},
                      fee_asset="BNB") as binance:
        engine = _on_fake(admin, binance, workspace)
        assert trader.positions() == {"BTC/USDT": Decimal(2)} and trader.portfolio().cash == Decimal(1_000)
        binance.split_next_fill(("0.5", "BNB"), ("0.5", "BTC"))
        trader.submit_order("BTC/USDT", "sell", "1", client_order_id="mix-2")
        clock.advance(1)
        engine.step()
        sold = order(trader, "mix-2")
        with workspace.store.read() as s:
            row = s.exec(select(FillRow).where(FillRow.order_id == sold.id)).one()
        # By hand: 1 BTC sold at 100; 0.05 USDT of fee as 0.05 / 250 = 0.0002 BNB, and 0.0005 BTC (worth 0.05).
        assert (row.fee, row.fee_currency, row.fee_native) == (Decimal("0.1"), None, None)
        assert row.fee_detail == (FeeCharge("BNB", Decimal("0.0002"), Decimal("0.05")),
                                  FeeCharge("BTC", Decimal("0.0005"), Decimal("0.05")))
        # 1.0005 BTC leave; cash gets 100 less the BNB's 0.05: 1,099.95.
        assert trader.positions() == {"BTC/USDT": Decimal("0.9995")}
        assert binance.balance("BTC") == (Decimal("0.9995"), Decimal(0))
        assert binance.balance("BNB") == (Decimal("0.9998"), Decimal(0))
        view = trader.portfolio()
        assert view.cash == Decimal("1099.95") and view.fees == Decimal("0.05")
        # The BTC fee is in the realised PnL: 100 for 1.0005 coins that cost 100 each.
        assert abs(view.realized_pnl + Decimal("0.05")) < Decimal("1e-20")
        assert _kept_equals_replay(workspace)
        engine_on(workspace).start()
    lines = admin.audit(AuditFilter(action="venues.reconcile", limit=1))[0].payload["discrepancies"]
    # The position agrees. The BNB was paid from a balance Athena does not hold, booked as its value in
    # cash: the exchange's USDT never paid it, so cash is the one difference, by exactly that value.
    assert lines == ["cash USDT: 1099.95 here, 1100 at binance; adopted"]


def test_start_when_an_order_filled_offline_in_btc_and_usdt_fees_settles_each_part_and_holdings_agree(
    workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
) -> None:
    admin, trader = desk
    with FakeExchange(markets=(FakeMarket("BTC", "USDT", price=Decimal(100)),),
                      balances={"USDT": Decimal(1_000)}) as binance:
        engine = _on_fake(admin, binance, workspace)
        trader.submit_order("BTC/USDT", "buy", "1", type="limit", price="99", client_order_id="mix-3")
        clock.advance(1)
        engine.step()
        assert order(trader, "mix-3").status is OrderStatus.OPEN
        binance.split_next_fill(("0.4", "BTC"), ("0.6", "USDT"))
        binance.fill_at("BTC/USDT", "98")
        clock.advance(60)
        engine_on(workspace).start()
        settled = order(trader, "mix-3")
        [fill] = [f for f in trader.fills() if f.order_id == settled.id]
        # By hand at 99: 0.0004 BTC (worth 0.0396) and 0.6 x 99 x 0.1 % = 0.0594 USDT.
        assert (settled.status, fill.quantity, fill.price, fill.fee) == (
            OrderStatus.FILLED, Decimal(1), Decimal(99), Decimal("0.099"))
        assert fill.fee_detail == (FeeCharge("BTC", Decimal("0.0004"), Decimal("0.0396")),
                                   FeeCharge("USDT", Decimal("0.0594"), Decimal("0.0594")))
        assert trader.positions() == {"BTC/USDT": Decimal("0.9996")} == {"BTC/USDT": binance.balance("BTC")[0]}
        assert trader.portfolio().cash == Decimal("900.9406") == binance.balance("USDT")[0]
    lines = admin.audit(AuditFilter(action="venues.reconcile", limit=1))[0].payload["discrepancies"]
    assert lines == ["mix-3: open here, filled at binance (filled 1.0); settled"]


class _FeeAboveTheFill:
    """An exchange answering every order as filled with a fee of all the coins bought."""

    name = "binance"

    def submit(self, client_order_id: str, symbol: str, side: Side | str, type: str, quantity: Decimal,
               price: Decimal | None = None, stop_price: Decimal | None = None, tif: str = "GTC") -> VenueAck:
        fill = VenueFill("1", Decimal(30_000), quantity, quantity, "BTC")
        return VenueAck("1", client_order_id, symbol, Side(side), type, OrderStatus.FILLED, quantity, None, quantity,
                        None, (fill,))

    def conversion_rate(self, currency: str, quote: str) -> Decimal | None:
        return None


def test_route_when_base_fee_is_not_below_the_quantity_bought_records_nothing_and_says_why(
    workspace: Workspace, desk: tuple[Console, Console], clock: SimulatedClock,
) -> None:
    _, trader = desk
    engine_on(workspace).start()
    held = trader.positions()
    trader.submit_order("BTC/USDT", "buy", "0.01", client_order_id="odd-1")
    report = ExchangeRouter(_FeeAboveTheFill(), workspace.store, clock.now).step()  # type: ignore[arg-type]
    assert report.unavailable == ["odd-1: the fee of odd-1 in BTC must be >= 0 and below the 0.01 bought, was 0.01"]
    assert order(trader, "odd-1").status is OrderStatus.SUBMITTED and report.fills == 0
    assert trader.positions() == held and not [f for f in trader.fills() if f.quantity == Decimal("0.01")]


def test_strategy_when_live_trades_at_the_exchange_while_a_paper_one_stays_on_paper(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue, clock: SimulatedClock,
) -> None:
    admin, trader = desk
    for name in ("live_one", "paper_one"):
        admin.register_strategy(name, "buy_and_hold", ["BTC/USDT"], capital=1_000, timeframe="1s")
        admin.approve_strategy(name)
    enrolment = admin.enroll_totp()
    admin.confirm_totp(totp_now(enrolment.secret, clock.now()))
    clock.advance(30)
    with pytest.raises(InvalidInput, match="'live_one' is approved; strategies.go_live needs it paper or live"):
        admin.go_live_strategy("live_one", totp_now(enrolment.secret, clock.now()))
    for name in ("live_one", "paper_one"):
        trader.activate_strategy(name)
    clock.advance(30)
    with pytest.raises(InvalidTotp):
        admin.go_live_strategy("live_one", "000000")
    live = admin.go_live_strategy("live_one", totp_now(enrolment.secret, clock.now()))
    assert (live.lifecycle, live.trading_state) == ("live", TradingState.ACTIVE)
    link = ExchangeLink.open(workspace, workspace.system("engine"), admin.venue_config(), backoff=0.0)
    engine = Engine(workspace, config=EngineConfig(min_bars=3), exchange=link)
    engine.start()
    for _ in range(6):
        clock.advance(1)
        engine.step()
    placed = {o.strategy: o for o in trader.orders() if o.strategy}
    # All-in with 1,000 USDT at 30,000: 0.0333... rounded down to the 0.00001 lot.
    for name, venue in (("live_one", "binance"), ("paper_one", "paper")):
        assert (placed[name].venue, placed[name].status, placed[name].quantity) == (
            venue, OrderStatus.FILLED, Decimal("0.03333"))
    assert [cid for cid, _ in fake.book()] == [placed["live_one"].client_order_id]
    entry = admin.audit(AuditFilter(action="strategies.go_live", limit=1))[0]
    assert (entry.actor, entry.outcome.value, entry.payload) == ("admin", "ok", {"from": "paper", "to": "live"})
    trader.halt_strategy("live_one", "drill")
    with pytest.raises(PermissionDenied, match="'live_one' is live: it resumes only through strategies.go_live"):
        trader.set_trading_state(TradingState.ACTIVE, strategy="live_one", reason="back on")
    clock.advance(30)
    resumed = admin.go_live_strategy("live_one", totp_now(enrolment.secret, clock.now()))
    assert (resumed.lifecycle, resumed.trading_state) == ("live", TradingState.ACTIVE)
    clock.advance(30)
    with pytest.raises(InvalidInput, match=r"'paper_one' cannot go live while its paper book is open \(positions: "
                                           r"BTC/USDT; open orders: none\): halt it and flatten on paper first"):
        admin.go_live_strategy("paper_one", totp_now(enrolment.secret, clock.now()))
    assert next(d for d in admin.strategies() if d.name == "paper_one").lifecycle == "paper"


def test_reconciliation_when_cash_not_comparable_adopts_positions_and_leaves_cash(sqlite_workspace: Workspace) -> None:
    engine = sqlite_workspace.system("engine")
    report = ReconcileReport("binance", (), (), (), ())
    balances = {"BTC": Balance("BTC", Decimal(1), Decimal(0), Decimal(1)),
                "ETH": Balance("ETH", Decimal(3), Decimal(0), Decimal(3))}
    symbols = ("BTC/USDT", "ETH/USDC")
    with pytest.raises(InvalidInput, match="adopting the position of BTC/USDT needs its price at binance, was None"):
        engine.record_reconciliation(report, {}, {}, VenueHoldings(symbols, balances, {}))
    assert engine.positions() == {} and engine.audit(AuditFilter(action="venues.reconcile")) == []
    prices = {"BTC/USDT": Decimal(30_000), "ETH/USDC": Decimal(2_000)}
    lines = engine.record_reconciliation(report, {}, {}, VenueHoldings(symbols, balances, prices))
    assert [line.split(" (")[0] for line in lines] == [
        "position BTC/USDT: 0 BTC here, 1 at binance; adopted +1 at 30000",
        "position ETH/USDC: 0 ETH here, 3 at binance; adopted +3 at 2000"]
    assert engine.positions() == {"BTC/USDT": Decimal(1), "ETH/USDC": Decimal(3)}
    assert engine.portfolio().cash == Decimal(1_000_000)
    entry = engine.audit(AuditFilter(action="venues.reconcile", limit=1))[0]
    assert entry.payload["cash"] == "cash not compared: the symbols quote in USDC, USDT"


def test_reconciliation_when_a_base_is_also_a_quote_leaves_it_and_adopts_only_the_others(
        sqlite_workspace: Workspace) -> None:
    engine = sqlite_workspace.system("engine")
    balances = {"BTC": Balance("BTC", Decimal("0.95"), Decimal(0), Decimal("0.95")),
                "ETH": Balance("ETH", Decimal(3), Decimal(0), Decimal(3))}
    prices = {"BTC/USDT": Decimal(30_000), "ETH/BTC": Decimal("0.05")}
    lines = engine.record_reconciliation(ReconcileReport("binance", (), (), (), ()), {}, {},
                                         VenueHoldings(("BTC/USDT", "ETH/BTC"), balances, prices))
    assert [line.split(" (")[0] for line in lines] == ["position ETH/BTC: 0 ETH here, 3 at binance; adopted +3 at 0.05"]
    assert engine.positions() == {"ETH/BTC": Decimal(3)}
    entry = engine.audit(AuditFilter(action="venues.reconcile", limit=1))[0]
    assert entry.payload["cash"] == ("BTC not compared: it is also traded as a quote currency; "
                                     "cash not compared: the symbols quote in BTC, USDT")


@BOTH
def test_prices_when_a_symbol_has_not_traded_leave_it_out_and_keep_the_others(
    workspace: Workspace, desk: tuple[Console, Console], fake: FakeVenue,
) -> None:
    link = engine_on(workspace).exchange
    assert link is not None
    fake.set_price("ETH/USDT", "0")

    prices = link.prices()

    assert "ETH/USDT" not in prices and prices["BTC/USDT"] > 0
