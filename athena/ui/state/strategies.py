"""What the Strategies page shows: the registry, one strategy's parameters and lifecycle, and its backtests."""

from __future__ import annotations

from typing import Any

import pandas as pd
import param

from athena.auth import Permission
from athena.console import Deployment, JobRecord
from athena.model import RunRecord, TradingState
from athena.ui.state.base import PageState
from athena.ui.state.research import FINAL, equity_frame, metrics_frame, stress_frame

__all__ = ["REGISTRY_COLUMNS", "StrategiesState"]

REGISTRY_COLUMNS = ["name", "strategy", "symbols", "timeframe", "lifecycle", "trading", "version", "capital"]


def _registry_row(d: Deployment) -> dict[str, Any]:
    return {
        "name": d.name,
        "strategy": d.ref,
        "symbols": ", ".join(d.symbols),
        "timeframe": d.timeframe,
        "lifecycle": d.lifecycle,
        "trading": d.trading_state.value if d.trading_state else "-",
        "version": d.params_version,
        "capital": f"{d.capital:,.2f}",
    }


def parameter_types(ref: str) -> dict[str, type]:
    """Return the typed parameters the strategy ``ref`` declares (empty when it cannot be loaded)."""
    from athena.errors import AthenaError
    from athena.strategies import get

    try:
        return dict(get(ref).parameters)
    except (AthenaError, ImportError, AttributeError):
        return {}


class StrategiesState(PageState):
    """The strategy registry and the selected strategy's editor, lifecycle actions and backtest."""

    live = True

    deployments = param.List(default=[], item_type=Deployment, doc="Every registered strategy deployment.")
    selected = param.String(default="", doc="Name of the deployment the editor and actions apply to.")
    param_types = param.Dict(default={}, doc="Parameter name -> declared type of the selected strategy.")
    param_values = param.Dict(default={}, doc="Parameter name -> value in the editor (saved with save_params).")
    history = param.List(default=[], doc="(version, params, changed_by, changed_at) of the selected strategy.")
    halt_reason = param.String(default="", doc="Why the strategy is halted (recorded with the halt).")
    live_totp = param.String(default="", doc=(
        "Your TOTP code, to send the selected strategy's orders to the exchange venue; cleared after every try."))
    symbols = param.String(default="", doc="Backtest symbols, comma-separated.")
    timeframe = param.String(default="1h", doc="Backtest bar length: 1m, 15m, 1h, 1d ...")
    start = param.String(default="2024-01-01", doc="First bar of the backtest data (UTC date).")
    end = param.String(default="", doc="Last bar of the backtest data (UTC date); empty: use the bar count.")
    bars = param.Integer(default=500, bounds=(50, 200_000), doc="Number of bars when no end date is given.")
    capital = param.Number(default=100_000.0, bounds=(1.0, None), doc="Starting cash of the backtest.")
    fees = param.Number(default=0.001, bounds=(0.0, 0.1), doc="Commission per side as a fraction of traded value.")
    job = param.ClassSelector(class_=JobRecord, allow_None=True, default=None,
                              doc="The backtest job started from this page, as last read.")
    run_record = param.ClassSelector(class_=RunRecord, allow_None=True, default=None,
                                     doc="The recorded run of the finished backtest job.")
    equity = param.DataFrame(default=equity_frame(None), doc="Equity curve of the finished backtest.")
    metrics = param.DataFrame(default=metrics_frame(None), doc="Metrics of the finished backtest.")
    stress = param.DataFrame(default=stress_frame(None), doc=(
        "Scenario results of the latest succeeded stress_test job run on the selected strategy's book."))

    @property
    def deployment(self) -> Deployment | None:
        """Return the selected deployment, if it exists."""
        return next((d for d in self.deployments if d.name == self.selected), None)

    def can(self, permission: Permission) -> bool:
        """Return whether the logged-in role may use the control that needs ``permission``."""
        return self.session.can(permission)

    @property
    def can_go_live(self) -> bool:
        """Return whether the role may move a strategy from paper to the exchange."""
        return self.can(Permission.STRATEGIES_RUN_LIVE)

    @param.depends("selected", "deployments")
    def go_live_blocked(self) -> bool:
        """Return whether the selected strategy is in no lifecycle state that Go live applies to."""
        chosen = self.deployment
        if chosen is None:
            return True
        # A halted live strategy resumes only through go-live (it needs the TOTP again), so it stays offered.
        return not (chosen.lifecycle == "paper"
                    or (chosen.lifecycle == "live" and chosen.trading_state is not TradingState.ACTIVE))

    @param.depends("selected", "deployments")
    def go_live_note(self) -> str:
        """Return what Go live would do to the selected strategy, or why it does not apply."""
        chosen = self.deployment
        if chosen is None:
            return "Select a strategy to send its orders to the exchange venue."
        name = chosen.name
        if chosen.lifecycle == "paper":
            return (f"{name} trades on paper: Go live sends its orders to the exchange venue from now on "
                    "(its paper book must be flat).")
        if chosen.lifecycle != "live":
            return f"{name} is {chosen.lifecycle}: only a strategy trading on paper can go live."
        if chosen.trading_state is TradingState.ACTIVE:
            return f"{name} is live on the exchange venue already."
        held = chosen.trading_state.value if chosen.trading_state else "stopped"
        return f"{name} is live but {held}: Go live makes it ACTIVE on the exchange venue again."

    @property
    def can_backtest(self) -> bool:
        """Return whether the role may start backtest jobs."""
        return self.can(Permission.JOBS_RUN) and self.can(Permission.BACKTESTS_RUN)

    def frame(self) -> pd.DataFrame:
        """Return the registry as a table."""
        return pd.DataFrame([_registry_row(d) for d in self.deployments], columns=REGISTRY_COLUMNS)

    def refresh(self) -> None:
        """Reload the registry (and the selected strategy's history)."""
        if self.session.console is None:
            return
        found = self.run(self.console.strategies)
        if found is not None and found != self.deployments:
            self.deployments = found
            if self.selected and self.deployment is None:
                self.select("")
            elif self.selected:
                self._load_history()

    def poll(self) -> int:
        """Follow the registry and the running backtest job; return 1 when the job changed."""
        self.refresh()
        return self._follow_job()

    def select(self, name: str) -> None:
        """Open ``name`` in the editor: its parameters, history and backtest defaults."""
        self.selected = name
        chosen = self.deployment
        if chosen is None:
            self.param.update(param_types={}, param_values={}, history=[], stress=stress_frame(None))
            return
        self.param.update(param_types=parameter_types(chosen.ref), param_values=dict(chosen.params),
                          symbols=",".join(chosen.symbols), timeframe=chosen.timeframe,
                          capital=float(chosen.capital))
        self._load_history()
        self._load_stress()

    def _load_stress(self) -> None:
        jobs = self.run(lambda: self.console.jobs(limit=500)) or []
        latest = next((j for j in jobs if j.name == "stress_test" and j.status == "succeeded"
                       and j.params.get("strategy") == self.selected), None)
        self.stress = stress_frame(latest)

    def _load_history(self) -> None:
        found = self.run(lambda: self.console.strategy_param_history(self.selected))
        self.history = list(reversed(found)) if found is not None else []

    def set_value(self, name: str, value: object) -> None:
        """Change one parameter in the editor (nothing is saved until :meth:`save_params`)."""
        self.param_values = {**self.param_values, name: value}

    def save_params(self) -> Deployment | None:
        """Save the editor's parameters as a new version (validated by the strategy through Console)."""
        name = self.selected
        if not name:
            self.say("Select a strategy first.", "warning")
            return None
        changed = self.run(lambda: self.console.set_strategy_params(name, dict(self.param_values)),
                           lambda d: f"Saved {d.name} parameters as version {d.params_version}.")
        if changed is not None:
            self.refresh()
            self.select(name)
        return changed

    def _lifecycle(self, verb: str, call: Any) -> Deployment | None:
        name = self.selected
        if not name:
            self.say("Select a strategy first.", "warning")
            return None
        result = self.run(lambda: call(name), f"{name}: {verb}.")
        self.refresh()
        return result if isinstance(result, Deployment) else None

    def approve(self) -> Deployment | None:
        """Approve the selected strategy for paper trading."""
        return self._lifecycle("approved", self.console.approve_strategy)

    def activate(self) -> Deployment | None:
        """Start the selected strategy on the paper venue."""
        return self._lifecycle("active on paper", self.console.activate_strategy)

    def halt(self) -> None:
        """Halt the selected strategy (its orders become reduce-only)."""
        reason = self.halt_reason.strip() or "halted from the Strategies page"
        self._lifecycle("halted", lambda name: self.console.halt_strategy(name, reason))

    def go_live(self) -> Deployment | None:
        """Send the selected strategy's orders to the exchange venue from now on, with your TOTP code.

        Console refuses it, changing nothing, for a role without ``strategies.run_live``, a missing, wrong or
        reused code, a strategy neither on paper nor live, an open paper book, or orders still going to the
        paper venue; the page then shows Console's reason.
        """
        name, code = self.selected, self.live_totp.strip() or None
        if not name:
            self.say("Select a strategy first.", "warning")
            return None
        result = self.run(lambda: self.console.go_live_strategy(name, code),
                          lambda d: f"{d.name} is live: its orders go to the exchange venue from now on.")
        self.live_totp = ""
        self.refresh()
        return result

    def backtest_params(self) -> dict[str, Any]:
        """Return the ``backtest`` job parameters for the selected strategy and the form."""
        chosen = self.deployment
        if chosen is None:
            return {}
        return {
            "strategy": chosen.ref,
            "params": ",".join(f"{k}:{v}" for k, v in self.param_values.items()),
            "name": chosen.name,
            "symbols": self.symbols.strip(),
            "timeframe": self.timeframe.strip(),
            "start": self.start.strip(),
            "end": self.end.strip(),
            "periods": self.bars,
            "cash": float(self.capital),
            "commission": float(self.fees),
        }

    def run_backtest(self) -> JobRecord | None:
        """Queue the ``backtest`` job for the selected strategy; the page then follows it."""
        if self.deployment is None:
            self.say("Select a strategy first.", "warning")
            return None
        values = self.backtest_params()
        job = self.run(lambda: self.console.start_job("backtest", values),
                       lambda j: f"Backtest job {j.id[:12]} queued.")
        if job is not None:
            self.param.update(job=job, run_record=None, equity=equity_frame(None), metrics=metrics_frame(None))
        return job

    def _follow_job(self) -> int:
        job = self.job
        if job is None or job.status in FINAL:
            return 0
        current = self.run(lambda: self.console.job(job.id))
        if current is None or current == job:
            return 0
        self.job = current
        if current.status == "succeeded":
            self._load_run(current)
        elif current.status in FINAL:
            reason = (current.error or {}).get("evalue") or (current.error or {}).get("reason") or current.status
            self.say(f"Backtest job {current.id[:12]} {current.status}: {reason}", "danger")
        return 1

    def _load_run(self, job: JobRecord) -> None:
        runs = self.run(lambda: self.console.list_runs(kind="backtest", limit=200)) or []
        found = next((r for r in runs if r.artefacts.get("job") == job.id), None)
        if found is None:
            self.say(f"Backtest job {job.id[:12]} succeeded but recorded no run.", "warning")
            return
        self.param.update(run_record=found, equity=equity_frame(found), metrics=metrics_frame(found))
        self.say(f"Backtest {found.id[:12]} done: total return {found.metrics.get('total_return', 0):.2%}.",
                 "success")
