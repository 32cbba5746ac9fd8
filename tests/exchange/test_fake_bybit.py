"""CcxtVenue over HTTP against the fake Bybit v5 API with the real ccxt client: markets, orders, signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from athena.execution.ccxt_venue import CcxtVenue, MarketRules, VenueAuthFailed, VenueRejected
from athena.model import DenialReason, OrderStatus, Side
from athena.testing.fake_bybit import FakeBybit, connect_bybit
from athena.testing.fake_exchange import FakeExchange, connect_ccxt

CREATE = "POST /v5/order/create"


@pytest.fixture
def bybit() -> Iterator[FakeBybit]:
    with FakeBybit() as server:
        yield server


@pytest.fixture
def client(bybit: FakeBybit) -> Iterator[Any]:
    exchange = connect_bybit(bybit)
    yield exchange
    exchange.session.close()


@pytest.fixture
def venue(client: Any, sleeps: list[float]) -> CcxtVenue:
    return CcxtVenue(client, retries=3, backoff=0.5, sleep=sleeps.append)


def _signed_get(server: FakeBybit, path: str, query: str, secret: str) -> dict[str, Any]:
    stamp, window = str(int(time.time() * 1000)), "5000"
    sign = hmac.new(secret.encode(), (stamp + server.api_key + window + query).encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{server.url}{path}?{query}", headers={
        "X-BAPI-API-KEY": server.api_key, "X-BAPI-TIMESTAMP": stamp, "X-BAPI-RECV-WINDOW": window,
        "X-BAPI-SIGN": sign})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return dict(json.load(answer))


def test_signature_when_made_as_bybit_documents_is_accepted_and_a_wrong_secret_is_refused(bybit: FakeBybit) -> None:
    ok = _signed_get(bybit, "/v5/account/wallet-balance", "accountType=UNIFIED", bybit.secret)
    assert ok["retCode"] == 0 and {c["coin"] for c in ok["result"]["list"][0]["coin"]} == {"BTC", "ETH", "USDT"}
    refused = _signed_get(bybit, "/v5/account/wallet-balance", "accountType=UNIFIED", "not-the-secret")
    assert (refused["retCode"], refused["result"]) == (10004, {})


def test_private_call_when_secret_or_key_is_wrong_raises_auth_failed_without_retry(
    bybit: FakeBybit, sleeps: list[float],
) -> None:
    for key, secret in ((None, "wrong"), ("nobody", None)):
        exchange = connect_bybit(bybit, api_key=key, secret=secret)
        try:
            with pytest.raises(VenueAuthFailed, match="AuthenticationError"):
                CcxtVenue(exchange, retries=3, sleep=sleeps.append).balances()
        finally:
            exchange.session.close()
    assert sleeps == []


def test_load_markets_when_bybit_lists_spot_instruments_gives_exact_decimal_rules(venue: CcxtVenue) -> None:
    rules = venue.load_markets()
    assert rules["BTC/USDT"] == MarketRules("BTC/USDT", Decimal("0.01"), Decimal("0.00001"), Decimal("0.00001"),
                                            Decimal("5"))
    assert rules["ETH/USDT"].lot == Decimal("0.0001")


def test_fetch_ohlcv_when_bybit_answers_newest_first_gives_the_same_bars_as_the_fake_binance(
    bybit: FakeBybit, client: Any,
) -> None:
    with FakeExchange(seed=bybit.seed, history_start=bybit.history_start) as binance:
        other = connect_ccxt(binance)
        try:
            expected = other.fetch_ohlcv("BTC/USDT", "1h", since=1_704_067_200_000, limit=5)
        finally:
            other.session.close()
    bars = client.fetch_ohlcv("BTC/USDT", "1h", since=1_704_067_200_000, limit=5)
    assert [b[:5] for b in bars] == [b[:5] for b in expected] and len(bars) == 5
    assert [b[0] for b in bars] == [1_704_067_200_000 + i * 3_600_000 for i in range(5)]


def test_submit_when_market_order_fills_reads_the_order_back_with_fills_and_fee(
    bybit: FakeBybit, venue: CcxtVenue,
) -> None:
    ack = venue.submit("mkt-1", "BTC/USDT", Side.BUY, "market", Decimal("0.01"))
    assert (ack.status, ack.client_order_id, ack.filled_quantity, ack.average_price) == (
        OrderStatus.FILLED, "mkt-1", Decimal("0.01"), Decimal("30000"))
    fills = venue.order_trades("BTC/USDT", ack.venue_order_id)
    assert [(f.price, f.quantity, f.fee, f.fee_currency) for f in fills] == [
        (Decimal("30000"), Decimal("0.01"), Decimal("0.00001"), "BTC")]
    assert bybit.requests(CREATE) == 1


def test_orders_when_limit_rests_fills_later_and_another_is_cancelled_follow_the_exchange(
    bybit: FakeBybit, venue: CcxtVenue,
) -> None:
    resting = venue.submit("lim-1", "BTC/USDT", "buy", "limit", Decimal("0.1"), price=Decimal("29000.50"))
    other = venue.submit("can-1", "ETH/USDT", "sell", "limit", Decimal("1.5"), price=Decimal("2500"))
    assert (resting.status, other.status) == (OrderStatus.OPEN, OrderStatus.OPEN)
    assert sorted(o.client_order_id or "" for o in venue.open_orders()) == ["can-1", "lim-1"]
    assert venue.balances()["ETH"].used == Decimal("1.5")
    bybit.fill_at("BTC/USDT", "29000")
    done = venue.fetch_order("BTC/USDT", client_order_id="lim-1")
    assert (done.status, done.filled_quantity, done.average_price) == (
        OrderStatus.FILLED, Decimal("0.1"), Decimal("29000.5"))
    cancelled = venue.cancel("ETH/USDT", client_order_id="can-1")
    assert (cancelled.status, cancelled.venue_order_id) == (OrderStatus.CANCELLED, other.venue_order_id)
    eth = venue.balances()["ETH"]
    assert (eth.free, eth.used, eth.total) == (Decimal("20"), Decimal("0"), Decimal("20"))
    assert venue.open_orders() == []


def test_submit_when_rate_limited_then_answer_lost_retries_and_makes_one_order(
    bybit: FakeBybit, venue: CcxtVenue, sleeps: list[float],
) -> None:
    bybit.inject_failures(1, 429, endpoint=CREATE)
    bybit.inject_failures(1, 502, endpoint=CREATE, after_processing=True)
    ack = venue.submit("r-1", "BTC/USDT", "buy", "limit", Decimal("0.01"), price=Decimal("29000"))
    assert (ack.status, ack.client_order_id) == (OrderStatus.OPEN, "r-1")
    assert bybit.book() == [("r-1", "NEW")]
    assert sleeps == [0.5, 1.0]


def test_submit_when_link_id_is_open_at_bybit_already_is_rejected_as_duplicate(
    bybit: FakeBybit, client: Any, venue: CcxtVenue,
) -> None:
    client.create_order("BTC/USDT", "limit", "buy", 0.01, 29000, {"clientOrderId": "dup-1"})
    with pytest.raises(VenueRejected) as refused:
        venue.submit("dup-1", "BTC/USDT", "buy", "limit", Decimal("0.02"), price=Decimal("28000"))
    assert refused.value.reason == DenialReason.DUPLICATE_CLIENT_ORDER_ID
    assert len(bybit.book()) == 1


def test_create_when_ccxt_sends_a_spot_stop_waits_untriggered_unreserved_and_listed_as_open(
    bybit: FakeBybit, client: Any,
) -> None:
    placed = client.create_order("BTC/USDT", "market", "sell", 0.01, None, {"triggerPrice": 29000})

    [record] = bybit.orders()
    assert (record["orderStatus"], record["orderType"], record["triggerPrice"], record["triggerDirection"],
            record["stopOrderType"], record["leavesQty"]) == (
        "Untriggered", "Market", "29000.00000000", 2, "Stop", "0.01000000")
    assert bybit.balance("BTC") == (Decimal(2), Decimal(0))
    [listed] = client.fetch_open_orders("BTC/USDT")
    assert (listed["id"], listed["status"], listed["triggerPrice"]) == (placed["id"], "open", 29000)
    assert client.fetch_open_orders("BTC/USDT", params={"orderFilter": "Order"}) == []
    assert [o["id"] for o in client.fetch_open_orders("BTC/USDT", params={"trigger": True})] == [placed["id"]]


def test_create_when_stop_buy_is_placed_above_the_price_triggers_on_a_rise_and_reserves_then(
    bybit: FakeBybit, client: Any,
) -> None:
    client.create_order("BTC/USDT", "limit", "buy", 0.1, 31100, {"triggerPrice": 31000})
    assert bybit.orders()[0]["triggerDirection"] == 1
    assert bybit.fill_at("BTC/USDT", "29000") == 0

    bybit.fill_at("BTC/USDT", "31200")

    assert bybit.book() == [(bybit.orders()[0]["orderLinkId"], "NEW")]
    assert bybit.balance("USDT") == (Decimal(100_000) - Decimal("3110"), Decimal("3110"))


def test_cancel_when_stop_is_asked_for_as_a_plain_order_is_not_found_and_as_a_stop_is_deactivated(
    bybit: FakeBybit, client: Any,
) -> None:
    import ccxt

    placed = client.create_order("BTC/USDT", "market", "sell", 0.01, None, {"triggerPrice": 29000})
    with pytest.raises(ccxt.OrderNotFound, match="170213"):
        client.cancel_order(placed["id"], "BTC/USDT")

    client.cancel_order(placed["id"], "BTC/USDT", {"trigger": True})

    [gone] = client.fetch_canceled_and_closed_orders("BTC/USDT", params={"trigger": True})
    assert (gone["status"], gone["info"]["orderStatus"]) == ("canceled", "Deactivated")
    assert bybit.fill_at("BTC/USDT", "28000") == 0


def test_cancel_when_venue_cancels_an_untriggered_stop_asks_again_as_a_stop(
    bybit: FakeBybit, venue: CcxtVenue,
) -> None:
    venue.submit("st-1", "BTC/USDT", "sell", "stop", Decimal("0.01"), stop_price=Decimal("29000"))

    assert venue.cancel("BTC/USDT", client_order_id="st-1").status is OrderStatus.CANCELLED

    assert bybit.requests("POST /v5/order/cancel") == 2
    assert bybit.orders()[0]["orderStatus"] == "Deactivated"


def test_tpsl_order_when_placed_reserves_at_once_and_cancelling_it_releases(bybit: FakeBybit, client: Any) -> None:
    placed = client.create_order("BTC/USDT", "limit", "sell", 0.5, 28900, {"stopLossPrice": 29000})
    assert bybit.orders()[0]["stopOrderType"] == "tpslOrder"
    assert bybit.balance("BTC") == (Decimal("1.5"), Decimal("0.5"))

    client.cancel_order(placed["id"], "BTC/USDT", {"orderFilter": "tpslOrder"})

    assert bybit.balance("BTC") == (Decimal(2), Decimal(0))
    assert bybit.orders()[0]["orderStatus"] == "Deactivated"


def test_trigger_when_the_balance_no_longer_covers_a_stop_rejects_it(bybit: FakeBybit, venue: CcxtVenue) -> None:
    venue.submit("st-big", "BTC/USDT", "buy", "stop", Decimal("1"), stop_price=Decimal("31000"))
    venue.submit("eats-cash", "BTC/USDT", "buy", "limit", Decimal("3"), price=Decimal("29000"))

    assert bybit.fill_at("BTC/USDT", "31000") == 0

    ack = venue.fetch_order("BTC/USDT", client_order_id="st-big")
    assert (ack.status, ack.filled_quantity) == (OrderStatus.REJECTED, Decimal(0))
    assert bybit.balance("USDT") == (Decimal(13_000), Decimal(87_000))


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ({"orderFilter": "Stop", "triggerPrice": "29000"}, 170202, "Invalid orderFilter parameter."),
        ({"orderFilter": "StopOrder"}, 170105, "Parameter 'triggerPrice' was empty."),
        ({"orderFilter": "StopOrder", "triggerPrice": "soon"}, 170130, "parameter 'triggerPrice' is not valid"),
        ({"orderFilter": "StopOrder", "triggerPrice": "-5"}, 170130, "parameter 'triggerPrice' is not valid"),
        ({"orderFilter": "StopOrder", "triggerPrice": "30000"}, 170130, "parameter 'triggerPrice' is not valid"),
        ({"triggerPrice": "29000"}, 170130, "parameter 'triggerPrice' is not valid"),
        ({"orderFilter": "StopOrder", "triggerPrice": "29000.001"}, 170134, "Order price decimal too long."),
        ({"orderFilter": "StopOrder", "triggerPrice": "29000", "price": "26000"}, 170204,
         "trigger price cannot be higher than 110% price."),
        ({"orderFilter": "StopOrder", "triggerPrice": "29000", "price": "33000"}, 170206,
         "trigger price cannot be lower than 90% price."),
    ],
)
def test_create_when_conditional_params_are_bad_refuses_as_bybit_does(
    bybit: FakeBybit, client: Any, extra: dict[str, str], code: int, message: str,
) -> None:
    import ccxt

    request = {"category": "spot", "symbol": "BTCUSDT", "side": "Sell", "qty": "0.01",
               "orderType": "Limit" if "price" in extra else "Market", "marketUnit": "baseCoin", **extra}
    with pytest.raises(ccxt.BaseError, match=str(code)) as err:
        client.privatePostV5OrderCreate(request)
    assert message in str(err.value)
    assert bybit.orders() == [] and bybit.balance("BTC") == (Decimal(2), Decimal(0))


def test_submit_when_bybit_refuses_a_stop_limit_far_from_its_trigger_says_why(
    bybit: FakeBybit, venue: CcxtVenue,
) -> None:
    with pytest.raises(VenueRejected, match="trigger price cannot be higher than 110% price") as err:
        venue.submit("sl-far", "BTC/USDT", "sell", "stop", Decimal("0.01"), price=Decimal("26000"),
                     stop_price=Decimal("29000"))
    assert err.value.reason == "EXCHANGE"
    assert bybit.orders() == []
