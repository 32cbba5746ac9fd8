from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from athena.clock import LiveClock, SimulatedClock


def test_simulated_clock_when_advanced_moves_exactly() -> None:
    clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.advance(90) == datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)
    assert clock.advance(timedelta(hours=1)).hour == 1


def test_simulated_clock_when_moved_back_refuses() -> None:
    clock = SimulatedClock()
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(clock.now() - timedelta(seconds=1))


def test_live_clock_returns_aware_utc() -> None:
    assert LiveClock().now().tzinfo == UTC
