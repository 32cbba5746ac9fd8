"""Fixtures: a fake Binance on 127.0.0.1, the real ccxt client on it, and a venue that never sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from athena.execution.ccxt_venue import CcxtVenue
from athena.testing.fake_exchange import FakeExchange, connect_ccxt


@pytest.fixture
def fake() -> Iterator[FakeExchange]:
    with FakeExchange() as server:
        yield server


@pytest.fixture
def exchange(fake: FakeExchange) -> Iterator[Any]:
    client = connect_ccxt(fake)
    yield client
    client.session.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def venue(exchange: Any, sleeps: list[float]) -> CcxtVenue:
    return CcxtVenue(exchange, retries=3, backoff=0.5, sleep=sleeps.append)
