"""The live engine's lifecycle records and the figures it publishes (portfolio, snapshots)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from athena.auth import Permission
from athena.clock import utc
from athena.console._core import ConsoleCore, Done
from athena.errors import InvalidInput
from athena.execution.portfolio import PortfolioView, portfolio, starting_cash
from athena.model import Identity
from athena.store import EngineStatusRow, SnapshotRow

__all__ = ["EngineMixin", "EngineStatus", "Snapshot"]

ENGINE_STATES = ("running", "stopped")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Portfolio figures at one instant, as the engine wrote them."""

    id: int
    ts: datetime
    nav: Decimal
    cash: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    gross_exposure: Decimal
    net_exposure: Decimal
    leverage: Decimal
    drawdown: Decimal
    peak_nav: Decimal
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EngineStatus:
    """The engine's last heartbeat, with its tick latency percentiles over a recent window of ticks."""

    state: str
    pid: int
    host: str
    feed: str
    started_at: datetime
    heartbeat_at: datetime
    ticks: int
    last_latency_ms: float
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    latency_p99_ms: float = 0.0

    def age_s(self, now: datetime) -> float:
        """Return seconds since the last heartbeat."""
        return (now - self.heartbeat_at).total_seconds()


def to_snapshot(row: SnapshotRow) -> Snapshot:
    """Turn a stored row into a Snapshot value."""
    return Snapshot(row.id or 0, utc(row.ts), row.nav, row.cash, row.realized_pnl, row.unrealized_pnl, row.fees,
                    row.gross_exposure, row.net_exposure, row.leverage, row.drawdown, row.peak_nav,
                    json.loads(row.detail))


class EngineMixin(ConsoleCore):
    """Console actions and reads around the live engine."""

    def record_engine_state(self, state: str, *, pid: int, host: str, feed: str) -> None:
        """Record that the engine started or stopped (audited; heartbeats are not)."""
        if state not in ENGINE_STATES:
            raise InvalidInput(f"engine state must be one of {', '.join(ENGINE_STATES)}, was {state!r}")

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = s.get(EngineStatusRow, 1)
            if row is None:
                row = EngineStatusRow(id=1, state=state, pid=pid, host=host, feed=feed, started_at=now,
                                      heartbeat_at=now, ticks=0, last_latency_ms=0.0)
            row.state, row.pid, row.host, row.feed, row.heartbeat_at = state, pid, host, feed, now
            if state == "running":
                row.started_at, row.ticks = now, 0
                row.latency_p50_ms = row.latency_p95_ms = row.latency_p99_ms = 0.0
            s.add(row)
            return Done(None, {"state": state, "pid": pid, "host": host, "feed": feed},
                        ["EngineStarted" if state == "running" else "EngineStopped"])

        self._write(Permission.ENGINE_RUN, f"engine.{'start' if state == 'running' else 'stop'}", "engine", work)

    def engine_status(self) -> EngineStatus | None:
        """Return the engine's last heartbeat, or None if it never ran."""
        def work(s: Session) -> EngineStatus | None:
            row = s.get(EngineStatusRow, 1)
            if row is None:
                return None
            return EngineStatus(row.state, row.pid, row.host, row.feed, utc(row.started_at), utc(row.heartbeat_at),
                                row.ticks, row.last_latency_ms, row.latency_p50_ms, row.latency_p95_ms,
                                row.latency_p99_ms)

        return self._read(Permission.EVENTS_READ, "engine.status", work)

    def portfolio(self, strategy: str | None = None) -> PortfolioView:
        """Return the portfolio (or one strategy's book) valued at the latest marks."""
        return self._read(Permission.EVENTS_READ, "portfolio.show",
                          lambda s: portfolio(s, starting_cash(s), strategy))

    def latest_snapshot(self) -> Snapshot | None:
        """Return the newest snapshot, or None before the engine wrote one."""
        def work(s: Session) -> Snapshot | None:
            row = s.exec(select(SnapshotRow).order_by(col(SnapshotRow.id).desc()).limit(1)).first()
            return to_snapshot(row) if row else None

        return self._read(Permission.EVENTS_READ, "risk.snapshot", work)

    def snapshots(self, after_id: int = 0, limit: int = 3600) -> list[Snapshot]:
        """Return snapshots newer than ``after_id``, oldest first."""
        def work(s: Session) -> list[Snapshot]:
            rows = s.exec(select(SnapshotRow).where(col(SnapshotRow.id) > after_id)
                          .order_by(col(SnapshotRow.id)).limit(limit))
            return [to_snapshot(r) for r in rows]

        return self._read(Permission.EVENTS_READ, "risk.snapshots", work)

    def first_snapshot(self, since: datetime) -> Snapshot | None:
        """Return the oldest snapshot at or after ``since`` (e.g. the day's opening NAV), or None."""
        def work(s: Session) -> Snapshot | None:
            row = s.exec(select(SnapshotRow).where(col(SnapshotRow.ts) >= since)
                         .order_by(col(SnapshotRow.id)).limit(1)).first()
            return to_snapshot(row) if row else None

        return self._read(Permission.EVENTS_READ, "risk.snapshot", work)
