"""CcxtVenue over HTTP against the fake Binance: precision, orders, errors, retries and idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from athena.errors import InvalidConfig, InvalidOrder, NotAllowed, Unavailable
from athena.execution.ccxt_venue import (
    CcxtVenue,
    MarketRules,
    VenueAuthFailed,
    VenueOrderNotFound,
    VenueRejected,
    VenueUnavailable,
)
from athena.model import OrderStatus, Side
from athena.testing.fake_bybit import FakeBybit
from athena.testing.fake_exchange import FakeExchange, FakeMarket, connect_ccxt
from athena.testing.fake_venue import FakeVenue

ORDER = "POST /api/v3/order"


@pytest.fixture(params=["binance", "bybit"])
def either(request: pytest.FixtureRequest, sleeps: list[float]) -> Iterator[tuple[FakeVenue, CcxtVenue]]:
    """Yield a started fake Binance or fake Bybit and a venue on it, for the tests both must pass."""
    kind = FakeBybit if request.param == "bybit" else FakeExchange
    with kind() as server:
        client = server.connect()
        yield server, CcxtVenue(client, retries=3, backoff=0.5, sleep=sleeps.append)
        client.session.close()


def test_load_markets_when_exchange_has_filters_gives_exact_decimal_rules(venue: CcxtVenue) -> None:
    rules = venue.load_markets()

    assert rules["BTC/USDT"] == MarketRules("BTC/USDT", Decimal("0.01"), Decimal("0.00001"), Decimal("0.00001"),
                                            Decimal("5"))
    assert rules["ETH/USDT"].lot == Decimal("0.0001")


def test_submit_when_market_order_fills_returns_fills_and_average(fake: FakeExchange, venue: CcxtVenue) -> None:
    ack = venue.submit("mkt-1", "BTC/USDT", Side.BUY, "market", Decimal("0.01"))

    assert ack.status is OrderStatus.FILLED
    assert ack.client_order_id == "mkt-1"
    assert ack.filled_quantity == Decimal("0.01")
    assert ack.average_price == Decimal("30000")
    assert [(f.price, f.quantity, f.fee, f.fee_currency) for f in ack.fills] == [
        (Decimal("30000"), Decimal("0.01"), Decimal("0.00001"), "BTC")
    ]
    assert fake.requests(ORDER) == 1


def test_submit_when_limit_rests_is_open_then_filled_by_the_market(fake: FakeExchange, venue: CcxtVenue) -> None:
    ack = venue.submit("lim-1", "BTC/USDT", "buy", "limit", Decimal("0.1"), price=Decimal("29000.50"))
    assert ack.status is OrderStatus.OPEN
    assert [o.client_order_id for o in venue.open_orders()] == ["lim-1"]

    fake.fill_at("BTC/USDT", "29000")

    done = venue.fetch_order("BTC/USDT", client_order_id="lim-1")
    assert (done.status, done.filled_quantity, done.average_price) == (
        OrderStatus.FILLED, Decimal("0.1"), Decimal("29000.5"))
    assert venue.fetch_order("BTC/USDT", venue_order_id=ack.venue_order_id).status is OrderStatus.FILLED
    assert venue.open_orders() == []


def test_cancel_when_order_rests_cancels_it_and_frees_the_balance(venue: CcxtVenue) -> None:
    ack = venue.submit("can-1", "ETH/USDT", "sell", "limit", Decimal("1.5"), price=Decimal("2500"))
    assert venue.balances()["ETH"].used == Decimal("1.5")

    cancelled = venue.cancel("ETH/USDT", client_order_id="can-1")

    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.venue_order_id == ack.venue_order_id
    assert venue.open_orders("ETH/USDT") == []
    eth = venue.balances()["ETH"]
    assert (eth.free, eth.used, eth.total) == (Decimal("20"), Decimal("0"), Decimal("20"))


def test_cancel_when_order_is_unknown_raises_order_not_found(venue: CcxtVenue) -> None:
    with pytest.raises(VenueOrderNotFound):
        venue.cancel("BTC/USDT", client_order_id="never-sent")


def test_balances_when_account_holds_assets_are_decimals(venue: CcxtVenue) -> None:
    balances = venue.balances()

    assert balances["USDT"].free == Decimal("100000")
    assert balances["BTC"].total == Decimal("2")


def test_submit_when_same_id_and_content_is_resent_makes_one_order(fake: FakeExchange, venue: CcxtVenue) -> None:
    first = venue.submit("dup-1", "BTC/USDT", "buy", "market", Decimal("0.01"))
    again = venue.submit("dup-1", "BTC/USDT", "buy", "market", Decimal("0.01"))

    assert again.venue_order_id == first.venue_order_id
    assert fake.requests(ORDER) == 1


def test_submit_when_same_id_has_other_content_is_refused(fake: FakeExchange, venue: CcxtVenue) -> None:
    venue.submit("dup-2", "BTC/USDT", "buy", "limit", Decimal("0.01"), price=Decimal("29000"))

    with pytest.raises(VenueRejected, match="already used") as err:
        venue.submit("dup-2", "BTC/USDT", "buy", "limit", Decimal("0.02"), price=Decimal("29000"))
    assert err.value.reason == "DUPLICATE_CLIENT_ORDER_ID"
    assert fake.requests(ORDER) == 1


def test_submit_when_exchange_holds_the_id_open_is_rejected_as_duplicate(fake: FakeExchange, exchange: Any) -> None:
    CcxtVenue(exchange).submit("dup-3", "BTC/USDT", "buy", "limit", Decimal("0.01"), price=Decimal("29000"))
    restarted = CcxtVenue(exchange, sleep=lambda _: None)

    with pytest.raises(VenueRejected, match="Duplicate order sent") as err:
        restarted.submit("dup-3", "BTC/USDT", "buy", "limit", Decimal("0.01"), price=Decimal("29000"))
    assert err.value.reason == "DUPLICATE_CLIENT_ORDER_ID"
    assert len(fake.orders()) == 1


@pytest.mark.parametrize("kind", [429, 418, 500, 502, 503, 504])
def test_submit_when_exchange_fails_then_recovers_retries_and_makes_one_order(
    fake: FakeExchange, venue: CcxtVenue, sleeps: list[float], kind: int
) -> None:
    venue.load_markets()
    fake.inject_failures(2, kind, endpoint=ORDER)

    ack = venue.submit("retry-1", "BTC/USDT", "buy", "limit", Decimal("0.01"), price=Decimal("29000"))

    assert ack.status is OrderStatus.OPEN
    assert [o["clientOrderId"] for o in fake.orders()] == ["retry-1"]
    assert sleeps == [0.5, 1.0]
    assert fake.requests(ORDER) == 3
    assert fake.requests("GET /api/v3/order") == 2


def test_submit_when_answer_is_lost_after_the_order_was_made_finds_it_instead_of_resending(
    fake: FakeExchange, venue: CcxtVenue, sleeps: list[float]
) -> None:
    venue.load_markets()
    fake.inject_failures(1, 502, endpoint=ORDER, after_processing=True)

    ack = venue.submit("lost-1", "BTC/USDT", "buy", "market", Decimal("0.01"))

    assert ack.status is OrderStatus.FILLED
    assert [o["clientOrderId"] for o in fake.orders()] == ["lost-1"]
    assert fake.requests(ORDER) == 1
    assert sleeps == [0.5]


def test_submit_when_request_times_out_after_the_order_was_made_creates_one_order(
    fake: FakeExchange, exchange: Any, venue: CcxtVenue
) -> None:
    venue.load_markets()
    exchange.timeout = 300
    fake.timeout_delay = 0.6
    fake.inject_failures(1, "timeout", endpoint=ORDER, after_processing=True)

    ack = venue.submit("slow-1", "BTC/USDT", "sell", "limit", Decimal("0.5"), price=Decimal("31000"))

    assert ack.status is OrderStatus.OPEN
    assert [o["clientOrderId"] for o in fake.orders()] == ["slow-1"]


def test_submit_when_failures_outlast_the_retries_raises_unavailable(
    fake: FakeExchange, venue: CcxtVenue, sleeps: list[float]
) -> None:
    venue.load_markets()
    fake.inject_failures(10, 429, endpoint=ORDER)

    with pytest.raises(VenueUnavailable, match="after 4 attempts") as err:
        venue.submit("gone-1", "BTC/USDT", "buy", "limit", Decimal("0.01"), price=Decimal("29000"))

    assert isinstance(err.value, Unavailable)
    assert sleeps == [0.5, 1.0, 2.0]
    assert fake.orders() == []


def test_submit_when_exchange_rejects_does_not_retry(fake: FakeExchange, venue: CcxtVenue, sleeps: list[float]) -> None:
    with pytest.raises(VenueRejected, match="insufficient balance") as err:
        venue.submit("big-1", "BTC/USDT", "buy", "limit", Decimal("10"), price=Decimal("29000"))

    assert isinstance(err.value, InvalidOrder)
    assert fake.requests(ORDER) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("quantity", "price", "reason"),
    [
        (Decimal("0.01"), Decimal("29000.005"), "OFF_TICK"),
        (Decimal("0.000015"), Decimal("29000"), "OFF_LOT"),
        (Decimal("0.0001"), Decimal("29000"), "BELOW_MIN_QUANTITY"),
    ],
)
def test_submit_when_order_breaks_the_market_rules_is_refused_locally(
    fake: FakeExchange, venue: CcxtVenue, quantity: Decimal, price: Decimal, reason: str
) -> None:
    with pytest.raises(VenueRejected) as err:
        venue.submit("bad-1", "BTC/USDT", "buy", "limit", quantity, price=price)

    assert err.value.reason == reason
    assert fake.requests(ORDER) == 0


def test_submit_when_market_notional_is_below_minimum_is_refused_locally(fake: FakeExchange, venue: CcxtVenue) -> None:
    fake.set_price("BTC/USDT", "30000")

    with pytest.raises(VenueRejected, match="notional 3.00000 of BTC/USDT is below the minimum 5"):
        venue.submit("tiny-1", "BTC/USDT", "buy", "market", Decimal("0.0001"))
    assert fake.requests(ORDER) == 0


def test_submit_when_symbol_is_unknown_suggests_close_ones(venue: CcxtVenue) -> None:
    with pytest.raises(VenueRejected, match="unknown symbol 'BTC/USDC' on binance; did you mean BTC/USDT"):
        venue.submit("sym-1", "BTC/USDC", "buy", "market", Decimal("0.01"))


def test_private_call_when_signature_is_wrong_raises_auth_failed_without_retry(
    fake: FakeExchange, sleeps: list[float]
) -> None:
    client = connect_ccxt(fake, secret="wrong")
    try:
        venue = CcxtVenue(client, sleep=sleeps.append)
        with pytest.raises(VenueAuthFailed, match="Signature for this request is not valid") as err:
            venue.balances()
    finally:
        client.session.close()
    assert isinstance(err.value, NotAllowed)
    assert sleeps == []


def test_create_when_sandbox_is_on_points_at_the_testnet_without_a_request() -> None:
    venue = CcxtVenue.create("binance", sandbox=True)
    try:
        assert "testnet" in venue.exchange.urls["api"]["private"]
        assert "sandbox=True" in repr(venue)
    finally:
        venue.close()


def test_create_when_exchange_is_not_supported_raises() -> None:
    with pytest.raises(InvalidConfig, match="binance, bybit"):
        CcxtVenue.create("kraken")


def test_cancel_when_first_answer_is_lost_returns_the_cancelled_order(
    fake: FakeExchange, venue: CcxtVenue, sleeps: list[float]
) -> None:
    venue.submit("c-lost", "BTC/USDT", "buy", "limit", Decimal("0.01"), price=Decimal("29000"))
    fake.inject_failures(1, 503, endpoint="DELETE /api/v3/order", after_processing=True)

    ack = venue.cancel("BTC/USDT", client_order_id="c-lost")

    assert ack.status is OrderStatus.CANCELLED
    assert fake.requests("DELETE /api/v3/order") == 2
    assert sleeps == [0.5]


def test_create_when_bybit_sandbox_is_on_points_at_the_testnet() -> None:
    venue = CcxtVenue.create("bybit", sandbox=True)
    try:
        assert all("testnet" in url for url in venue.exchange.urls["api"].values() if isinstance(url, str))
    finally:
        venue.close()


def test_conversion_rate_when_markets_differ_uses_direct_inverse_or_usdt_cross() -> None:
    markets = (FakeMarket("BTC", "USDT"), FakeMarket("BNB", "USDT", price=Decimal(300)),
               FakeMarket("ETH", "BTC", tick=Decimal("0.00001"), price=Decimal("0.05")))
    with FakeExchange(markets=markets) as fake:
        client = connect_ccxt(fake)
        venue = CcxtVenue(client, retries=0)
        try:
            assert venue.conversion_rate("BNB", "USDT") == Decimal(300)
            assert venue.conversion_rate("BTC", "ETH") == 1 / Decimal("0.05")
            assert venue.conversion_rate("BNB", "BTC") == Decimal(300) / Decimal(30_000)
            assert venue.conversion_rate("XRP", "USDT") is None
            fake.stop()
            assert venue.conversion_rate("BNB", "USDT") is None
        finally:
            client.session.close()


def test_submit_when_price_falls_through_a_sell_stop_triggers_it_and_fills_at_the_market(
    either: tuple[FakeVenue, CcxtVenue],
) -> None:
    fake, venue = either
    ack = venue.submit("stop-1", "BTC/USDT", "sell", "stop", Decimal("0.01"), stop_price=Decimal("29000"))
    assert ack.status is OrderStatus.OPEN
    assert [o.client_order_id for o in venue.open_orders("BTC/USDT")] == ["stop-1"]

    assert fake.fill_at("BTC/USDT", "29500") == 0
    assert fake.fill_at("BTC/USDT", "28950") == 1

    done = venue.fetch_order("BTC/USDT", client_order_id="stop-1")
    assert (done.status, done.filled_quantity, done.average_price) == (
        OrderStatus.FILLED, Decimal("0.01"), Decimal("28950"))
    fills = venue.order_trades("BTC/USDT", done.venue_order_id)
    assert [(f.price, f.quantity, f.fee, f.fee_currency) for f in fills] == [
        (Decimal("28950"), Decimal("0.01"), Decimal("0.2895"), "USDT")]
    assert venue.balances()["BTC"].total == Decimal("1.99")
    assert venue.open_orders() == []


def test_submit_when_stop_limit_triggers_past_its_limit_rests_then_fills_at_the_limit(
    either: tuple[FakeVenue, CcxtVenue],
) -> None:
    fake, venue = either
    venue.submit("sl-1", "BTC/USDT", "sell", "stop", Decimal("0.01"), price=Decimal("28900"),
                 stop_price=Decimal("29000"))

    fake.fill_at("BTC/USDT", "28800")

    resting = venue.fetch_order("BTC/USDT", client_order_id="sl-1")
    assert (resting.status, resting.type, resting.price, resting.filled_quantity) == (
        OrderStatus.OPEN, "limit", Decimal("28900"), Decimal(0))
    assert fake.book() == [("sl-1", "NEW")]
    fake.fill_at("BTC/USDT", "29100")
    done = venue.fetch_order("BTC/USDT", client_order_id="sl-1")
    assert (done.status, done.average_price) == (OrderStatus.FILLED, Decimal("28900"))


def test_cancel_when_stop_is_untriggered_cancels_it_so_it_never_triggers(either: tuple[FakeVenue, CcxtVenue]) -> None:
    fake, venue = either
    ack = venue.submit("st-c", "BTC/USDT", "buy", "stop", Decimal("0.01"), stop_price=Decimal("31000"))

    cancelled = venue.cancel("BTC/USDT", client_order_id="st-c")

    assert (cancelled.status, cancelled.venue_order_id) == (OrderStatus.CANCELLED, ack.venue_order_id)
    assert fake.fill_at("BTC/USDT", "31500") == 0
    assert venue.fetch_order("BTC/USDT", client_order_id="st-c").status is OrderStatus.CANCELLED
    assert venue.open_orders() == []
    usdt = venue.balances()["USDT"]
    assert (usdt.free, usdt.used) == (Decimal("100000"), Decimal("0"))


def test_submit_when_price_moves_away_from_a_stop_leaves_it_untriggered(either: tuple[FakeVenue, CcxtVenue]) -> None:
    fake, venue = either
    venue.submit("st-away", "BTC/USDT", "sell", "stop", Decimal("0.01"), stop_price=Decimal("29000"))
    venue.submit("st-up", "BTC/USDT", "buy", "stop", Decimal("0.01"), stop_price=Decimal("31000"))

    assert fake.fill_at("BTC/USDT", "30900") == 0

    assert {o.client_order_id: (o.status, o.filled_quantity) for o in venue.open_orders()} == {
        "st-away": (OrderStatus.OPEN, Decimal(0)), "st-up": (OrderStatus.OPEN, Decimal(0))}
    assert fake.fill_at("BTC/USDT", "31000") == 1
    assert [o.client_order_id for o in venue.open_orders()] == ["st-away"]


@pytest.mark.parametrize(
    ("side", "stop", "message"),
    [
        ("sell", "30500", "a sell stop on BTC/USDT triggers when the price falls to stop_price, so stop_price must be "
                          "below the last price 30000, was 30500"),
        ("sell", "30000", "must be below the last price 30000, was 30000"),
        ("buy", "29500", "a buy stop on BTC/USDT triggers when the price rises to stop_price, so stop_price must be "
                         "above the last price 30000, was 29500"),
    ],
)
def test_submit_when_stop_is_on_the_wrong_side_of_the_price_is_refused_before_sending(
    either: tuple[FakeVenue, CcxtVenue], side: str, stop: str, message: str,
) -> None:
    fake, venue = either

    with pytest.raises(VenueRejected, match=message) as err:
        venue.submit("st-bad", "BTC/USDT", side, "stop", Decimal("0.01"), stop_price=Decimal(stop))

    assert err.value.reason == "INVALID"
    assert fake.requests(fake.order_endpoint) == 0
    assert fake.orders() == []


def test_submit_when_stop_symbol_never_traded_is_refused_before_sending(either: tuple[FakeVenue, CcxtVenue]) -> None:
    fake, venue = either
    fake.set_price("BTC/USDT", "0")

    with pytest.raises(VenueRejected, match="reports no last price for BTC/USDT .*: it has not traded") as err:
        venue.submit("st-none", "BTC/USDT", "sell", "stop", Decimal("0.01"), stop_price=Decimal("29000"))

    assert err.value.reason == "NO_MARKET_PRICE"
    assert fake.requests(fake.order_endpoint) == 0
