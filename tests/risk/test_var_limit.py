"""The MAX_VAR mandate: 1-day historical VaR from recorded marks, pre-trade denials and the monitor, by hand."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.execution import PaperVenue
from athena.model import DenialReason, Order, OrderDenied, TradingState
from athena.risk.var import value_at_risk
from athena.risk.var_limit import MIN_RETURNS, MarkHistory, book_var, history_of
from athena.store import SnapshotRow
from athena.testing import ADMIN_PASSWORD, new_workspace
from athena.workspace import Workspace

# 101 BTC marks 864 s apart (so one day is 100 periods and VaR scales by sqrt(100) = 10), returns:
# -5 %, +5.26 %, -3 %, +3.09 %, then 96 x 0. A long of 10,000 loses 500 and 300 in the two worst;
# the 1 % quantile (numpy linear, position 0.99) is -500 + 0.99 x 200 = -302: VaR = 3,020 a day.
# CVaR: the mean of the losses at or below it (only -500), x 10 = 5,000.
PATH = [100.0, 95.0, 100.0, 97.0, 100.0] + [100.0] * 96
PERIOD = timedelta(seconds=864)


def write_snapshots(ws: Workspace, marks: list[dict[str, float]]) -> None:
    end = ws.clock.now()
    zero = D(0)
    with ws.store.write() as s:
        for k, m in enumerate(marks):
            s.add(SnapshotRow(ts=end - PERIOD * (len(marks) - 1 - k), nav=zero, cash=zero, realized_pnl=zero,
                              unrealized_pnl=zero, fees=zero, gross_exposure=zero, net_exposure=zero,
                              leverage=zero, drawdown=zero, peak_nav=zero,
                              detail=json.dumps({"marks": {x: str(v) for x, v in m.items()}})))


@pytest.fixture
def desk(workspace: Workspace) -> Console:
    admin = workspace.login("admin", ADMIN_PASSWORD)
    write_snapshots(workspace, [{"BTC/USDT": p} for p in PATH])
    with workspace.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", "100", workspace.clock.now())
        PaperVenue().set_mark(s, "ETH/USDT", "50", workspace.clock.now())
    return admin


def test_book_var_when_marks_recorded_matches_hand_and_the_var_library(sqlite_workspace: Workspace) -> None:
    write_snapshots(sqlite_workspace, [{"BTC/USDT": p} for p in PATH])
    with sqlite_workspace.store.read() as s:
        figure = book_var(history_of(s), {"BTC/USDT": 10_000.0})
    assert figure.observations == 100 and figure.period_s == 864.0
    assert figure.var == pytest.approx(3_020.0) and figure.cvar == pytest.approx(5_000.0)
    returns = pd.DataFrame({"BTC/USDT": np.diff(PATH) / np.array(PATH[:-1])})
    library = value_at_risk(returns, {"BTC/USDT": 10_000.0}, method="historical", confidence=0.99)
    assert figure.var == pytest.approx(library.var * 10) and figure.cvar == pytest.approx(library.cvar * 10)
    assert figure.to_dict()["method"] == "historical" and figure.to_dict()["horizon"] == "1d"


def test_mark_history_when_snapshots_added_reads_only_new_ones_and_keeps_the_window(
        sqlite_workspace: Workspace, tmp_path: Path) -> None:
    history = MarkHistory(window=50)
    write_snapshots(sqlite_workspace, [{"BTC/USDT": 100.0 + k} for k in range(80)])
    with sqlite_workspace.store.read() as s:
        history.refresh(s)
    returns, _ = history.returns(["BTC/USDT"])
    assert len(returns) == 50 and returns[-1, 0] == pytest.approx(179 / 178 - 1)
    sqlite_workspace.clock.advance(864)  # type: ignore[attr-defined]
    write_snapshots(sqlite_workspace, [{"BTC/USDT": 200.0}])
    with sqlite_workspace.store.read() as s:
        history.refresh(s)
    returns, _ = history.returns(["BTC/USDT"])
    assert len(returns) == 50 and returns[-1, 0] == pytest.approx(200 / 179 - 1)
    other, _ = new_workspace(tmp_path / "other", clock=SimulatedClock(sqlite_workspace.clock.now()))
    write_snapshots(other, [{"BTC/USDT": 10.0}, {"BTC/USDT": 11.0}, {"BTC/USDT": 12.1}])
    with other.store.read() as s:  # another database behind the same history: it starts again
        history.refresh(s)
    returns, _ = history.returns(["BTC/USDT"])
    assert returns[:, 0] == pytest.approx([0.1, 0.1])
    other.close()


def test_submit_order_when_var_after_would_pass_max_var_denies_with_limit_max_var(desk: Console) -> None:
    desk.set_limit("global", "MAX_VAR", breach="2500", warn="1000")
    first = desk.submit_order("BTC/USDT", "buy", "50")  # 5,000 long: VaR 1,510
    assert isinstance(first, Order)
    status = {st.limit.kind.value: st for st in desk.mandate_status()}["MAX_VAR"]
    assert float(status.value) == pytest.approx(1_510.0) and status.level.value == "WARN"
    denied = desk.submit_order("BTC/USDT", "buy", "40")  # 9,000 long: VaR 2,718 > 2,500
    assert isinstance(denied, OrderDenied) and denied.reason is DenialReason.LIMIT_MAX_VAR
    assert "MAX_VAR would be 2,718.00 > 2500 for global" in denied.message
    assert "now 1,510.00" in denied.message
    assert desk.portfolio().positions[0].quantity == D(50)
    assert isinstance(desk.submit_order("BTC/USDT", "buy", "20"), Order)  # 7,000 long: VaR 2,114


def test_submit_order_when_book_over_max_var_still_accepts_orders_that_lower_it(desk: Console) -> None:
    assert isinstance(desk.submit_order("BTC/USDT", "buy", "100"), Order)  # VaR 3,020
    desk.set_limit("global", "MAX_VAR", breach="2500")
    assert isinstance(desk.submit_order("BTC/USDT", "sell", "10"), Order)  # reduces the position
    over = desk.submit_order("BTC/USDT", "buy", "5")
    assert isinstance(over, OrderDenied) and over.reason is DenialReason.LIMIT_MAX_VAR


def test_submit_order_when_symbol_has_too_little_history_denies_adding_but_allows_reducing(
        desk: Console) -> None:
    desk.set_limit("global", "MAX_VAR", breach="1000000")
    denied = desk.submit_order("ETH/USDT", "buy", "1")
    assert isinstance(denied, OrderDenied) and denied.reason is DenialReason.LIMIT_MAX_VAR_NO_HISTORY
    assert f"ETH/USDT has 0 snapshot returns, {MIN_RETURNS} needed" in denied.message
    assert desk.portfolio().positions == () or all(p.symbol != "ETH/USDT" for p in desk.portfolio().positions)
    assert isinstance(desk.submit_order("BTC/USDT", "buy", "1"), Order)
    assert isinstance(desk.submit_order("BTC/USDT", "sell", "0.5"), Order)


def test_engine_snapshot_when_history_recorded_publishes_var_and_cvar(sqlite_workspace: Workspace,
                                                                       clock: SimulatedClock) -> None:
    from athena.runtime.engine import Engine, EngineConfig
    from tests.runtime.test_engine import StepFeed

    desk = sqlite_workspace.login("admin", ADMIN_PASSWORD)
    feed = StepFeed([{"BTC/USDT": D(str(p))} for p in PATH + [100.0]])
    engine = Engine(sqlite_workspace, EngineConfig(tick_s=864, snapshot_every_s=864), feed=feed)
    engine.step()
    desk.submit_order("BTC/USDT", "buy", "100")
    desk = sqlite_workspace.system("reader")  # a day of simulated time outlives a login session
    for _ in range(len(PATH)):
        clock.advance(864)
        engine.step()
    flat, early = desk.snapshots()[:2]
    assert flat.detail["var"]["var"] == 0.0 and early.detail["var"]["var"] is None
    assert "BTC/USDT has 0 snapshot returns" in early.detail["var"]["reason"]
    last = desk.latest_snapshot()
    assert last is not None and last.detail["marks"] == {"BTC/USDT": "100.0"}
    published = last.detail["var"]
    assert published["var"] == pytest.approx(3_020.0) and published["cvar"] == pytest.approx(5_000.0)
    assert (published["method"], published["confidence"], published["horizon"]) == ("historical", 0.99, "1d")
    event = [e for e in desk.events_since(0) if e.type == "Snapshot"][-1]
    assert event.payload["var"] == pytest.approx(3_020.0) and math.isfinite(event.payload["cvar"])


def test_monitor_when_live_var_passes_max_var_alerts_and_takes_the_action(desk: Console) -> None:
    from athena.runtime.monitor import RiskMonitor

    assert isinstance(desk.submit_order("BTC/USDT", "buy", "100"), Order)  # VaR 3,020
    desk.set_limit("global", "MAX_VAR", breach="2500", action="REDUCE")
    statuses = RiskMonitor(desk.workspace).check()
    assert [(st.limit.kind.value, st.level.value) for st in statuses] == [("MAX_VAR", "BREACH")]
    assert desk.trading_states()["global"] is TradingState.REDUCING
    alert = desk.audit(AuditFilter(action="alerts.raise"))[0]
    assert alert.actor == "system:risk-monitor" and "MAX_VAR of global is 3020.0000" in alert.payload["message"]


def _memory_snapshots(prices: list[float], periods: list[int] | None = None) -> Engine:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    SnapshotRow.__table__.create(engine)  # type: ignore[attr-defined]
    zero, start = D(0), datetime(2026, 1, 1, tzinfo=UTC)
    with Session(engine) as s:
        for k, p in zip(periods or range(len(prices)), prices, strict=True):
            s.add(SnapshotRow(ts=start + PERIOD * k, nav=zero, cash=zero, realized_pnl=zero, unrealized_pnl=zero,
                              fees=zero, gross_exposure=zero, net_exposure=zero, leverage=zero, drawdown=zero,
                              peak_nav=zero, detail=json.dumps({"marks": {"BTC/USDT": str(p)}})))
        s.commit()
    return engine


def test_history_of_when_two_in_memory_databases_keeps_one_history_each() -> None:
    first, second = _memory_snapshots([100.0, 110.0, 121.0]), _memory_snapshots([10.0, 9.0, 8.1])
    with Session(first) as s:
        returns, _ = history_of(s).returns(["BTC/USDT"])
    assert returns[:, 0] == pytest.approx([0.1, 0.1])
    with Session(second) as s:  # same URL "sqlite://", same newest id: still its own marks
        returns, _ = history_of(s).returns(["BTC/USDT"])
    assert returns[:, 0] == pytest.approx([-0.1, -0.1])
    first.dispose()
    second.dispose()


def test_mark_history_when_table_replaced_with_same_newest_id_reads_it_again(
        sqlite_workspace: Workspace, tmp_path: Path) -> None:
    history = MarkHistory()
    write_snapshots(sqlite_workspace, [{"BTC/USDT": 100.0}, {"BTC/USDT": 110.0}, {"BTC/USDT": 121.0}])
    with sqlite_workspace.store.read() as s:
        history.refresh(s)
    sqlite_workspace.clock.advance(864)  # type: ignore[attr-defined]
    other, _ = new_workspace(tmp_path / "other", clock=SimulatedClock(sqlite_workspace.clock.now()))
    write_snapshots(other, [{"BTC/USDT": 10.0}, {"BTC/USDT": 9.0}, {"BTC/USDT": 8.1}])
    with other.store.read() as s:  # the same three ids, other times: the old marks are dropped
        history.refresh(s)
    returns, _ = history.returns(["BTC/USDT"])
    assert returns[:, 0] == pytest.approx([-0.1, -0.1])
    other.close()


def test_book_var_when_history_has_a_long_gap_drops_the_return_across_it() -> None:
    # 51 flat marks, the engine stopped for 100 periods while the price went from 100 to 150, then 51 more.
    periods = list(range(51)) + list(range(150, 201))
    engine = _memory_snapshots([100.0] * 51 + [150.0] * 51, periods)
    with Session(engine) as s:
        history = history_of(s)
        returns, period = history.returns(["BTC/USDT"])
        figure = book_var(history, {"BTC/USDT": 10_000.0})
    assert len(returns) == 100 and not returns.any() and period == 864.0
    assert (figure.var, figure.cvar, figure.observations) == (0.0, 0.0, 100)
    engine.dispose()
