"""A local fake of the Binance spot REST API, for testing the real ccxt client over HTTP.

:class:`FakeExchange` serves ``/api/v3`` on ``127.0.0.1`` at a free port from a background thread:
``exchangeInfo`` (PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL filters), ``ticker/price``, ``ticker/24hr``,
``klines`` (deterministic seeded bars, ``startTime``/``endTime``/``limit``), ``time``, and the signed
``order`` (POST, GET, DELETE), ``openOrders`` and ``account``. Signed requests must carry the
configured API key in ``X-MBX-APIKEY`` and an HMAC-SHA256 of the query with the configured secret;
errors are Binance's JSON ``{"code": ..., "msg": ...}`` with Binance's HTTP status.

Test hooks: :meth:`FakeExchange.inject_failures` (HTTP 429/418/5xx or a timeout on the next
requests), :meth:`FakeExchange.fill_at` (move the price and fill resting orders),
:meth:`FakeExchange.requests` (requests seen per endpoint). :func:`connect_ccxt` builds a
``ccxt.binance`` pointed at the server. ccxt is imported only inside :func:`connect_ccxt`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FakeExchange", "FakeMarket", "connect_ccxt"]

_PREFIX = "/api/v3/"
_ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]
_INTERVALS = {"1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14400,
              "6h": 21600, "8h": 28800, "12h": 43200, "1d": 86400, "3d": 259200, "1w": 604800}
_SIGNED = {"order", "openOrders", "account", "myTrades"}
_FEE = Decimal("0.001")


@dataclass(frozen=True)
class FakeMarket:
    """One spot market of the fake exchange and its Binance filters."""

    base: str
    quote: str
    tick: Decimal = Decimal("0.01")
    step: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    min_notional: Decimal = Decimal("5")
    price: Decimal = Decimal("30000")

    @property
    def id(self) -> str:
        """Return the Binance market id, e.g. ``BTCUSDT``."""
        return self.base + self.quote


class _ApiError(Exception):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


@dataclass
class _Failure:
    kind: int | str
    endpoint: str | None
    after_processing: bool


@dataclass
class _Order:
    id: int
    client_id: str
    market: FakeMarket
    side: str
    type: str
    tif: str
    quantity: Decimal
    price: Decimal
    stop_price: Decimal
    time: int
    status: str = "NEW"
    filled: Decimal = Decimal(0)
    quote_filled: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)
    fills: list[dict[str, Any]] = field(default_factory=list)
    update_time: int = 0


def _fmt(value: Decimal) -> str:
    return f"{value:.8f}"


def _now_ms() -> int:
    return int(time.time() * 1000)


class FakeExchange:
    """A thread-served fake Binance spot REST API on 127.0.0.1.

    Parameters
    ----------
    api_key, secret : str
        The credentials signed requests must carry.
    markets : sequence of FakeMarket, optional
        Defaults to BTC/USDT at 30,000 and ETH/USDT at 2,000.
    balances : dict[str, Decimal], optional
        Free balances of the account; defaults to 100,000 USDT, 2 BTC and 20 ETH.
    seed : int
        Seeds the deterministic klines.
    history_start : int
        Epoch milliseconds of the first kline of every market.
    fee_asset : str, optional
        Charge fees in this currency (as Binance does in BNB) while the account holds enough of it;
        the amount is the fee's quote value at the ``FEE_ASSET/QUOTE`` market's price, or at
        ``fee_asset_price`` when the fake lists no such market.
    fee_asset_price : Decimal
        Price of ``fee_asset`` in any quote currency when no market prices it.
    """

    def __init__(
        self,
        api_key: str = "test-key",
        secret: str = "test-secret",
        *,
        markets: tuple[FakeMarket, ...] | None = None,
        balances: dict[str, Decimal] | None = None,
        seed: int = 7,
        history_start: int = 1_704_067_200_000,
        fee_asset: str | None = None,
        fee_asset_price: Decimal = Decimal(300),
    ) -> None:
        self.api_key = api_key
        self.fee_asset = fee_asset
        self.fee_asset_price = fee_asset_price
        self.secret = secret
        self.seed = seed
        self.history_start = history_start
        self.timeout_delay = 2.0
        default = (
            FakeMarket("BTC", "USDT"),
            FakeMarket("ETH", "USDT", step=Decimal("0.0001"), min_qty=Decimal("0.0001"), price=Decimal("2000")),
        )
        self.markets = {m.id: m for m in (markets or default)}
        self._prices = {m.id: m.price for m in self.markets.values()}
        start = balances or {"USDT": Decimal(100_000), "BTC": Decimal(2), "ETH": Decimal(20)}
        self._free: dict[str, Decimal] = {k: Decimal(v) for k, v in start.items()}
        self._locked: dict[str, Decimal] = {}
        self._orders: dict[int, _Order] = {}
        self._next_id = 1000
        self._next_trade = 1
        self._failures: list[_Failure] = []
        self._counts: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeExchange:
        """Start serving on a free port of 127.0.0.1 and return ``self``."""
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = False
        server.block_on_close = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed handlers, join every thread and close the socket."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None

    def __enter__(self) -> FakeExchange:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """Return the port served (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("the fake exchange is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Return ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def inject_failures(
        self, count: int, kind: int | str = 429, *, endpoint: str | None = None, after_processing: bool = False
    ) -> None:
        """Fail the next ``count`` requests (to ``endpoint`` only, when given).

        Parameters
        ----------
        count : int
            How many requests fail.
        kind : int or str
            An HTTP status (429, 418, 500, 502, 503, 504) or ``"timeout"`` (no answer for
            ``timeout_delay`` seconds, then the connection is closed).
        endpoint : str, optional
            ``"METHOD /path"``, e.g. ``"POST /api/v3/order"``.
        after_processing : bool
            Process the request (an order is created) before failing: the answer is lost.
        """
        with self._lock:
            self._failures.extend(_Failure(kind, endpoint, after_processing) for _ in range(count))

    def requests(self, endpoint: str | None = None) -> int:
        """Return how many requests reached ``endpoint`` (``"METHOD /path"``), or all when omitted."""
        with self._lock:
            return self._counts[endpoint] if endpoint else sum(self._counts.values())

    def set_price(self, symbol: str, price: Decimal | str) -> None:
        """Set the last price of ``symbol`` (a market id or ``BASE/QUOTE``) without filling anything."""
        with self._lock:
            self._prices[self._market(symbol.replace("/", "")).id] = Decimal(price)

    def fill_at(self, symbol: str, price: Decimal | str) -> int:
        """Move the price of ``symbol`` and fill every resting order it reaches; return fills made."""
        with self._lock:
            market = self._market(symbol.replace("/", ""))
            value = Decimal(price)
            self._prices[market.id] = value
            made = 0
            for order in list(self._orders.values()):
                if order.market is market and order.status in ("NEW", "PARTIALLY_FILLED"):
                    made += self._match(order, value, resting=True)
            return made

    def orders(self) -> list[dict[str, Any]]:
        """Return every order in Binance's query format, oldest first."""
        with self._lock:
            return [self._order_json(o) for o in self._orders.values()]

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """Return the free and locked balance of ``asset``."""
        with self._lock:
            return self._free.get(asset, Decimal(0)), self._locked.get(asset, Decimal(0))

    def _handle(self, method: str, path: str, query: str, body: str, headers: dict[str, str]) -> tuple[int, Any]:
        endpoint = f"{method} {path}"
        with self._lock:
            self._counts[endpoint] += 1
            failure = next((f for f in self._failures if f.endpoint in (None, endpoint)), None)
            if failure is not None:
                self._failures.remove(failure)
        if failure is not None and not failure.after_processing:
            return self._fail(failure)
        try:
            result: tuple[int, Any] = (200, self._route(method, path, query, body, headers))
        except _ApiError as err:
            result = (err.status, {"code": err.code, "msg": err.msg})
        return self._fail(failure) if failure is not None else result

    def _fail(self, failure: _Failure) -> tuple[int, Any]:
        if failure.kind == "timeout":
            self._stopping.wait(self.timeout_delay)
            return (0, None)
        status = int(failure.kind)
        if status in (418, 429):
            return (status, {"code": -1003, "msg": "Too many requests; current limit is 6000 weight per 1 MINUTE."})
        return (status, f"<html><body>{status} Server Error</body></html>")

    def _route(self, method: str, path: str, query: str, body: str, headers: dict[str, str]) -> Any:
        name = path[len(_PREFIX):] if path.startswith(_PREFIX) else ""
        params = dict(parse_qsl(query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        if name in _SIGNED:
            self._verify(query, body, params, headers)
        with self._lock:
            if (method, name) == ("GET", "time"):
                return {"serverTime": _now_ms()}
            if (method, name) == ("GET", "ping"):
                return {}
            if (method, name) == ("GET", "exchangeInfo"):
                return self._exchange_info()
            if (method, name) == ("GET", "ticker/price"):
                return self._each_market(params, lambda m: {"symbol": m.id, "price": _fmt(self._prices[m.id])})
            if (method, name) == ("GET", "ticker/24hr"):
                return self._each_market(params, self._ticker)
            if (method, name) == ("GET", "klines"):
                return self._klines(params)
            if (method, name) == ("POST", "order"):
                return self._create(params)
            if (method, name) == ("GET", "order"):
                return self._order_json(self._find(params))
            if (method, name) == ("DELETE", "order"):
                return self._cancel(params)
            if (method, name) == ("GET", "openOrders"):
                symbol = params.get("symbol")
                market = self._market(symbol) if symbol else None
                return [self._order_json(o) for o in self._orders.values()
                        if o.status in ("NEW", "PARTIALLY_FILLED") and market in (None, o.market)]
            if (method, name) == ("GET", "account"):
                return self._account()
            if (method, name) == ("GET", "myTrades"):
                return self._my_trades(params)
        raise _ApiError(404, -1000, f"unknown endpoint {method} {path}")

    def _verify(self, query: str, body: str, params: dict[str, str], headers: dict[str, str]) -> None:
        key = headers.get("x-mbx-apikey")
        if not key:
            raise _ApiError(401, -2014, "API-key format invalid.")
        if not hmac.compare_digest(key, self.api_key):
            raise _ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        payload = "&".join(p for part in (query, body) for p in part.split("&") if p and not p.startswith("signature="))
        expected = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, params.get("signature", "")):
            raise _ApiError(400, -1022, "Signature for this request is not valid.")
        stamp = int(params.get("timestamp", "0"))
        window = int(params.get("recvWindow", "5000"))
        if not 0 <= _now_ms() - stamp + 1000 <= window + 1000:
            raise _ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")

    def _market(self, market_id: str) -> FakeMarket:
        market = self.markets.get(market_id)
        if market is None:
            raise _ApiError(400, -1121, "Invalid symbol.")
        return market

    def _each_market(self, params: dict[str, str], render: Any) -> Any:
        if "symbol" in params:
            return render(self._market(params["symbol"]))
        return [render(m) for m in self.markets.values()]

    def _exchange_info(self) -> dict[str, Any]:
        symbols = [
            {
                "symbol": m.id, "status": "TRADING", "baseAsset": m.base, "baseAssetPrecision": 8,
                "quoteAsset": m.quote, "quotePrecision": 8, "quoteAssetPrecision": 8, "orderTypes": _ORDER_TYPES,
                "icebergAllowed": True, "ocoAllowed": True, "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False, "permissions": ["SPOT"],
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": _fmt(m.tick), "maxPrice": "1000000.00000000",
                     "tickSize": _fmt(m.tick)},
                    {"filterType": "LOT_SIZE", "minQty": _fmt(m.min_qty), "maxQty": "9000.00000000",
                     "stepSize": _fmt(m.step)},
                    {"filterType": "MIN_NOTIONAL", "minNotional": _fmt(m.min_notional), "applyToMarket": True,
                     "avgPriceMins": 5},
                ],
            }
            for m in self.markets.values()
        ]
        return {"timezone": "UTC", "serverTime": _now_ms(), "rateLimits": [], "exchangeFilters": [],
                "symbols": symbols}

    def _ticker(self, market: FakeMarket) -> dict[str, Any]:
        price = self._prices[market.id]
        now = _now_ms()
        return {
            "symbol": market.id, "priceChange": "0", "priceChangePercent": "0", "weightedAvgPrice": _fmt(price),
            "prevClosePrice": _fmt(price), "lastPrice": _fmt(price), "lastQty": "1",
            "bidPrice": _fmt(price - market.tick), "bidQty": "1", "askPrice": _fmt(price + market.tick),
            "askQty": "1", "openPrice": _fmt(price),
            "highPrice": _fmt(price), "lowPrice": _fmt(price), "volume": "100", "quoteVolume": _fmt(price * 100),
            "openTime": now - 86_400_000, "closeTime": now, "firstId": 1, "lastId": 2, "count": 2,
        }

    def _klines(self, params: dict[str, str]) -> list[list[Any]]:
        market = self._market(params.get("symbol", ""))
        step = _INTERVALS.get(params.get("interval", ""))
        if step is None:
            raise _ApiError(400, -1120, "Invalid interval.")
        step_ms = step * 1000
        limit = int(params.get("limit", "500"))
        if not 1 <= limit <= 1000:
            raise _ApiError(400, -1100, "Illegal characters found in parameter 'limit'; legal range is '1..1000'.")
        now = _now_ms()
        first = -(-self.history_start // step_ms) * step_ms
        last = now // step_ms * step_ms
        if "endTime" in params:
            last = min(last, int(params["endTime"]) // step_ms * step_ms)
        if "startTime" in params:
            start = max(first, -(-int(params["startTime"]) // step_ms) * step_ms)
            opens = range(start, min(last, start + (limit - 1) * step_ms) + 1, step_ms)
        else:
            opens = range(max(first, last - (limit - 1) * step_ms), last + 1, step_ms)
        return [self._kline(market, t, step_ms) for t in opens]

    def _level(self, market: FakeMarket, t: int) -> float:
        digest = hashlib.blake2b(f"{self.seed}:{market.id}:{t}".encode(), digest_size=8).digest()
        noise = int.from_bytes(digest, "big") / 2**64 - 0.5
        return float(market.price) * (1 + 0.05 * math.sin(t / 8.64e7) + 0.004 * noise)

    def _kline(self, market: FakeMarket, t: int, step_ms: int) -> list[Any]:
        o = self._level(market, t - step_ms)
        c = self._level(market, t)
        wiggle = int(hashlib.blake2b(f"{self.seed}:w:{t}".encode(), digest_size=2).hexdigest(), 16) / 65536
        h = max(o, c) * (1 + 0.002 * wiggle)
        low = min(o, c) * (1 - 0.002 * (1 - wiggle))
        volume = 10 + 90 * wiggle
        return [t, f"{o:.2f}", f"{h:.2f}", f"{low:.2f}", f"{c:.2f}", f"{volume:.5f}", t + step_ms - 1,
                f"{volume * c:.2f}", 100, f"{volume / 2:.5f}", f"{volume * c / 2:.2f}", "0"]

    def _decimal(self, params: dict[str, str], name: str, required: bool) -> Decimal:
        raw = params.get(name)
        if raw is None:
            if required:
                raise _ApiError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
            return Decimal(0)
        return Decimal(raw)

    def _create(self, params: dict[str, str]) -> dict[str, Any]:
        market = self._market(params.get("symbol", ""))
        side, kind = params.get("side", ""), params.get("type", "")
        if side not in ("BUY", "SELL") or kind not in _ORDER_TYPES:
            raise _ApiError(400, -1116, "Invalid orderType.")
        client_id = params.get("newClientOrderId") or f"fake{self._next_id}"
        if any(o.client_id == client_id and o.status in ("NEW", "PARTIALLY_FILLED") for o in self._orders.values()):
            raise _ApiError(400, -2010, "Duplicate order sent.")
        limit_like = kind in ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
        quantity = self._decimal(params, "quantity", True)
        price = self._decimal(params, "price", limit_like)
        stop = self._decimal(params, "stopPrice", kind.startswith(("STOP", "TAKE")))
        for value in (price, stop):
            if value and value % market.tick:
                raise _ApiError(400, -1013, "Filter failure: PRICE_FILTER")
        if quantity % market.step or quantity < market.min_qty:
            raise _ApiError(400, -1013, "Filter failure: LOT_SIZE")
        reference = price or stop or self._prices[market.id]
        if quantity * reference < market.min_notional:
            raise _ApiError(400, -1013, "Filter failure: MIN_NOTIONAL")
        self._reserve(market, side, quantity, reference)
        now = _now_ms()
        order = _Order(self._next_id, client_id, market, side, kind, params.get("timeInForce", "GTC"),
                       quantity, price, stop, now, reserved=reference, update_time=now)
        self._next_id += 1
        self._orders[order.id] = order
        self._match(order, self._prices[market.id])
        if order.status == "NEW" and (order.tif == "IOC" or kind == "MARKET"):
            self._close(order, "EXPIRED")
        if kind == "LIMIT_MAKER" and order.filled:
            raise _ApiError(400, -2010, "Order would immediately match and take.")
        body = self._order_json(order)
        body.update(transactTime=now, fills=order.fills)
        return body

    def _reserve(self, market: FakeMarket, side: str, quantity: Decimal, price: Decimal) -> None:
        asset, amount = (market.quote, quantity * price) if side == "BUY" else (market.base, quantity)
        if self._free.get(asset, Decimal(0)) < amount:
            raise _ApiError(400, -2010, "Account has insufficient balance for requested action.")
        self._free[asset] -= amount
        self._locked[asset] = self._locked.get(asset, Decimal(0)) + amount

    def _release(self, order: _Order) -> None:
        left = order.quantity - order.filled
        buy = order.side == "BUY"
        asset, amount = (order.market.quote, left * order.reserved) if buy else (order.market.base, left)
        self._locked[asset] -= amount
        self._free[asset] += amount

    def _match(self, order: _Order, last: Decimal, resting: bool = False) -> int:
        buy = order.side == "BUY"
        if order.stop_price and order.type.startswith(("STOP", "TAKE")):
            triggered = last >= order.stop_price if buy == order.type.startswith("STOP") else last <= order.stop_price
            if not triggered:
                return 0
        if order.price and order.type not in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"):
            if (buy and last > order.price) or (not buy and last < order.price):
                return 0
            fill_price = order.price if resting else min(last, order.price) if buy else max(last, order.price)
        else:
            fill_price = last
        quantity = order.quantity - order.filled
        reserved = order.reserved
        token_fee = self._token_fee(order.market, quantity * fill_price * _FEE)
        rate = Decimal(1) if token_fee is not None else 1 - _FEE
        if buy:
            self._locked[order.market.quote] -= quantity * reserved
            self._free[order.market.quote] += quantity * (reserved - fill_price)
            received, fee_asset = quantity * rate, order.market.base
        else:
            self._locked[order.market.base] -= quantity
            received, fee_asset = quantity * fill_price * rate, order.market.quote
        self._free[fee_asset] = self._free.get(fee_asset, Decimal(0)) + received
        fee = quantity * _FEE if buy else quantity * fill_price * _FEE
        if token_fee is not None and self.fee_asset is not None:
            fee, fee_asset = token_fee, self.fee_asset
            self._free[fee_asset] -= fee
        order.fills.append({"price": _fmt(fill_price), "qty": _fmt(quantity), "commission": _fmt(fee),
                            "commissionAsset": fee_asset, "tradeId": self._next_trade})
        self._next_trade += 1
        order.filled += quantity
        order.quote_filled += quantity * fill_price
        self._close(order, "FILLED")
        return 1

    def _token_fee(self, market: FakeMarket, quote_value: Decimal) -> Decimal | None:
        if self.fee_asset is None:
            return None
        priced = self.markets.get(self.fee_asset + market.quote)
        price = self._prices[priced.id] if priced is not None else self.fee_asset_price
        amount = (quote_value / price).quantize(Decimal("0.00000001"))
        return amount if self._free.get(self.fee_asset, Decimal(0)) >= amount else None

    def _close(self, order: _Order, status: str) -> None:
        if status != "FILLED":
            self._release(order)
        order.status = status
        order.update_time = _now_ms()

    def _find(self, params: dict[str, str]) -> _Order:
        market = self._market(params.get("symbol", ""))
        if "orderId" in params:
            order = self._orders.get(int(params["orderId"]))
        else:
            wanted = params.get("origClientOrderId")
            order = next((o for o in reversed(self._orders.values()) if o.client_id == wanted), None)
        if order is None or order.market is not market:
            raise _ApiError(400, -2013, "Order does not exist.")
        return order

    def _cancel(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            order = self._find(params)
        except _ApiError:
            raise _ApiError(400, -2011, "Unknown order sent.") from None
        if order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise _ApiError(400, -2011, "Unknown order sent.")
        self._close(order, "CANCELED")
        body = self._order_json(order)
        body.update(origClientOrderId=order.client_id, clientOrderId=params.get("newClientOrderId", "cancel"),
                    transactTime=order.update_time)
        return body

    def _order_json(self, order: _Order) -> dict[str, Any]:
        return {
            "symbol": order.market.id, "orderId": order.id, "orderListId": -1, "clientOrderId": order.client_id,
            "price": _fmt(order.price), "origQty": _fmt(order.quantity), "executedQty": _fmt(order.filled),
            "cummulativeQuoteQty": _fmt(order.quote_filled), "status": order.status, "timeInForce": order.tif,
            "type": order.type, "side": order.side, "stopPrice": _fmt(order.stop_price), "icebergQty": "0.00000000",
            "time": order.time, "updateTime": order.update_time, "isWorking": True, "workingTime": order.time,
            "origQuoteOrderQty": "0.00000000", "selfTradePreventionMode": "NONE",
        }

    def _my_trades(self, params: dict[str, str]) -> list[dict[str, Any]]:
        market = self._market(params.get("symbol", ""))
        wanted = params.get("orderId")
        return [
            {"symbol": market.id, "id": fill["tradeId"], "orderId": order.id, "orderListId": -1,
             "price": fill["price"], "qty": fill["qty"],
             "quoteQty": _fmt(Decimal(fill["price"]) * Decimal(fill["qty"])),
             "commission": fill["commission"], "commissionAsset": fill["commissionAsset"], "time": order.update_time,
             "isBuyer": order.side == "BUY", "isMaker": order.type == "LIMIT", "isBestMatch": True}
            for order in self._orders.values() if order.market is market and wanted in (None, str(order.id))
            for fill in order.fills
        ]

    def _account(self) -> dict[str, Any]:
        assets = sorted(set(self._free) | set(self._locked))
        return {
            "makerCommission": 10, "takerCommission": 10, "canTrade": True, "canWithdraw": True,
            "canDeposit": True, "updateTime": _now_ms(), "accountType": "SPOT", "permissions": ["SPOT"],
            "balances": [{"asset": a, "free": _fmt(self._free.get(a, Decimal(0))),
                          "locked": _fmt(self._locked.get(a, Decimal(0)))} for a in assets],
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeExchange

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload = self.fake._handle(self.command, parts.path, parts.query, body, headers)
        if status == 0:
            self.close_connection = True
            return
        text = payload if isinstance(payload, str) else json.dumps(payload)
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if isinstance(payload, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = _serve


def connect_ccxt(server: FakeExchange, api_key: str | None = None, secret: str | None = None) -> Any:
    """Return a ``ccxt.binance`` whose every API host is the fake server.

    Parameters
    ----------
    server : FakeExchange
        A started server.
    api_key, secret : str, optional
        Default to the server's credentials; pass others to test authentication failures.

    Returns
    -------
    ccxt.binance
        A synchronous client, rate limiting off; close it with ``exchange.session.close()``.
    """
    import ccxt

    exchange = ccxt.binance({
        "apiKey": server.api_key if api_key is None else api_key,
        "secret": server.secret if secret is None else secret,
        "enableRateLimit": False,
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
    })
    base = server.url
    for name, value in list(exchange.urls["api"].items()):
        if isinstance(value, str):
            parts = urlsplit(value)
            exchange.urls["api"][name] = base + parts.path
    return exchange
