from __future__ import annotations

import pytest

from athena.execution import TRANSITIONS, can_transition
from athena.model import OrderStatus

TERMINAL = {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.DENIED,
            OrderStatus.EXPIRED}


def test_table_when_read_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_terminal_status_when_left_is_refused(status: OrderStatus) -> None:
    assert all(not can_transition(status, target) for target in OrderStatus)
    assert not status.is_open


def test_open_statuses_when_listed_are_exactly_the_non_terminal() -> None:
    assert {s for s in OrderStatus if s.is_open} == set(OrderStatus) - TERMINAL


@pytest.mark.parametrize(("current", "target"), [
    (OrderStatus.NEW, OrderStatus.FILLED),
    (OrderStatus.OPEN, OrderStatus.SUBMITTED),
    (OrderStatus.PENDING_CANCEL, OrderStatus.OPEN),
    (OrderStatus.FILLED, OrderStatus.CANCELLED),
])
def test_can_transition_when_skipping_or_going_back_refuses(current: OrderStatus, target: OrderStatus) -> None:
    assert not can_transition(current, target)


def test_every_status_when_walking_from_new_is_reachable() -> None:
    reachable = {OrderStatus.NEW}
    frontier = [OrderStatus.NEW]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(OrderStatus)
