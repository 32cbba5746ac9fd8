"""Injected clocks: the only place Athena reads the wall clock.

Production code takes a :class:`Clock`; tests pass a :class:`SimulatedClock`
and move time with :meth:`SimulatedClock.advance` instead of sleeping.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "LiveClock", "SimulatedClock", "utc"]


def utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime; naive values are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Clock(Protocol):
    """Anything that tells the current UTC time."""

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...


class LiveClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Return the current wall-clock time in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "LiveClock()"


class SimulatedClock:
    """A clock that moves only when told to; safe to share between threads."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = utc(start) if start else datetime(2026, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the simulated time."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move time forward by ``delta`` (a timedelta or seconds) and return the new time."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError(f"a clock cannot go backwards, was delta={step}")
        with self._lock:
            self._now += step
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when``, which must not be earlier than the current time."""
        target = utc(when)
        with self._lock:
            if target < self._now:
                raise ValueError(f"a clock cannot go backwards, was {target} < {self._now}")
            self._now = target

    def __repr__(self) -> str:
        return f"SimulatedClock({self._now.isoformat()})"
