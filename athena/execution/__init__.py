"""Execution: the order state machine, the OMS and the paper venue."""

from athena.execution.oms import (
    accept,
    cancel,
    cancel_open,
    get_order,
    list_fills,
    list_orders,
    positions,
    record_fill,
    to_order,
    transition,
)
from athena.execution.paper import PaperVenue
from athena.execution.transitions import TRANSITIONS, can_transition

__all__ = [
    "TRANSITIONS",
    "PaperVenue",
    "accept",
    "can_transition",
    "cancel",
    "cancel_open",
    "get_order",
    "list_fills",
    "list_orders",
    "positions",
    "record_fill",
    "to_order",
    "transition",
]
