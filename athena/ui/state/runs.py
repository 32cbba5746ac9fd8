"""What the Runs page shows: the research run history, filtered, and one run's report."""

from __future__ import annotations

from typing import Any

import pandas as pd
import param

from athena.console._runs import RUN_KINDS
from athena.model import RunRecord
from athena.ui.state.base import PageState
from athena.ui.state.research import equity_frame, metrics_frame

__all__ = ["RUN_COLUMNS", "RunsState"]

RUN_COLUMNS = ["id", "kind", "strategy", "status", "total_return", "sharpe", "created_by", "created"]


def _number(value: object, spec: str) -> str:
    return format(value, spec) if isinstance(value, int | float) and not isinstance(value, bool) else "-"


def _run_row(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id[:12],
        "kind": run.kind,
        "strategy": run.strategy,
        "status": run.status,
        "total_return": _number(run.metrics.get("total_return"), ".2%"),
        "sharpe": _number(run.metrics.get("sharpe"), ".2f"),
        "created_by": run.created_by,
        "created": run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
    }


class RunsState(PageState):
    """Backtests, sweeps and walk-forwards, newest first, and the report of the one selected."""

    kind = param.Selector[str](default="", objects=["", *RUN_KINDS], doc="Only runs of this kind.")
    strategy = param.Selector[str](default="", objects=[""], doc="Only runs of this strategy.")
    text = param.String(default="", doc="Free text searched in id, strategy, parameters and config hash.")
    limit = param.Integer(default=200, bounds=(1, 5_000), doc="How many of the newest runs to load.")
    runs = param.List(default=[], item_type=RunRecord, doc="Runs matching the filters, newest first.")
    selected_id = param.String(default="", doc="Full id of the run whose report is shown.")
    equity = param.DataFrame(default=equity_frame(None), doc="Equity curve of the selected run.")
    metrics = param.DataFrame(default=metrics_frame(None), doc="Metrics of the selected run.")

    @param.depends("kind", "strategy", "text", "limit", watch=True)
    def refresh(self) -> None:
        """Reload the runs that match the filters."""
        if self.session.console is None:
            return
        found = self.run(lambda: self.console.list_runs(kind=self.kind or None, limit=self.limit))
        if found is None:
            return
        names = sorted({r.strategy for r in found} | ({self.strategy} - {""}))
        self.param.strategy.objects = ["", *names]
        needle = self.text.strip().lower()
        shown = [r for r in found if (not self.strategy or r.strategy == self.strategy)
                 and (not needle or needle in self._haystack(r))]
        if shown != self.runs:
            self.runs = shown
        if self.selected_id and self.selected is None:
            self.select("")

    @staticmethod
    def _haystack(run: RunRecord) -> str:
        return " ".join([run.id, run.kind, run.strategy, run.config_hash, str(run.params), run.created_by]).lower()

    @property
    def selected(self) -> RunRecord | None:
        """Return the selected run, if it is among those shown."""
        return next((r for r in self.runs if r.id == self.selected_id), None)

    def select(self, run_id: str) -> None:
        """Show the report of the run whose id starts with ``run_id`` ('' to show none)."""
        chosen = next((r for r in self.runs if run_id and r.id.startswith(run_id)), None)
        self.param.update(selected_id=chosen.id if chosen else "", equity=equity_frame(chosen),
                          metrics=metrics_frame(chosen))

    def frame(self) -> pd.DataFrame:
        """Return the shown runs as a table."""
        return pd.DataFrame([_run_row(r) for r in self.runs], columns=RUN_COLUMNS)
