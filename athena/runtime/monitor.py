"""The post-trade risk monitor: live figures against mandates, alerts at warn, actions at breach."""

from __future__ import annotations

from dataclasses import dataclass, field

from athena.errors import InvalidInput
from athena.model import Role, TradingState
from athena.risk import GLOBAL
from athena.risk.mandates import BreachAction, Level, LimitKind, LimitStatus
from athena.workspace import Workspace

__all__ = ["MONITOR_ACTOR", "RiskMonitor"]

MONITOR_ACTOR = "risk-monitor"


@dataclass
class RiskMonitor:
    """Acts once per change of level, so a standing breach is not re-actioned every tick."""

    workspace: Workspace
    levels: dict[tuple[str, LimitKind], Level] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._console = self.workspace.system(MONITOR_ACTOR, Role.RISK)

    def check(self) -> list[LimitStatus]:
        """Measure every mandate and react to levels that changed since the last check."""
        statuses = self._console.mandate_status()
        for status in statuses:
            key = (status.limit.scope, status.limit.kind)
            previous, self.levels[key] = self.levels.get(key, Level.OK), status.level
            if status.level is previous or status.level is Level.OK:
                continue
            limit = status.limit
            message = (f"{limit.kind.value} of {limit.scope} is {status.value:.4f} "
                       f"({status.level.value}: warn {limit.warn}, breach {limit.breach})")
            severity = "critical" if status.level is Level.BREACH else "warning"
            self._console.raise_alert(severity, f"mandate:{limit.scope}:{limit.kind.value}", message,
                                      {"value": str(status.value), "level": status.level.value,
                                       "action": limit.action.value})
            if status.level is Level.BREACH:
                self._act(limit.scope, limit.action, message)
        return statuses

    def _act(self, scope: str, action: BreachAction, reason: str) -> None:
        console = self._console
        try:
            if action is BreachAction.KILL_SWITCH:
                console.engage_kill_switch(f"mandate breach: {reason}")
            elif action is BreachAction.REDUCE:
                strategy = None if scope == GLOBAL else scope.removeprefix("strategy:")
                console.set_trading_state(TradingState.REDUCING, strategy=strategy, reason=f"breach: {reason}")
            elif action is BreachAction.HALT_STRATEGY:
                names = ([scope.removeprefix("strategy:")] if scope != GLOBAL
                         else [d.name for d in console.strategies() if d.lifecycle in ("paper", "live")])
                for name in names:
                    console.set_trading_state(TradingState.HALTED, strategy=name, reason=f"breach: {reason}")
        except InvalidInput as exc:
            console.raise_alert("critical", f"mandate:{scope}", f"breach action {action.value} not taken: {exc}")
