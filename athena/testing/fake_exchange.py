"""A local fake of the Binance spot REST API, for testing the real ccxt client over HTTP.

:class:`FakeExchange` serves ``/api/v3`` on ``127.0.0.1`` at a free port from a background thread:
``exchangeInfo`` (PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL filters), ``ticker/price``, ``ticker/24hr``,
``klines`` (deterministic seeded bars, ``startTime``/``endTime``/``limit``), ``time``, and the signed
``order`` (POST, GET, DELETE), ``openOrders`` and ``account``. Signed requests must carry the
configured API key in ``X-MBX-APIKEY`` and an HMAC-SHA256 of the query with the configured secret;
errors are Binance's JSON ``{"code": ..., "msg": ...}`` with Binance's HTTP status.

The server, order book and test hooks (:meth:`~athena.testing.fake_venue.FakeVenue.inject_failures`,
:meth:`~athena.testing.fake_venue.FakeVenue.fill_at`, ...) are :class:`~athena.testing.fake_venue.FakeVenue`'s.
:func:`connect_ccxt` builds a ``ccxt.binance`` pointed at the server; ccxt is imported only there.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from athena.testing.fake_venue import ApiError, Failure, FakeMarket, FakeVenue, VenueOrder, fmt, now_ms, point_at

__all__ = ["FakeExchange", "FakeMarket", "connect_ccxt"]

_PREFIX = "/api/v3/"
_ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]
_INTERVALS = {"1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14400,
              "6h": 21600, "8h": 28800, "12h": 43200, "1d": 86400, "3d": 259200, "1w": 604800}
_SIGNED = {"order", "openOrders", "account", "myTrades"}

# Each refusal the order book can make, as Binance answers it: (HTTP status, code, message).
_BINANCE_ERRORS: dict[str, tuple[int, int, str]] = {
    "symbol": (400, -1121, "Invalid symbol."),
    "duplicate": (400, -2010, "Duplicate order sent."),
    "tick": (400, -1013, "Filter failure: PRICE_FILTER"),
    "lot": (400, -1013, "Filter failure: LOT_SIZE"),
    "min_qty": (400, -1013, "Filter failure: LOT_SIZE"),
    "notional": (400, -1013, "Filter failure: MIN_NOTIONAL"),
    "funds": (400, -2010, "Account has insufficient balance for requested action."),
    "no_order": (400, -2013, "Order does not exist."),
    "cancel_unknown": (400, -2011, "Unknown order sent."),
    "maker": (400, -2010, "Order would immediately match and take."),
}




class FakeExchange(FakeVenue):
    """A thread-served fake Binance spot REST API on 127.0.0.1.

    Takes the parameters of :class:`~athena.testing.fake_venue.FakeVenue` (markets, balances, seed,
    ``fee_asset`` for fees charged in a token such as BNB...).
    """

    errors = _BINANCE_ERRORS
    exchange_id = "binance"
    order_endpoint = "POST /api/v3/order"

    def _error(self, err: ApiError) -> tuple[int, Any]:
        return err.status, {"code": err.code, "msg": err.msg}

    def _fail(self, failure: Failure) -> tuple[int, Any]:
        if failure.kind in (418, 429):
            return (int(failure.kind), {"code": -1003,
                                        "msg": "Too many requests; current limit is 6000 weight per 1 MINUTE."})
        return super()._fail(failure)

    def connect(self, api_key: str | None = None, secret: str | None = None) -> Any:
        """Return a real ``ccxt.binance`` pointed at the server (see :func:`connect_ccxt`)."""
        return connect_ccxt(self, api_key, secret)

    def _route(self, method: str, path: str, query: str, body: str, headers: dict[str, str]) -> Any:
        name = path[len(_PREFIX):] if path.startswith(_PREFIX) else ""
        params = dict(parse_qsl(query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        if name in _SIGNED:
            self._verify(query, body, params, headers)
        with self._lock:
            if (method, name) == ("GET", "time"):
                return {"serverTime": now_ms()}
            if (method, name) == ("GET", "ping"):
                return {}
            if (method, name) == ("GET", "exchangeInfo"):
                return self._exchange_info()
            if (method, name) == ("GET", "ticker/price"):
                return self._each_market(params, lambda m: {"symbol": m.id, "price": fmt(self._prices[m.id])})
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
        raise ApiError(404, -1000, f"unknown endpoint {method} {path}")

    def _verify(self, query: str, body: str, params: dict[str, str], headers: dict[str, str]) -> None:
        key = headers.get("x-mbx-apikey")
        if not key:
            raise ApiError(401, -2014, "API-key format invalid.")
        if not hmac.compare_digest(key, self.api_key):
            raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        payload = "&".join(p for part in (query, body) for p in part.split("&") if p and not p.startswith("signature="))
        expected = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, params.get("signature", "")):
            raise ApiError(400, -1022, "Signature for this request is not valid.")
        stamp = int(params.get("timestamp", "0"))
        window = int(params.get("recvWindow", "5000"))
        if not 0 <= now_ms() - stamp + 1000 <= window + 1000:
            raise ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")

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
                    {"filterType": "PRICE_FILTER", "minPrice": fmt(m.tick), "maxPrice": "1000000.00000000",
                     "tickSize": fmt(m.tick)},
                    {"filterType": "LOT_SIZE", "minQty": fmt(m.min_qty), "maxQty": "9000.00000000",
                     "stepSize": fmt(m.step)},
                    {"filterType": "MIN_NOTIONAL", "minNotional": fmt(m.min_notional), "applyToMarket": True,
                     "avgPriceMins": 5},
                ],
            }
            for m in self.markets.values()
        ]
        return {"timezone": "UTC", "serverTime": now_ms(), "rateLimits": [], "exchangeFilters": [],
                "symbols": symbols}

    def _ticker(self, market: FakeMarket) -> dict[str, Any]:
        price = self._prices[market.id]
        now = now_ms()
        return {
            "symbol": market.id, "priceChange": "0", "priceChangePercent": "0", "weightedAvgPrice": fmt(price),
            "prevClosePrice": fmt(price), "lastPrice": fmt(price), "lastQty": "1",
            "bidPrice": fmt(price - market.tick), "bidQty": "1", "askPrice": fmt(price + market.tick),
            "askQty": "1", "openPrice": fmt(price),
            "highPrice": fmt(price), "lowPrice": fmt(price), "volume": "100", "quoteVolume": fmt(price * 100),
            "openTime": now - 86_400_000, "closeTime": now, "firstId": 1, "lastId": 2, "count": 2,
        }

    def _klines(self, params: dict[str, str]) -> list[list[Any]]:
        market = self._market(params.get("symbol", ""))
        step = _INTERVALS.get(params.get("interval", ""))
        if step is None:
            raise ApiError(400, -1120, "Invalid interval.")
        step_ms = step * 1000
        limit = int(params.get("limit", "500"))
        if not 1 <= limit <= 1000:
            raise ApiError(400, -1100, "Illegal characters found in parameter 'limit'; legal range is '1..1000'.")
        now = now_ms()
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

    def _decimal(self, params: dict[str, str], name: str, required: bool) -> Decimal:
        raw = params.get(name)
        if raw is None:
            if required:
                raise ApiError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
            return Decimal(0)
        return Decimal(raw)

    def _create(self, params: dict[str, str]) -> dict[str, Any]:
        market = self._market(params.get("symbol", ""))
        side, kind = params.get("side", ""), params.get("type", "")
        if side not in ("BUY", "SELL") or kind not in _ORDER_TYPES:
            raise ApiError(400, -1116, "Invalid orderType.")
        limit_like = kind in ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
        order = self._place(market, side, kind, params.get("newClientOrderId") or f"fake{self._next_id}",
                            self._decimal(params, "quantity", True), self._decimal(params, "price", limit_like),
                            self._decimal(params, "stopPrice", kind.startswith(("STOP", "TAKE"))),
                            params.get("timeInForce", "GTC"))
        body = self._order_json(order)
        body.update(transactTime=order.time, fills=order.fills)
        return body

    def _find(self, params: dict[str, str]) -> VenueOrder:
        market = self._market(params.get("symbol", ""))
        if "orderId" in params:
            order = self._orders.get(int(params["orderId"]))
        else:
            wanted = params.get("origClientOrderId")
            order = next((o for o in reversed(self._orders.values()) if o.client_id == wanted), None)
        if order is None or order.market is not market:
            raise self._refuse("no_order")
        return order

    def _cancel(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            order = self._find(params)
        except ApiError:
            raise self._refuse("cancel_unknown") from None
        if order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise self._refuse("cancel_unknown")
        self._close(order, "CANCELED")
        body = self._order_json(order)
        body.update(origClientOrderId=order.client_id, clientOrderId=params.get("newClientOrderId", "cancel"),
                    transactTime=order.update_time)
        return body

    def _order_json(self, order: VenueOrder) -> dict[str, Any]:
        return {
            "symbol": order.market.id, "orderId": order.id, "orderListId": -1, "clientOrderId": order.client_id,
            "price": fmt(order.price), "origQty": fmt(order.quantity), "executedQty": fmt(order.filled),
            "cummulativeQuoteQty": fmt(order.quote_filled), "status": order.status, "timeInForce": order.tif,
            "type": order.type, "side": order.side, "stopPrice": fmt(order.stop_price), "icebergQty": "0.00000000",
            "time": order.time, "updateTime": order.update_time, "isWorking": True, "workingTime": order.time,
            "origQuoteOrderQty": "0.00000000", "selfTradePreventionMode": "NONE",
        }

    def _my_trades(self, params: dict[str, str]) -> list[dict[str, Any]]:
        market = self._market(params.get("symbol", ""))
        wanted = params.get("orderId")
        return [
            {"symbol": market.id, "id": fill["tradeId"], "orderId": order.id, "orderListId": -1,
             "price": fill["price"], "qty": fill["qty"],
             "quoteQty": fmt(Decimal(fill["price"]) * Decimal(fill["qty"])),
             "commission": fill["commission"], "commissionAsset": fill["commissionAsset"], "time": order.update_time,
             "isBuyer": order.side == "BUY", "isMaker": order.type == "LIMIT", "isBestMatch": True}
            for order in self._orders.values() if order.market is market and wanted in (None, str(order.id))
            for fill in order.fills
        ]

    def _account(self) -> dict[str, Any]:
        assets = sorted(set(self._free) | set(self._locked))
        return {
            "makerCommission": 10, "takerCommission": 10, "canTrade": True, "canWithdraw": True,
            "canDeposit": True, "updateTime": now_ms(), "accountType": "SPOT", "permissions": ["SPOT"],
            "balances": [{"asset": a, "free": fmt(self._free.get(a, Decimal(0))),
                          "locked": fmt(self._locked.get(a, Decimal(0)))} for a in assets],
        }


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
    return point_at(exchange, server.url)
