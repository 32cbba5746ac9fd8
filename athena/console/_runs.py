"""The research run history: recording, listing and opening backtests, sweeps and walk-forwards."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from athena.audit import canonical_json
from athena.auth import Permission
from athena.clock import utc
from athena.console._core import ConsoleCore, Done
from athena.errors import InvalidInput
from athena.model import Identity, RunRecord
from athena.store import RunRow

__all__ = ["RUN_KINDS", "RunsMixin"]

RUN_KINDS = ("backtest", "sweep", "walkforward")
RUN_STATUSES = ("completed", "failed")


def _record(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id, kind=row.kind, strategy=row.strategy, params=json.loads(row.params),
        config_hash=row.config_hash, data_fingerprint=row.data_fingerprint, metrics=json.loads(row.metrics),
        artefacts=json.loads(row.artefacts), status=row.status, error=row.error, created_by=row.created_by,
        created_at=utc(row.created_at),
    )


class RunsMixin(ConsoleCore):
    """Console actions on the run history."""

    def record_run(
        self,
        *,
        kind: str,
        strategy: str,
        params: dict[str, Any],
        config_hash: str,
        data_fingerprint: str,
        metrics: dict[str, Any],
        artefacts: dict[str, str],
        status: str = "completed",
        error: str | None = None,
    ) -> RunRecord:
        """Record a finished run (or a failed one, with its error) in the history."""
        if kind not in RUN_KINDS:
            raise InvalidInput(f"run kind must be one of {', '.join(RUN_KINDS)}, was {kind!r}")
        if status not in RUN_STATUSES:
            raise InvalidInput(f"run status must be one of {', '.join(RUN_STATUSES)}, was {status!r}")
        if (status == "failed") != (error is not None):
            raise InvalidInput("a failed run needs its error, and only a failed run has one")

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = RunRow(id=uuid.uuid4().hex, kind=kind, strategy=strategy, params=canonical_json(params),
                         config_hash=config_hash, data_fingerprint=data_fingerprint,
                         metrics=canonical_json(metrics), artefacts=canonical_json(artefacts), status=status,
                         error=error, created_by=who.actor, created_at=now)
            s.add(row)
            s.flush()
            payload = {"run_id": row.id, "kind": kind, "strategy": strategy, "params": params, "status": status,
                       "config_hash": config_hash, "data_fingerprint": data_fingerprint}
            return Done(_record(row), payload, ["RunRecorded"])

        return self._write(Permission.BACKTESTS_RUN, "runs.record", f"strategy:{strategy}", work)  # type: ignore[no-any-return]

    def list_runs(self, kind: str | None = None, limit: int = 100) -> list[RunRecord]:
        """Return recorded runs, newest first."""
        def work(s: Session) -> list[RunRecord]:
            stmt = select(RunRow).order_by(col(RunRow.created_at).desc()).limit(limit)
            if kind:
                stmt = stmt.where(RunRow.kind == kind)
            return [_record(row) for row in s.exec(stmt)]

        return self._read(Permission.EVENTS_READ, "runs.list", work)

    def get_run(self, run_id: str) -> RunRecord:
        """Return one run by id (a unique prefix of at least 6 characters is enough)."""
        if len(run_id) < 6:
            raise InvalidInput(f"run id must have at least 6 characters, was {run_id!r}")

        def work(s: Session) -> RunRecord:
            rows = s.exec(select(RunRow).where(col(RunRow.id).startswith(run_id)).limit(2)).all()
            if len(rows) != 1:
                raise InvalidInput(f"no run {run_id!r}" if not rows else f"run id {run_id!r} is ambiguous")
            return _record(rows[0])

        return self._read(Permission.EVENTS_READ, "runs.show", work)
