"""Trading states in the database, read inside the transaction that accepts an order.

On PostgreSQL the global row is read ``FOR SHARE``: an order acceptance and a kill switch
(which updates that row) exclude each other, so once the HALTED state commits no later
acceptance can have read ACTIVE. On SQLite every write transaction is exclusive already.

Share locks on a row do not queue behind a waiting update, so under a stream of acceptances
an update of the global row could wait until they happen to pause. The kill switch therefore
first calls :func:`hold_acceptances`, a table lock that new acceptances queue behind, so it
waits only for those already under way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from athena.model import TradingState
from athena.store import TradingStateRow

__all__ = ["GLOBAL", "effective_state", "get_states", "hold_acceptances", "set_state", "strategy_scope"]

GLOBAL = "global"
_RANK = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


def strategy_scope(name: str) -> str:
    """Return the scope key of a strategy."""
    return f"strategy:{name}"


# Built once: every order acceptance reads the states.
_STATE = select_columns(col(TradingStateRow.state)).where(col(TradingStateRow.scope) == bindparam("scope"))
_STATE_SHARED = _STATE.with_for_update(read=True)


def _state(s: Session, scope: str, lock: bool) -> TradingState | None:
    s.flush()
    state = s.connection().execute(_STATE_SHARED if lock else _STATE, {"scope": scope}).scalar()
    return TradingState(state) if state else None


def effective_state(s: Session, strategy: str | None) -> tuple[TradingState, str]:
    """Return the stricter of the global and the strategy's state, and the scope it comes from."""
    state = _state(s, GLOBAL, lock=True) or TradingState.ACTIVE
    scope = GLOBAL
    if strategy:
        own = _state(s, strategy_scope(strategy), lock=True)
        if own is not None and _RANK[own] > _RANK[state]:
            state, scope = own, strategy_scope(strategy)
    return state, scope


def hold_acceptances(s: Session) -> None:
    """Make order acceptances that have not read the trading state yet wait for this transaction (PostgreSQL).

    ``EXCLUSIVE`` conflicts with the ``ROW SHARE`` lock a ``FOR SHARE`` read takes, and not
    with plain reads, so dashboards keep reading states while it is held.
    """
    if s.connection().dialect.name == "postgresql":
        s.connection().execute(text("LOCK TABLE trading_states IN EXCLUSIVE MODE"))


def get_states(s: Session) -> dict[str, TradingState]:
    """Return every scope's state."""
    return {row.scope: TradingState(row.state) for row in s.exec(select(TradingStateRow))}


def set_state(s: Session, scope: str, state: TradingState, reason: str, by: str, now: datetime) -> TradingState | None:
    """Set a scope's state; return the previous one (None if the scope was new)."""
    row = s.get(TradingStateRow, scope)
    previous = TradingState(row.state) if row else None
    s.merge(TradingStateRow(scope=scope, state=state.value, reason=reason, updated_by=by, updated_at=now))
    return previous
