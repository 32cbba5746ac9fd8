"""Kill switch semantics: one transaction halts everything, open orders are cancelled,
reduce-only exits still work, and only two ADMINs with TOTP can reset it."""

from __future__ import annotations

import multiprocessing
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from athena import execution as oms
from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.errors import InvalidInput, SelfApproval
from athena.execution import PaperVenue
from athena.model import (
    AuditOutcome,
    DenialReason,
    Order,
    OrderDenied,
    OrderRequest,
    OrderStatus,
    OrderType,
    Role,
    Side,
    TradingState,
)
from athena.store import OrderRow, OrderTransitionRow
from athena.testing import ADMIN_PASSWORD, totp_now
from athena.testing.load import hammer_orders
from athena.workspace import Workspace

PW = "Desk-Passw0rd-77"


def people(ws: Workspace) -> dict[str, Console]:
    admin = ws.login("admin", ADMIN_PASSWORD)
    for name, role in (("tom", Role.TRADER), ("rita", Role.RISK), ("ann", Role.ADMIN)):
        admin.add_user(name, role, PW)
    return {"admin": admin, **{n: ws.login(n, PW) for n in ("tom", "rita", "ann")}}


def test_engage_when_orders_open_halts_all_and_cancels_them(workspace: Workspace) -> None:
    desk = people(workspace)
    with workspace.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", "50000", workspace.clock.now())
    desk["tom"].submit_order("BTC/USDT", "buy", "1")
    desk["tom"].set_trading_state("REDUCING", strategy="alpha", reason="test scope")
    resting = [desk["tom"].submit_order("BTC/USDT", "buy", "0.1", type="limit", price=p) for p in ("100", "200")]
    assert all(isinstance(o, Order) and o.status is OrderStatus.OPEN for o in resting)
    assert desk["rita"].engage_kill_switch("drill") == 2
    states = desk["tom"].trading_states()
    assert states == {"global": TradingState.HALTED, "strategy:alpha": TradingState.HALTED}
    assert desk["tom"].orders(open_only=True) == []
    denied = desk["tom"].submit_order("BTC/USDT", "buy", "0.1")
    assert isinstance(denied, OrderDenied) and denied.reason is DenialReason.TRADING_HALTED
    exit_order = desk["tom"].submit_order("BTC/USDT", "sell", "1")
    assert isinstance(exit_order, Order) and exit_order.status is OrderStatus.FILLED
    actions = [(e.actor, e.action) for e in desk["admin"].audit(AuditFilter(limit=4))]
    assert ("rita", "killswitch.engage") in actions and ("system:kill-switch", "orders.cancel_all") in actions


def test_engage_when_orders_open_cancels_each_in_the_engaging_transaction_with_its_trail(
    workspace: Workspace,
) -> None:
    desk = people(workspace)
    resting = [desk["tom"].submit_order("BTC/USDT", "buy", "0.1", type="limit", price=p) for p in ("100", "200")]
    with workspace.store.write() as s:  # accepted but not yet taken by the venue
        waiting = oms.accept(s, OrderRequest("BTC/USDT", Side.BUY, Decimal("0.1"), OrderType.LIMIT, Decimal("300")),
                             "tom", workspace.clock.now(), "paper")
    assert isinstance(waiting, OrderRow) and waiting.status == OrderStatus.SUBMITTED.value
    ids = sorted([o.id for o in resting if isinstance(o, Order)] + [waiting.id or 0])
    since = desk["admin"].events_since(0, limit=10_000)[-1].id
    assert desk["rita"].engage_kill_switch("drill") == 3
    cancel_all, engage = desk["admin"].audit(AuditFilter(limit=2))
    assert (engage.actor, engage.action) == ("rita", "killswitch.engage")
    assert (cancel_all.actor, cancel_all.action, cancel_all.seq) == ("system:kill-switch", "orders.cancel_all",
                                                                    engage.seq + 1)
    assert cancel_all.payload["cancelled"] == ids
    why = "kill switch: drill"
    with workspace.store.read() as s:
        steps = {(r.order_id, r.from_status, r.to_status, r.reason) for r in s.exec(
            select(OrderTransitionRow).where(OrderTransitionRow.reason == why))}
    assert steps == ({(i, "open", "cancelled", why) for i in ids[:2]} | {(ids[2], "submitted", "cancelled", why)})
    changed = [e for e in desk["admin"].events_since(since, limit=10_000) if e.type == "OrderStatusChanged"]
    assert sorted((e.payload["order_id"], e.payload["to"]) for e in changed) == [(i, "cancelled") for i in ids]
    assert {o.status for o in desk["admin"].orders()} == {OrderStatus.CANCELLED}


def test_engage_when_trader_tries_is_refused(workspace: Workspace) -> None:
    desk = people(workspace)
    from athena.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="may not killswitch.engage"):
        desk["tom"].engage_kill_switch("oops")
    assert desk["tom"].trading_states()["global"] is TradingState.ACTIVE


def test_reset_when_two_admins_with_totp_reactivates_global_only(
    sqlite_workspace: Workspace, clock: SimulatedClock
) -> None:
    desk = people(sqlite_workspace)
    secrets = {}
    for name in ("admin", "ann"):
        secrets[name] = desk[name].enroll_totp().secret
        desk[name].confirm_totp(totp_now(secrets[name], clock.now()))
    desk["tom"].set_trading_state("ACTIVE", strategy="alpha", reason="start")
    desk["rita"].engage_kill_switch("drill")
    with pytest.raises(InvalidInput, match="kill switch is engaged"):
        desk["rita"].set_trading_state("ACTIVE", reason="sneaky")
    clock.advance(30)
    approval = desk["admin"].request_kill_switch_reset(totp_now(secrets["admin"], clock.now()))
    with pytest.raises(SelfApproval):
        desk["admin"].approve(approval.id, totp_now(secrets["admin"], clock.now() + timedelta(seconds=30)))
    clock.advance(30)
    desk["ann"].approve(approval.id, totp_now(secrets["ann"], clock.now()))
    states = desk["tom"].trading_states()
    assert states == {"global": TradingState.ACTIVE, "strategy:alpha": TradingState.HALTED}
    last = desk["admin"].audit(AuditFilter(action="approvals.approve", outcome=AuditOutcome.OK, limit=1))[0]
    assert (last.actor, last.payload["action"], last.payload["state"]) == ("ann", "killswitch.reset", "ACTIVE")


@pytest.mark.slow
def test_engage_when_processes_hammer_orders_accepts_none_after_commit(workspace: Workspace) -> None:
    desk = people(workspace)
    ctx = multiprocessing.get_context("spawn")
    home, url = str(workspace.settings.home), workspace.settings.db_url
    barrier = ctx.Barrier(3)
    workers = [ctx.Process(target=hammer_orders, args=(home, url, "tom", PW, 60.0, barrier)) for _ in range(2)]
    for w in workers:
        w.start()
    barrier.wait(timeout=120)
    deadline = time.monotonic() + 60
    while len(desk["rita"].orders(open_only=True, limit=1000)) < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    desk["rita"].engage_kill_switch("load drill")
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    entries = desk["admin"].audit(AuditFilter(limit=None, newest_first=False))
    engage = next(e.seq for e in entries if e.action == "killswitch.engage")
    submits = [e for e in entries if e.action == "orders.submit"]
    accepted_before = [e for e in submits if e.outcome is AuditOutcome.OK]
    assert len(accepted_before) >= 50, "the workers did not get going before the kill switch"
    assert all(e.seq < engage for e in accepted_before)
    assert all(e.payload["reason"] == "TRADING_HALTED" for e in submits if e.seq > engage)
    orders = desk["admin"].orders(limit=100_000)
    assert {o.status for o in orders} <= {OrderStatus.CANCELLED, OrderStatus.DENIED}
    assert sum(o.status is OrderStatus.CANCELLED for o in orders) == len(accepted_before)
