"""The research run history: recording, listing and opening backtests, sweeps and walk-forwards."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from athena.audit import canonical_json
from athena.auth import Permission
from athena.clock import utc
from athena.console._core import ConsoleCore, Done
from athena.errors import InvalidInput
from athena.model import Identity, RunBook, RunRecord
from athena.store import RunRow

__all__ = ["RUN_KINDS", "RunsMixin"]

RUN_KINDS = ("backtest", "sweep", "walkforward")
RUN_STATUSES = ("completed", "failed")


def _book_json(book: RunBook) -> str:
    return canonical_json({"positions": {s: str(q) for s, q in book.positions.items()},
                           "marks": {s: str(p) for s, p in book.marks.items()},
                           "cash": str(book.cash), "peak_nav": str(book.peak_nav)})


def _book(text: str | None) -> RunBook | None:
    if text is None:
        return None
    raw = json.loads(text)
    return RunBook(positions={s: Decimal(q) for s, q in raw["positions"].items()},
                   marks={s: Decimal(p) for s, p in raw["marks"].items()},
                   cash=Decimal(raw["cash"]), peak_nav=Decimal(raw["peak_nav"]))


def _check_book(book: RunBook, symbols: tuple[str, ...] | None) -> None:
    figures = {"cash": book.cash, "peak_nav": book.peak_nav,
               **{f"position of {s}": q for s, q in book.positions.items()},
               **{f"mark of {s}": p for s, p in book.marks.items()}}
    loose = [f"{name}={value!r}" for name, value in figures.items() if not isinstance(value, Decimal)]
    if loose:
        raise InvalidInput(f"a run's book must hold Decimal figures, was {', '.join(loose)}")
    bad = [f"{name}={value}" for name, value in figures.items() if not value.is_finite()]
    if bad:
        raise InvalidInput(f"a run's book must hold finite numbers, was {', '.join(bad)}")
    unmarked = sorted(s for s, q in book.positions.items() if q != 0 and not book.marks.get(s, Decimal(0)) > 0)
    if unmarked:
        raise InvalidInput(f"a run's book needs a mark > 0 for every position, had none for {', '.join(unmarked)}")
    if symbols is not None:
        stray = sorted(set(book.positions) - set(symbols))
        if stray:
            raise InvalidInput(f"the book holds {', '.join(stray)}, which are not among the run's symbols "
                               f"({', '.join(symbols)})")


def _record(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id, kind=row.kind, strategy=row.strategy, params=json.loads(row.params),
        config_hash=row.config_hash, data_fingerprint=row.data_fingerprint, metrics=json.loads(row.metrics),
        artefacts=json.loads(row.artefacts), status=row.status, error=row.error, created_by=row.created_by,
        created_at=utc(row.created_at), symbols=None if row.symbols is None else tuple(json.loads(row.symbols)),
        book=_book(row.book),
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
        symbols: Sequence[str] | None = None,
        book: RunBook | None = None,
    ) -> RunRecord:
        """Record a finished run (or a failed one, with its error) in the history.

        ``symbols`` are the instruments the run traded; ``book`` is the book a backtest ended with
        (positions at their final marks, cash, peak NAV), which ``athena stress run --run`` stresses.
        """
        if kind not in RUN_KINDS:
            raise InvalidInput(f"run kind must be one of {', '.join(RUN_KINDS)}, was {kind!r}")
        if status not in RUN_STATUSES:
            raise InvalidInput(f"run status must be one of {', '.join(RUN_STATUSES)}, was {status!r}")
        if (status == "failed") != (error is not None):
            raise InvalidInput("a failed run needs its error, and only a failed run has one")
        if isinstance(symbols, str):
            raise InvalidInput(f"a run's symbols must be a sequence of symbols, not one string, was {symbols!r}")
        names = None if symbols is None else tuple(str(x) for x in symbols)
        if book is not None:
            if kind != "backtest":
                raise InvalidInput(f"only a backtest run has a final book, was kind {kind!r}")
            _check_book(book, names)

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = RunRow(id=uuid.uuid4().hex, kind=kind, strategy=strategy, params=canonical_json(params),
                         config_hash=config_hash, data_fingerprint=data_fingerprint,
                         metrics=canonical_json(metrics), artefacts=canonical_json(artefacts), status=status,
                         error=error, created_by=who.actor, created_at=now,
                         symbols=None if names is None else canonical_json(list(names)),
                         book=None if book is None else _book_json(book))
            s.add(row)
            s.flush()
            payload = {"run_id": row.id, "kind": kind, "strategy": strategy, "params": params, "status": status,
                       "config_hash": config_hash, "data_fingerprint": data_fingerprint,
                       "symbols": None if names is None else list(names),
                       "book_positions": None if book is None else {k: str(v) for k, v in book.positions.items()}}
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
