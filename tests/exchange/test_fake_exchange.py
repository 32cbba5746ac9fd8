"""The fake Binance speaks enough of the API for the real ccxt client."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt
import pytest

from athena.execution.ccxt_venue import CcxtVenue
from athena.testing.fake_exchange import FakeExchange, connect_ccxt


def test_load_markets_when_fake_serves_exchange_info_precision_comes_from_filters(exchange: Any) -> None:
    markets = exchange.load_markets()

    btc = markets["BTC/USDT"]
    assert btc["precision"]["price"] == 0.01
    assert btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["amount"]["min"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5.0
    assert set(markets) == {"BTC/USDT", "ETH/USDT"}


def test_fetch_ohlcv_when_asked_twice_returns_the_same_deterministic_bars(exchange: Any) -> None:
    first = exchange.fetch_ohlcv("BTC/USDT", "1h", since=1_704_067_200_000, limit=5)
    second = exchange.fetch_ohlcv("BTC/USDT", "1h", since=1_704_067_200_000, limit=5)

    assert first == second
    assert [row[0] for row in first] == [1_704_067_200_000 + k * 3_600_000 for k in range(5)]
    assert all(row[2] >= max(row[1], row[4]) and row[3] <= min(row[1], row[4]) for row in first)


def test_create_order_when_client_id_is_open_already_is_rejected_as_duplicate(exchange: Any) -> None:
    exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 29_000, {"clientOrderId": "dup-1"})

    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 29_000, {"clientOrderId": "dup-1"})


def test_signed_request_when_secret_is_wrong_raises_authentication_error(fake: FakeExchange) -> None:
    client = connect_ccxt(fake, secret="not-the-secret")
    try:
        with pytest.raises(ccxt.AuthenticationError, match="-1022"):
            client.fetch_balance()
    finally:
        client.session.close()


def test_signed_request_when_api_key_is_unknown_raises_authentication_error(fake: FakeExchange) -> None:
    client = connect_ccxt(fake, api_key="someone-else")
    try:
        with pytest.raises(ccxt.AuthenticationError, match="-2015"):
            client.fetch_balance()
    finally:
        client.session.close()


@pytest.mark.parametrize(("kind", "error"), [(429, ccxt.DDoSProtection), (418, ccxt.DDoSProtection),
                                             (503, ccxt.ExchangeNotAvailable)])
def test_request_when_failure_is_injected_raises_the_ccxt_error_once(
    fake: FakeExchange, exchange: Any, kind: int, error: type[Exception]
) -> None:
    exchange.load_markets()
    fake.inject_failures(1, kind)

    with pytest.raises(error):
        exchange.fetch_ticker("BTC/USDT")
    assert exchange.fetch_ticker("BTC/USDT")["last"] == 30_000.0
    assert fake.requests("GET /api/v3/ticker/24hr") == 2


def test_request_when_timeout_is_injected_raises_request_timeout(fake: FakeExchange, exchange: Any) -> None:
    fake.timeout_delay = 1.0
    exchange.timeout = 200
    fake.inject_failures(1, "timeout")

    with pytest.raises(ccxt.RequestTimeout):
        exchange.fetch_balance()


def test_fill_at_when_price_reaches_a_resting_limit_fills_it_and_moves_balances(
    fake: FakeExchange, exchange: Any
) -> None:
    order = exchange.create_order("BTC/USDT", "limit", "buy", 0.1, 29_000, {"clientOrderId": "rest-1"})
    assert fake.balance("USDT") == (Decimal("97100"), Decimal("2900"))

    assert fake.fill_at("BTC/USDT", "29500") == 0
    assert fake.fill_at("BTC/USDT", "28900") == 1

    filled = exchange.fetch_order(order["id"], "BTC/USDT")
    assert filled["status"] == "closed"
    assert filled["average"] == 29_000.0
    assert fake.balance("USDT") == (Decimal("97100"), Decimal(0))
    assert fake.balance("BTC") == (Decimal("2.0999"), Decimal(0))


def test_split_next_fill_when_set_charges_each_execution_in_its_currency_and_moves_balances() -> None:
    with FakeExchange(balances={"USDT": Decimal(100_000), "BNB": Decimal(1)}) as fake:
        venue = CcxtVenue(connect_ccxt(fake), sleep=lambda _: None)
        fake.split_next_fill(("0.004", "BNB"), ("0.004", "USDT"))
        ack = venue.submit("split-1", "BTC/USDT", "buy", "market", Decimal("0.01"))
        venue.close()
        # By hand, 0.1 % of each execution at 30,000: 0.12 USDT as 0.12 / 300 = 0.0004 BNB (no BNB market:
        # fee_asset_price), 0.12 USDT, and the 0.002 left as usual in the BTC received: 0.000002 BTC.
        assert [(f.quantity, f.fee, f.fee_currency) for f in ack.fills] == [
            (Decimal("0.004"), Decimal("0.0004"), "BNB"), (Decimal("0.004"), Decimal("0.12"), "USDT"),
            (Decimal("0.002"), Decimal("0.000002"), "BTC")]
        assert fake.balance("BTC") == (Decimal("0.009998"), Decimal(0))
        assert fake.balance("USDT") == (Decimal(100_000) - 300 - Decimal("0.12"), Decimal(0))
        assert fake.balance("BNB") == (Decimal("0.9996"), Decimal(0))
