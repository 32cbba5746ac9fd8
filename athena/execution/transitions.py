"""The order state machine as an explicit table: which status may follow which."""

from __future__ import annotations

from athena.model import OrderStatus as S

__all__ = ["TRANSITIONS", "can_transition"]

TRANSITIONS: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.SUBMITTED, S.DENIED, S.REJECTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.OPEN, S.PARTIALLY_FILLED, S.FILLED, S.REJECTED, S.PENDING_CANCEL, S.CANCELLED,
                            S.EXPIRED}),
    S.OPEN: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.PENDING_CANCEL, S.CANCELLED, S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.PENDING_CANCEL, S.CANCELLED, S.EXPIRED}),
    S.PENDING_CANCEL: frozenset({S.CANCELLED, S.PARTIALLY_FILLED, S.FILLED}),
    S.FILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.DENIED: frozenset(),
    S.EXPIRED: frozenset(),
}


def can_transition(current: S, target: S) -> bool:
    """Return whether an order in ``current`` may move to ``target``."""
    return target in TRANSITIONS[current]
