"""The live engine on a simulated clock: marks, matching, heartbeat, snapshots, lifecycle audit."""

from __future__ import annotations

import time
from decimal import Decimal

import numpy as np
import pytest

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.data.feed import SyntheticFeed
from athena.model import Order, OrderStatus, Role
from athena.runtime.engine import Engine, EngineConfig, percentile
from athena.testing import ADMIN_PASSWORD
from athena.workspace import Workspace


class StepFeed(SyntheticFeed):
    """A feed that plays a fixed list of price dicts."""

    def __init__(self, path: list[dict[str, Decimal]]) -> None:
        super().__init__(prices=dict(path[0]))
        self._path = iter(path)

    def tick(self, dt_s: float = 1.0) -> dict[str, Decimal]:
        self.prices = next(self._path)
        return self.prices


@pytest.fixture
def desk(workspace: Workspace) -> Console:
    admin = workspace.login("admin", ADMIN_PASSWORD)
    admin.add_user("tom", Role.TRADER, "Trader-Passw0rd-5")
    return workspace.login("tom", "Trader-Passw0rd-5")


def path(*btc: str) -> list[dict[str, Decimal]]:
    return [{"BTC/USDT": Decimal(p)} for p in btc]


def test_step_when_price_crosses_resting_limit_fills_it(desk: Console, clock: SimulatedClock) -> None:
    engine = Engine(desk.workspace, feed=StepFeed(path("50000", "49500", "48900")))
    engine.start()
    order = desk.submit_order("BTC/USDT", "buy", "0.2", type="limit", price="49000")
    assert isinstance(order, Order) and order.status is OrderStatus.OPEN
    for _ in range(3):
        clock.advance(1)
        engine.step()
    filled = desk.orders()[0]
    assert (filled.status, filled.average_price) == (OrderStatus.FILLED, Decimal("49000"))
    assert desk.marks() == {"BTC/USDT": Decimal("48900")}
    status = desk.engine_status()
    assert status is not None and (status.state, status.ticks) == ("running", 3)
    assert status.heartbeat_at == clock.now()


def test_snapshots_when_nav_moves_track_peak_and_drawdown(desk: Console, clock: SimulatedClock) -> None:
    engine = Engine(desk.workspace, feed=StepFeed(path("100000", "100000", "110000", "99000")))
    engine.step()
    desk.submit_order("BTC/USDT", "buy", "1")
    for _ in range(3):
        clock.advance(1)
        engine.step()
    snaps = desk.snapshots()
    assert len(snaps) == 4
    last = snaps[-1]
    view = desk.portfolio()
    assert last.nav == view.nav.quantize(Decimal("0.00000001"))
    fill_price = Decimal("100000") * (1 + Decimal("0.0001"))
    fee = fill_price * Decimal("0.001")
    start = Decimal("1000000")
    peak = start - fill_price - fee + Decimal("110000")
    assert snaps[2].peak_nav == peak and last.peak_nav == peak
    assert last.drawdown == ((start - fill_price - fee + Decimal("99000")) / peak - 1).quantize(Decimal("1e-8"))
    assert last.detail["positions"][0]["symbol"] == "BTC/USDT"
    stress = last.detail["stress"]
    assert stress["worst_pnl"] == min(stress["pnl"].values()) < 0
    assert set(stress["pnl"]) >= {"covid_crash_2020", "ftx_collapse_2022"}
    assert [e.type for e in desk.events_since(0) if e.type == "Snapshot"][-1] == "Snapshot"


class SlowFeed(StepFeed):
    """A StepFeed whose ticks at the given indexes take ``delay_s`` (a slow feed read)."""

    def __init__(self, path: list[dict[str, Decimal]], slow: set[int], delay_s: float) -> None:
        super().__init__(path)
        self._slow, self._delay, self._n = slow, delay_s, 0

    def tick(self, dt_s: float = 1.0) -> dict[str, Decimal]:
        if self._n in self._slow:
            time.sleep(self._delay)
        self._n += 1
        return super().tick(dt_s)


def test_percentile_when_given_values_uses_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, q) for q in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile([], 99) == 0.0
    assert percentile([7.0], 50) == 7.0


def test_step_when_one_tick_is_slow_publishes_it_in_p99_not_p50(desk: Console, clock: SimulatedClock) -> None:
    engine = Engine(desk.workspace, EngineConfig(latency_window=20),
                    feed=SlowFeed(path(*["50000"] * 20), slow={7}, delay_s=0.08))
    engine.start()
    for _ in range(20):
        clock.advance(1)
        engine.step()
    status = desk.engine_status()
    assert status is not None
    assert status.latency_p99_ms >= 80 > status.latency_p50_ms
    assert status.latency_p50_ms <= status.latency_p95_ms <= status.latency_p99_ms


def test_run_when_stopped_records_start_and_stop_in_the_ledger(desk: Console) -> None:
    engine = Engine(desk.workspace, EngineConfig(tick_s=0.01, snapshot_every_s=0.05))
    assert engine.run(max_ticks=5) == 5
    actions = [(e.actor, e.action) for e in desk.audit(AuditFilter(action="engine.*"))]
    assert actions == [("system:engine", "engine.stop"), ("system:engine", "engine.start")]
    status = desk.engine_status()
    assert status is not None and status.state == "stopped"


def test_feed_when_seeded_is_reproducible_on_tick_grid_and_correlated() -> None:
    sizes = {"BTC/USDT": Decimal("0.01"), "ETH/USDT": Decimal("0.01"), "SOL/USDT": Decimal("0.001")}
    a = SyntheticFeed(tick_sizes=sizes, seed=5, jump_probability=0.0)
    b = SyntheticFeed(tick_sizes=sizes, seed=5, jump_probability=0.0)
    paths = [a.tick(60) for _ in range(3000)]
    assert paths == [b.tick(60) for _ in range(3000)]
    assert all(p[s] % sizes[s] == 0 for p in paths[:50] for s in sizes)
    logs = np.log(np.array([[float(p[s]) for s in sizes] for p in paths]))
    corr = np.corrcoef(np.diff(logs, axis=0).T)
    assert abs(corr[0, 1] - 0.6) < 0.05


def test_feed_when_misconfigured_says_why() -> None:
    with pytest.raises(ValueError, match="correlation must be in"):
        SyntheticFeed(correlation=1.0)
    with pytest.raises(ValueError, match="dt_s must be > 0"):
        SyntheticFeed().tick(0)


def test_feed_volumes_when_drawn_average_notional_and_leave_prices_unchanged() -> None:
    plain = SyntheticFeed(seed=9, notional_per_s=20_000.0)
    prices = [plain.tick(2.0) for _ in range(4000)]
    other = SyntheticFeed(seed=9, notional_per_s=1.0)
    assert prices == [other.tick(2.0) for _ in range(4000)]
    again = SyntheticFeed(seed=9, notional_per_s=20_000.0)
    notionals = []
    for _ in range(4000):
        again.tick(2.0)
        notionals.append(float(again.volumes["ETH/USDT"] * again.prices["ETH/USDT"]))
    assert abs(np.mean(notionals) / 40_000.0 - 1) < 0.03
    with pytest.raises(ValueError, match="notional_per_s must be > 0"):
        SyntheticFeed(notional_per_s=0)


def test_step_when_a_symbol_stops_updating_alerts_then_alerts_recovery(desk: Console, clock: SimulatedClock) -> None:
    both = {"BTC/USDT": Decimal("50000"), "ETH/USDT": Decimal("3000")}
    btc_only = {"BTC/USDT": Decimal("50000")}
    engine = Engine(desk.workspace, feed=StepFeed([both] + [btc_only] * 16 + [both]))
    engine.start()
    for _ in range(18):
        clock.advance(1)
        engine.step()
    alerts = [(e.subject, e.payload["severity"], e.payload["message"])
              for e in reversed(desk.audit(AuditFilter(action="alerts.raise")))]
    assert alerts == [
        ("feed:ETH/USDT", "critical", "no price for ETH/USDT for 16 s (limit 15 s); new orders on it are refused"),
        ("feed:ETH/USDT", "info", "prices for ETH/USDT resumed; orders are accepted"),
    ]
