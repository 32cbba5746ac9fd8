"""Risk: trading states (ACTIVE, REDUCING, HALTED) per scope, and the kill switch."""

from athena.risk.trading_state import GLOBAL, effective_state, get_states, set_state, strategy_scope

__all__ = ["GLOBAL", "effective_state", "get_states", "set_state", "strategy_scope"]
