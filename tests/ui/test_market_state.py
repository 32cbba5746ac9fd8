"""The Market data page as an object, fed by the engine on a simulated clock and read through Console."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from athena.clock import SimulatedClock
from athena.data.feed import SyntheticFeed
from athena.model import Role
from athena.runtime.engine import Engine
from athena.ui.state import MarketState, ShellState
from athena.ui.state.market import freshness
from athena.ui.views.market import MarketView, sparkline
from athena.workspace import Workspace


class StepFeed(SyntheticFeed):
    """A feed that plays a fixed list of price dicts."""

    def __init__(self, path: list[dict[str, Decimal]]) -> None:
        super().__init__(prices=dict(path[0]))
        self._path = iter(path)

    def tick(self, dt_s: float = 1.0) -> dict[str, Decimal]:
        self.prices = next(self._path)
        return self.prices


def prices(*btc: str) -> list[dict[str, Decimal]]:
    return [{"BTC/USDT": Decimal(p), "ETH/USDT": Decimal("3000")} for p in btc]


@pytest.fixture
def page(log_in: Callable[[Role], ShellState]) -> MarketState:
    state = log_in(Role.VIEWER).states["Market data"]
    assert isinstance(state, MarketState)
    return state


def run(engine: Engine, clock: SimulatedClock, page: MarketState, ticks: int) -> None:
    for _ in range(ticks):
        clock.advance(1)
        engine.step()
        page.poll()


def test_poll_when_engine_ticks_shows_last_change_and_history(
    page: MarketState, sqlite_workspace: Workspace, clock: SimulatedClock
) -> None:
    engine = Engine(sqlite_workspace, feed=StepFeed(prices("50000", "51000", "49000", "50500")))
    engine.start()

    run(engine, clock, page, 4)

    btc = {q.symbol: q for q in page.quotes}["BTC/USDT"]
    assert (btc.last, btc.base) == (Decimal("50500"), Decimal("50000"))
    assert btc.change_pct == pytest.approx(1.0)
    assert btc.points == (50000.0, 51000.0, 49000.0, 50500.0)
    assert (btc.age_s, btc.level) == (0.0, "success")
    feed = page.feed
    assert feed is not None and (feed.state, feed.ticks, feed.level) == ("running", 4, "success")
    assert 0 < feed.p50_ms <= feed.p95_ms <= feed.p99_ms


def test_poll_when_no_new_tick_keeps_one_point_and_ages_to_red(
    page: MarketState, sqlite_workspace: Workspace, clock: SimulatedClock
) -> None:
    engine = Engine(sqlite_workspace, feed=StepFeed(prices("50000")))
    engine.start()
    run(engine, clock, page, 1)
    clock.advance(5)
    page.poll()
    btc = page.quotes[0]
    assert (btc.symbol, btc.age_s, btc.level, len(btc.points)) == ("BTC/USDT", 5.0, "warning", 1)
    clock.advance(10)
    page.poll()
    assert page.quotes[0].level == "danger"
    assert page.feed is not None and page.feed.level == "danger"


def test_window_when_one_minute_measures_from_the_price_a_minute_ago(
    page: MarketState, sqlite_workspace: Workspace, clock: SimulatedClock
) -> None:
    path = prices("100", "200", *["300"] * 60)
    engine = Engine(sqlite_workspace, feed=StepFeed(path))
    engine.start()
    run(engine, clock, page, len(path))
    assert page.quotes[0].change_pct == pytest.approx(200.0)

    page.window = "1 min"

    assert page.quotes[0].base == Decimal("200") and page.quotes[0].change_pct == pytest.approx(50.0)


def test_refresh_when_engine_stopped_shows_red_feed(
    page: MarketState, sqlite_workspace: Workspace, clock: SimulatedClock
) -> None:
    page.refresh()
    assert page.feed is None and page.quotes == []
    engine = Engine(sqlite_workspace, feed=StepFeed(prices("50000")))
    engine.start()
    engine.step()
    sqlite_workspace.system("engine").record_engine_state("stopped", pid=1, host="h", feed="synthetic")
    page.refresh()
    assert page.feed is not None and (page.feed.state, page.feed.level) == ("stopped", "danger")


def test_view_when_prices_known_draws_rows_and_sparklines(
    page: MarketState, sqlite_workspace: Workspace, clock: SimulatedClock
) -> None:
    engine = Engine(sqlite_workspace, feed=StepFeed(prices("50000", "50100")))
    engine.start()
    run(engine, clock, page, 2)
    html = "".join(str(p.object) for p in MarketView(state=page).__panel__().select(lambda o: hasattr(o, "object")))
    assert "50,100.00" in html and "+0.200%" in html and "ENGINE RUNNING" in html and "p99" in html
    assert "<polyline" in sparkline((1.0, 2.0, 1.5), "#fff") and "<polyline" not in sparkline((1.0,), "#fff")
    assert [freshness(a, 2, 10) for a in (0.5, 5, 11, None)] == ["success", "warning", "danger", "danger"]
