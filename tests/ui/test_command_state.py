"""The Command center as an object: figures from engine snapshots, engine and trading state, book, alerts."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from athena.clock import SimulatedClock
from athena.execution import PaperVenue
from athena.execution.portfolio import DEFAULT_PAPER_CASH
from athena.model import Role
from athena.runtime.engine import Engine
from athena.ui.state import ShellState
from athena.ui.state.figures import SECONDS_PER_YEAR
from athena.workspace import Workspace

PASSWORD = "User-Passw0rd-9"  # what log_in gives non-ADMIN users

FILL = Decimal(50000) * Decimal("1.0001")  # the paper venue's 1 bp slippage on a buy
CASH = DEFAULT_PAPER_CASH - FILL - FILL * Decimal("0.001")  # after buying 1 BTC with the 0.1 % fee


def mark(ws: Workspace, price: str, symbol: str = "BTC/USDT") -> None:
    """Move the mark as the engine's feed would."""
    with ws.store.write() as s:
        PaperVenue().set_mark(s, symbol, price, ws.clock.now())


def snapshots(ws: Workspace, clock: SimulatedClock, engine: Engine, prices: list[str]) -> None:
    """Write one engine snapshot per price, one second apart."""
    for price in prices:
        clock.advance(1)
        mark(ws, price)
        engine.snapshot()


def test_refresh_when_snapshots_written_shows_hand_computed_figures(
    sqlite_workspace: Workspace, clock: SimulatedClock, log_in: Callable[[Role], ShellState]
) -> None:
    ws = sqlite_workspace
    engine = Engine(ws)
    mark(ws, "50000")
    shell = log_in(Role.TRADER)
    shell.session.console.submit_order("BTC/USDT", "buy", "1")
    snapshots(ws, clock, engine, ["50000"])  # yesterday, 09:30:01 UTC: outside today's PnL
    clock.advance(timedelta(hours=14, minutes=29, seconds=59).total_seconds())  # 00:00:00 UTC
    prices = ["50000", "51000", "50500", "52000", "49400"]
    snapshots(ws, clock, engine, prices)
    shell.session.param.update(username="trader9", password=PASSWORD)  # the day-old session has expired
    assert shell.session.login()
    state = shell.command

    state.refresh()

    navs = [CASH + Decimal(p) for p in ["50000", *prices]]
    assert state.nav == pytest.approx(float(navs[-1]))
    assert state.day_pnl == pytest.approx(49400 - 50000)  # vs 00:00:01, not yesterday's snapshot
    assert state.drawdown == pytest.approx(float(1 - navs[-1] / navs[4]))
    returns = np.array([float(b / a - 1) for a, b in zip(navs, navs[1:], strict=False)])
    expected = returns.mean() / returns.std(ddof=1) * math.sqrt(SECONDS_PER_YEAR / 1.0)
    assert state.sharpe == pytest.approx(expected)
    assert state.sharpe_window.startswith("5 returns of 1 s")
    assert [float(n) for n in state.chart_data()["nav"]] == pytest.approx([float(n) for n in navs])
    row = state.exposures.iloc[0]
    assert (row["symbol"], row["quantity"], row["net"], row["gross"]) == ("BTC/USDT", 1.0, 49400.0, 49400.0)


def test_poll_when_new_snapshot_appends_it_and_moves_figures(
    sqlite_workspace: Workspace, clock: SimulatedClock, log_in: Callable[[Role], ShellState]
) -> None:
    ws = sqlite_workspace
    engine = Engine(ws)
    mark(ws, "50000")
    shell = log_in(Role.TRADER)
    shell.session.console.submit_order("BTC/USDT", "buy", "1")
    snapshots(ws, clock, engine, ["50000", "50100"])
    state = shell.command
    state.refresh()

    snapshots(ws, clock, engine, ["50300"])
    found = state.poll()

    assert found == 1
    assert len(state.history) == 3
    assert state.day_pnl == pytest.approx(300.0)
    assert state.nav == pytest.approx(float(CASH + 50300))


def test_poll_when_utc_day_rolls_over_measures_day_pnl_from_the_new_day(
    sqlite_workspace: Workspace, clock: SimulatedClock, log_in: Callable[[Role], ShellState]
) -> None:
    ws = sqlite_workspace
    engine = Engine(ws)
    clock.advance(timedelta(hours=10, minutes=30).total_seconds())  # 20:00 UTC
    mark(ws, "50000")
    shell = log_in(Role.TRADER)
    shell.session.console.submit_order("BTC/USDT", "buy", "1")
    snapshots(ws, clock, engine, ["50000", "50500"])
    state = shell.command
    state.refresh()
    assert state.day_pnl == pytest.approx(500.0)

    clock.advance(timedelta(hours=3, minutes=59, seconds=58).total_seconds())  # 00:00:00 UTC
    snapshots(ws, clock, engine, ["50200", "50600"])
    state.poll()

    assert state.day_pnl == pytest.approx(400.0)


def test_refresh_when_engine_heartbeat_old_says_feed_stale(
    sqlite_workspace: Workspace, clock: SimulatedClock, log_in: Callable[[Role], ShellState]
) -> None:
    shell = log_in(Role.VIEWER)
    Engine(sqlite_workspace).start()
    state = shell.command
    state.refresh()
    assert (state.engine["state"], state.feed) == ("running", "live")

    clock.advance(10)
    state.refresh()

    assert state.feed == "stale"
    assert state.engine["age_s"] == pytest.approx(10.0)


def test_refresh_when_engine_never_ran_shows_none_and_no_figures(log_in: Callable[[Role], ShellState]) -> None:
    state = log_in(Role.VIEWER).command

    state.refresh()

    assert (state.engine, state.feed, state.nav, state.sharpe) == ({}, "none", None, None)
    assert state.trading_state == "ACTIVE" and state.mode == "paper"


def test_refresh_when_kill_switch_engaged_shows_halted(log_in: Callable[[Role], ShellState]) -> None:
    shell = log_in(Role.RISK)
    shell.session.console.engage_kill_switch("drill")

    shell.command.refresh()
    shell.read_status()

    assert shell.command.trading_state == "HALTED"
    assert shell.status["trading_state"] == "HALTED"


def test_refresh_when_strategy_traded_shows_its_lifecycle_state_and_pnl(
    sqlite_workspace: Workspace, log_in: Callable[[Role], ShellState]
) -> None:
    admin = log_in(Role.ADMIN).session.console
    admin.register_strategy("btc_x", "sma_cross", ["BTC/USDT"])
    admin.set_trading_state("ACTIVE", strategy="btc_x", reason="start")
    mark(sqlite_workspace, "50000")
    admin.submit_order("BTC/USDT", "buy", "0.1", strategy="btc_x")
    mark(sqlite_workspace, "51000")
    state = log_in(Role.ADMIN).command

    state.refresh()

    row = state.strategies.iloc[0]
    fill = Decimal("0.1") * FILL
    assert (row["name"], row["lifecycle"], row["trading_state"]) == ("btc_x", "registered", "ACTIVE")
    assert row["pnl"] == pytest.approx(float(Decimal("0.1") * 51000 - fill - fill * Decimal("0.001")))


def test_recent_alerts_when_raised_lists_unresolved_newest_first(
    sqlite_workspace: Workspace, log_in: Callable[[Role], ShellState]
) -> None:
    monitor = sqlite_workspace.system("risk-monitor")
    monitor.raise_alert("warning", "mandate:global", "drawdown above warn")
    monitor.raise_alert("critical", "mandate:global", "drawdown breached")
    done = monitor.raise_alert("info", "feed:BTC/USDT", "prices resumed")
    monitor.resolve_alert(done.id, "seen")
    state = log_in(Role.VIEWER).command

    state.refresh()

    assert list(state.alerts["severity"]) == ["critical", "warning"]
    assert list(state.alerts["message"]) == ["drawdown breached", "drawdown above warn"]
