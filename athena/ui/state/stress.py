"""Stress on the Risk page: the engine's latest summary, and library scenarios run off the page's thread.

Running a scenario is a read (no Console action records stress runs), so it leaves no ledger entry.
The book is read through Console on the caller's thread; only the arithmetic runs in a worker
thread, and its result is published by :meth:`StressRunner.collect` on the page's poll, so widgets
are only ever updated from the thread that owns them.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pandas as pd
import param

from athena import stress
from athena.errors import AthenaError
from athena.execution.portfolio import PortfolioView

__all__ = ["IMPACT_COLUMNS", "StressRunner"]

IMPACT_COLUMNS = ["symbol", "quantity", "price", "shock", "price_after", "pnl", "liquidity_cost"]


def _scenario_names() -> list[str]:
    return sorted(stress.library())


def _impact(name: str, book: stress.Portfolio) -> stress.Impact:
    return stress.impact(name, book)


class StressRunner(param.Parameterized):
    """The latest stress summary and one scenario run at a time."""

    summary = param.Dict(default={}, doc=(
        "The engine's stress summary from the newest snapshot: worst scenario, worst PnL, PnL per scenario."))
    scenario = param.Selector[str](default=None, objects=[], allow_None=True, doc="Library scenario to run.")
    busy = param.Boolean(default=False, doc="Whether a scenario is running.")
    impact = param.DataFrame(default=pd.DataFrame(columns=IMPACT_COLUMNS), doc="Per-position impact of the last run.")
    outcome = param.String(default="", doc="One line on the last run: scenario, PnL, NAV after, or why it failed.")

    def __init__(self, **params: Any) -> None:
        names = _scenario_names()
        super().__init__(**params)
        self.param.scenario.objects = names
        if self.scenario is None and names:
            self.scenario = names[0]
        self._future: Future[stress.Impact] | None = None

    def summary_frame(self) -> pd.DataFrame:
        """Return the PnL of every library scenario in the summary, worst first."""
        pnl = self.summary.get("pnl", {})
        breached = self.summary.get("breached", {})
        rows = [{"scenario": name, "pnl": value, "breaches": ", ".join(breached.get(name, []))}
                for name, value in sorted(pnl.items(), key=lambda item: item[1])]
        return pd.DataFrame(rows, columns=["scenario", "pnl", "breaches"])

    def start(self, view: PortfolioView) -> bool:
        """Start running the chosen scenario on ``view`` in a worker thread; return whether it started."""
        if self.busy:
            self.outcome = "A scenario is already running."
            return False
        held = {p.symbol: float(p.quantity) for p in view.positions if p.quantity and p.mark is not None}
        if not held:
            self.outcome = "The book is flat: there is nothing to stress."
            return False
        if self.scenario is None:
            self.outcome = "Choose a scenario."
            return False
        marks = {p.symbol: float(p.mark) for p in view.positions if p.symbol in held and p.mark is not None}
        book = stress.Portfolio(held, marks, cash=float(view.cash))
        name = self.scenario
        future: Future[stress.Impact] = Future()

        def work() -> None:
            try:
                future.set_result(_impact(name, book))
            except Exception as exc:  # handed to collect(), which reports it on the page
                future.set_exception(exc)

        self._future = future
        self.param.update(busy=True, outcome=f"Running {name}...")
        threading.Thread(target=work, name=f"stress-{name}", daemon=True).start()
        return True

    def collect(self) -> bool:
        """Publish a finished run (call from the page's own thread); return whether one finished."""
        future = self._future
        if future is None or not future.done():
            return False
        self._future = None
        try:
            result = future.result()
        except (AthenaError, ValueError) as exc:
            self.param.update(busy=False, outcome=f"Scenario failed: {exc}")
            return True
        except Exception:
            self.param.update(busy=False, outcome="Scenario failed with an internal error; see the kernel log.")
            raise
        table = result.positions.reset_index()[IMPACT_COLUMNS]
        self.param.update(
            busy=False, impact=table,
            outcome=(f"{result.scenario}: PnL {result.pnl:,.2f} ({result.return_pct:.2%}), NAV {result.nav_before:,.2f}"
                     f" -> {result.nav_after:,.2f}, leverage {result.leverage_after:.2f}"),
        )
        return True

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait for the running scenario and publish it; return whether it finished in time."""
        future = self._future
        if future is not None:
            try:
                future.exception(timeout)
            except TimeoutError:
                return False
        return self.collect()
