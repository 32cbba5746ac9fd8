"""Risk: trading states and the kill switch, mandates, VaR/CVaR, exposures and correlation.

Trading states load eagerly (the OMS checks them on every order); the analytics (``var``,
``exposures``, ...) load numpy and pandas on first use, so importing the OMS stays light.
"""

from importlib import import_module
from typing import Any

from athena.risk.trading_state import GLOBAL, effective_state, get_states, set_state, strategy_scope

_LAZY = {
    "var": "athena.risk.var",
    "value_at_risk": "athena.risk.var",
    "var_with_order": "athena.risk.var",
    "stressed_var": "athena.risk.var",
    "VaRResult": "athena.risk.var",
    "METHODS": "athena.risk.var",
    "horizon_periods": "athena.risk.var",
    "exposures": "athena.risk.exposures",
    "concentration": "athena.risk.exposures",
    "Exposures": "athena.risk.exposures",
    "Concentration": "athena.risk.exposures",
    "correlation_matrix": "athena.risk.correlation",
    "average_correlation": "athena.risk.correlation",
    "returns_of": "athena.risk.returns",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        # Importing athena.risk.var binds the submodule as ``var``; the function wins.
        globals()[name] = value
        return value
    raise AttributeError(f"module 'athena.risk' has no attribute {name!r}")


__all__ = ["GLOBAL", "effective_state", "get_states", "set_state", "strategy_scope", *_LAZY]
