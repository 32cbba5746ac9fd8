"""A local fake of Bybit's v5 spot REST API, for testing the real ccxt client over HTTP.

:class:`FakeBybit` shares the server, order book, balances, matching, failure injection and test
hooks of :class:`~athena.testing.fake_venue.FakeVenue` with the fake Binance and speaks Bybit's v5 dialect over them:
``/v5/market/time``, ``instruments-info`` (spot: ``lotSizeFilter``, ``priceFilter``), ``tickers``,
``kline`` (newest first), and the signed ``/v5/order/create``, ``/v5/order/cancel``,
``/v5/order/realtime``, ``/v5/order/history``, ``/v5/execution/list``,
``/v5/account/wallet-balance`` (a UNIFIED account), ``/v5/asset/coin/query-info``,
``/v5/account/info`` and ``/v5/user/query-api``. Every answer is
``{"retCode", "retMsg", "result", "retExtInfo", "time"}`` with HTTP 200, refusals carrying Bybit's
``retCode``; rate limits are HTTP 403.

Conditional spot orders are taken as Bybit takes them: ``orderFilter`` ``StopOrder`` (nothing is
reserved until the trigger; a trigger the balance cannot cover leaves the order ``Rejected``) or
``tpslOrder`` (reserved at once), a ``triggerPrice``, and ``orderType`` ``Market`` or ``Limit``.
As on Bybit spot, no ``triggerDirection`` is read: the order triggers when the last price rises to
the trigger if it was placed above the last price, and when it falls to it if placed below. It waits
as ``Untriggered`` (listed among the open orders), triggers on :meth:`FakeBybit.fill_at`, then
trades as a market or limit order. Cancelling, and listing with ``orderFilter``, find it only under
its own filter (a cancel without one looks among plain orders, as ccxt's does); cancelled before
its trigger it is ``Deactivated``.

Signed requests are checked as Bybit checks them: ``X-BAPI-API-KEY`` must be the configured key,
``X-BAPI-TIMESTAMP`` within ``X-BAPI-RECV-WINDOW`` of now, and ``X-BAPI-SIGN`` the hex
HMAC-SHA256, with the configured secret, of timestamp + key + recv window + the query string (GET)
or the JSON body (POST). :func:`connect_bybit` builds a ``ccxt.bybit`` pointed at the server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from athena.testing.fake_venue import (
    OPEN_STATUSES,
    ApiError,
    Failure,
    FakeMarket,
    FakeVenue,
    VenueOrder,
    fmt,
    now_ms,
    point_at,
)

__all__ = ["FakeBybit", "connect_bybit"]

_INTERVALS = {"1": 60, "3": 180, "5": 300, "15": 900, "30": 1800, "60": 3600, "120": 7200, "240": 14400,
              "360": 21600, "720": 43200, "D": 86400, "W": 604800}
_STATUS = {"NEW": "New", "PARTIALLY_FILLED": "PartiallyFilled", "FILLED": "Filled", "CANCELED": "Cancelled",
           "EXPIRED": "Cancelled", "UNTRIGGERED": "Untriggered", "REJECTED": "Rejected"}
_FILTERS = ("Order", "StopOrder", "tpslOrder")
# How an order record names each kind of conditional spot order.
_STOP_ORDER_TYPE = {"StopOrder": "Stop", "tpslOrder": "tpslOrder"}
_BYBIT_ERRORS: dict[str, tuple[int, int, str]] = {
    "symbol": (200, 170121, "Invalid symbol."),
    "duplicate": (200, 110072, "OrderLinkedID is duplicate"),
    "tick": (200, 170134, "Order price decimal too long."),
    "lot": (200, 170137, "Order volume decimal too long."),
    "min_qty": (200, 170136, "Order quantity lower than the minimum."),
    "notional": (200, 170140, "Transaction amount lower than the minimum."),
    "funds": (200, 170131, "Insufficient balance."),
    "no_order": (200, 170213, "Order does not exist."),
    "cancel_unknown": (200, 170213, "Order does not exist."),
}


class FakeBybit(FakeVenue):
    """A thread-served fake Bybit v5 spot REST API on 127.0.0.1 (a unified trading account).

    Takes the parameters of :class:`~athena.testing.fake_venue.FakeVenue`. ``requests``
    counts endpoints as ``"METHOD /v5/..."``; ``orders`` returns Bybit's order records.
    """

    errors = _BYBIT_ERRORS
    exchange_id = "bybit"
    order_endpoint = "POST /v5/order/create"

    def connect(self, api_key: str | None = None, secret: str | None = None) -> Any:
        """Return a real ``ccxt.bybit`` pointed at the server (see :func:`connect_bybit`)."""
        return connect_bybit(self, api_key, secret)

    def _trigger_waiting(self, market: FakeMarket, last: Decimal) -> int:
        made = 0
        for order in list(self._orders.values()):
            if order.market is market and order.status == "UNTRIGGERED" and (
                    last >= order.stop_price if order.rises else last <= order.stop_price):
                made += self._trigger(order, last)
        return made

    def _error(self, err: ApiError) -> tuple[int, Any]:
        return err.status, {"retCode": err.code, "retMsg": err.msg, "result": {}, "retExtInfo": {}, "time": now_ms()}

    def _fail(self, failure: Failure) -> tuple[int, Any]:
        if failure.kind in (418, 429):
            return (403, "<html><body>403 Forbidden: access too frequent</body></html>")
        return super()._fail(failure)

    def _route(self, method: str, path: str, query: str, body: str, headers: dict[str, str]) -> Any:
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        if method == "POST" and body:
            params.update(json.loads(body))
        public = path.startswith("/v5/market/")
        if not public:
            self._verify_bybit(method, query, body, headers)
        with self._lock:
            result = self._dispatch(method, path, params)
        return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now_ms()}

    def _dispatch(self, method: str, path: str, params: dict[str, Any]) -> Any:
        if (method, path) == ("GET", "/v5/market/time"):
            now = now_ms()
            return {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)}
        if (method, path) == ("GET", "/v5/market/instruments-info"):
            return {"category": "spot", "list": [self._instrument(m) for m in self.markets.values()]}
        if (method, path) == ("GET", "/v5/market/tickers"):
            chosen = [self._market(params["symbol"])] if "symbol" in params else list(self.markets.values())
            return {"category": "spot", "list": [self._bybit_ticker(m) for m in chosen]}
        if (method, path) == ("GET", "/v5/market/kline"):
            return self._bybit_klines(params)
        if (method, path) == ("GET", "/v5/user/query-api"):
            return {"apiKey": self.api_key, "readOnly": 0, "unified": 0, "uta": 1,
                    "permissions": {"Spot": ["SpotTrade"]}}
        if (method, path) == ("GET", "/v5/asset/coin/query-info"):
            coins = sorted({c for m in self.markets.values() for c in (m.base, m.quote)} | set(self._free))
            return {"rows": [{"name": c, "coin": c, "remainAmount": "1000000", "chains": [
                {"chain": c, "chainType": c, "confirmation": "1", "withdrawFee": "0", "depositMin": "0",
                 "withdrawMin": "0", "minAccuracy": "8", "chainDeposit": "1", "chainWithdraw": "1"}]} for c in coins]}
        if (method, path) == ("GET", "/v5/account/info"):
            return {"unifiedMarginStatus": 6, "marginMode": "REGULAR_MARGIN"}
        if (method, path) == ("POST", "/v5/order/create"):
            return self._bybit_create(params)
        if (method, path) == ("POST", "/v5/order/cancel"):
            return self._bybit_cancel(params)
        if (method, path) == ("GET", "/v5/order/realtime"):
            return {"category": "spot", "nextPageCursor": "",
                    "list": [self._order_json(o) for o in self._filtered(params) if o.status in OPEN_STATUSES][::-1]}
        if (method, path) == ("GET", "/v5/order/history"):
            wanted = params.get("orderStatus")
            return {"category": "spot", "nextPageCursor": "",
                    "list": [self._order_json(o) for o in self._filtered(params)
                             if o.status not in OPEN_STATUSES and wanted in (None, _bybit_status(o))][::-1]}
        if (method, path) == ("GET", "/v5/execution/list"):
            return {"category": "spot", "nextPageCursor": "", "list": self._executions(params)}
        if (method, path) == ("GET", "/v5/account/wallet-balance"):
            return {"list": [self._wallet()]}
        raise ApiError(404, 10001, f"unknown endpoint {method} {path}")

    def _verify_bybit(self, method: str, query: str, body: str, headers: dict[str, str]) -> None:
        key = headers.get("x-bapi-api-key", "")
        if not hmac.compare_digest(key, self.api_key):
            raise ApiError(200, 10003, "API key is invalid.")
        stamp, window = headers.get("x-bapi-timestamp", ""), headers.get("x-bapi-recv-window", "5000")
        payload = stamp + key + window + (body if method == "POST" else query)
        expected = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-bapi-sign", "")):
            raise ApiError(200, 10004, "error sign! origin_string[" + payload + "]")
        if not stamp.isdigit() or not -1000 <= now_ms() - int(stamp) <= int(window):
            raise ApiError(200, 10002, "invalid request, please check your server timestamp or recv_window param")

    def _instrument(self, m: FakeMarket) -> dict[str, Any]:
        return {
            "symbol": m.id, "baseCoin": m.base, "quoteCoin": m.quote, "innovation": "0", "status": "Trading",
            "marginTrading": "none",
            "lotSizeFilter": {"basePrecision": str(m.step), "quotePrecision": "0.00000001",
                              "minOrderQty": str(m.min_qty), "maxOrderQty": "9000",
                              "minOrderAmt": str(m.min_notional), "maxOrderAmt": "10000000"},
            "priceFilter": {"tickSize": str(m.tick)},
        }

    def _bybit_ticker(self, m: FakeMarket) -> dict[str, Any]:
        price = self._prices[m.id]
        return {"symbol": m.id, "bid1Price": fmt(price - m.tick), "bid1Size": "1", "ask1Price": fmt(price + m.tick),
                "ask1Size": "1", "lastPrice": fmt(price), "prevPrice24h": fmt(price), "price24hPcnt": "0",
                "highPrice24h": fmt(price), "lowPrice24h": fmt(price), "turnover24h": fmt(price * 100),
                "volume24h": "100"}

    def _bybit_klines(self, params: dict[str, Any]) -> dict[str, Any]:
        market = self._market(params.get("symbol", ""))
        step = _INTERVALS.get(str(params.get("interval", "")))
        if step is None:
            raise ApiError(200, 10001, "params error: interval invalid")
        step_ms = step * 1000
        limit = int(params.get("limit", "200"))
        if not 1 <= limit <= 1000:
            raise ApiError(200, 10001, "params error: limit must be 1-1000")
        first = -(-self.history_start // step_ms) * step_ms
        last = now_ms() // step_ms * step_ms
        if "end" in params:
            last = min(last, int(params["end"]) // step_ms * step_ms)
        if "start" in params:
            start = max(first, -(-int(params["start"]) // step_ms) * step_ms)
            opens = range(start, min(last, start + (limit - 1) * step_ms) + 1, step_ms)
        else:
            opens = range(max(first, last - (limit - 1) * step_ms), last + 1, step_ms)
        rows = [self._kline(market, t, step_ms) for t in reversed(opens)]
        return {"category": "spot", "symbol": market.id, "list": [[str(k[0]), *k[1:6], k[7]] for k in rows]}

    def _bybit_create(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("category") != "spot":
            raise ApiError(200, 10001, f"params error: category must be spot, was {params.get('category')!r}")
        market = self._market(str(params.get("symbol", "")))
        side, kind = str(params.get("side", "")).upper(), str(params.get("orderType", "")).upper()
        if side not in ("BUY", "SELL") or kind not in ("LIMIT", "MARKET"):
            raise ApiError(200, 10001, "params error: side or orderType invalid")
        condition = str(params.get("orderFilter") or "Order")
        if condition not in _FILTERS:
            raise ApiError(200, 170202, "Invalid orderFilter parameter.")
        if condition == "Order" and str(params.get("triggerPrice") or "0") != "0":
            raise ApiError(200, 170130, "Data sent for parameter 'triggerPrice' is not valid.")
        if kind == "MARKET" and side == "BUY" and params.get("marketUnit") != "baseCoin":
            raise ApiError(200, 10001, "params error: this fake sizes market buys in baseCoin only")
        if kind == "LIMIT" and "price" not in params:
            raise ApiError(200, 10001, "params error: price is required for limit orders")
        quantity, price = Decimal(str(params.get("qty", "0"))), Decimal(str(params.get("price", "0")))
        client_id = str(params.get("orderLinkId") or f"fake{self._next_id}")
        price, tif = price if kind == "LIMIT" else Decimal(0), str(params.get("timeInForce", "GTC"))
        if condition == "Order":
            order = self._place(market, side, kind, client_id, quantity, price, Decimal(0), tif)
        else:
            order = self._conditional(market, side, kind, client_id, quantity, price, tif, condition,
                                      _trigger_price(params))
        return {"orderId": str(order.id), "orderLinkId": order.client_id}

    def _conditional(self, market: FakeMarket, side: str, kind: str, client_id: str, quantity: Decimal,
                     price: Decimal, tif: str, condition: str, trigger: Decimal) -> VenueOrder:
        reference = self._admit(market, client_id, quantity, price, trigger)
        last = self._prices[market.id]
        if trigger == last:
            raise ApiError(200, 170130, "Data sent for parameter 'triggerPrice' is not valid.")
        if price and trigger > price * Decimal("1.1"):
            raise ApiError(200, 170204, "trigger price cannot be higher than 110% price.")
        if price and trigger < price * Decimal("0.9"):
            raise ApiError(200, 170206, "trigger price cannot be lower than 90% price.")
        if condition == "tpslOrder":
            self._reserve(market, side, quantity, reference)
        order = self._store(market, side, kind, client_id, quantity, price, trigger, tif, reference, "UNTRIGGERED")
        order.condition, order.rises = condition, trigger > last
        return order

    def _trigger(self, order: VenueOrder, last: Decimal) -> int:
        order.triggered, order.update_time = True, now_ms()
        if order.condition == "StopOrder":
            order.reserved = order.price or last
            try:
                self._reserve(order.market, order.side, order.quantity, order.reserved)
            except ApiError:
                # Bybit's "Rejected": triggered, but the order could not be placed.
                order.status = "REJECTED"
                return 0
        order.status = "NEW"
        made = self._match(order, last)
        if order.status == "NEW" and (order.tif == "IOC" or order.type == "MARKET"):
            self._close(order, "EXPIRED")
        return made

    def _selected(self, params: dict[str, Any]) -> list[VenueOrder]:
        market = self._market(str(params["symbol"])) if params.get("symbol") else None
        wanted_id, wanted_link = params.get("orderId"), params.get("orderLinkId")
        return [o for o in self._orders.values() if market in (None, o.market)
                and wanted_id in (None, str(o.id)) and wanted_link in (None, o.client_id)]

    def _filtered(self, params: dict[str, Any], default: str | None = None) -> list[VenueOrder]:
        wanted = params.get("orderFilter") or default
        if wanted is not None and wanted not in _FILTERS:
            raise ApiError(200, 170202, "Invalid orderFilter parameter.")
        return [o for o in self._selected(params) if wanted in (None, o.condition or "Order")]

    def _bybit_cancel(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("orderId") and not params.get("orderLinkId"):
            raise ApiError(200, 10001, "params error: orderId or orderLinkId is required")
        open_ones = [o for o in self._filtered(params, "Order") if o.status in OPEN_STATUSES]
        if not open_ones:
            raise self._refuse("cancel_unknown")
        order = open_ones[-1]
        if order.status == "UNTRIGGERED":
            # Only a tpslOrder holds a reservation before its trigger.
            if order.condition == "tpslOrder":
                self._release(order)
            order.status, order.update_time = "CANCELED", now_ms()
        else:
            self._close(order, "CANCELED")
        return {"orderId": str(order.id), "orderLinkId": order.client_id}

    def _order_json(self, o: VenueOrder) -> dict[str, Any]:
        fee = sum((Decimal(f["commission"]) for f in o.fills), Decimal(0))
        by_coin: dict[str, Decimal] = {}
        for f in o.fills:
            by_coin[f["commissionAsset"]] = by_coin.get(f["commissionAsset"], Decimal(0)) + Decimal(f["commission"])
        average = o.quote_filled / o.filled if o.filled else Decimal(0)
        return {
            "orderId": str(o.id), "orderLinkId": o.client_id, "symbol": o.market.id, "price": fmt(o.price),
            "qty": fmt(o.quantity), "side": o.side.capitalize(), "orderStatus": _bybit_status(o),
            "orderType": o.type.capitalize(), "timeInForce": o.tif, "avgPrice": fmt(average),
            "leavesQty": fmt(o.quantity - o.filled if o.status in OPEN_STATUSES else Decimal(0)),
            "cumExecQty": fmt(o.filled), "cumExecValue": fmt(o.quote_filled), "cumExecFee": fmt(fee),
            "cumFeeDetail": {coin: fmt(amount) for coin, amount in by_coin.items()},
            "marketUnit": "baseCoin" if o.type == "MARKET" else "", "category": "spot",
            "triggerPrice": fmt(o.stop_price) if o.condition else "0",
            "triggerDirection": (1 if o.rises else 2) if o.condition else 0,
            "triggerBy": "LastPrice" if o.condition else "", "stopOrderType": _STOP_ORDER_TYPE.get(o.condition, ""),
            "createdTime": str(o.time), "updatedTime": str(o.update_time),
        }

    def _executions(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"symbol": o.market.id, "orderId": str(o.id), "orderLinkId": o.client_id, "side": o.side.capitalize(),
             "orderType": o.type.capitalize(), "orderPrice": fmt(o.price), "orderQty": fmt(o.quantity),
             "execId": str(f["tradeId"]), "execPrice": f["price"], "execQty": f["qty"],
             "execValue": fmt(Decimal(f["price"]) * Decimal(f["qty"])), "execFee": f["commission"],
             "feeCoin": f["commissionAsset"], "feeRate": "0.001", "execType": "Trade", "execTime": str(o.update_time),
             "isMaker": o.type == "LIMIT", "stopOrderType": _STOP_ORDER_TYPE.get(o.condition, ""),
             "category": "spot"}
            for o in self._selected(params) for f in o.fills
        ][::-1]

    def _wallet(self) -> dict[str, Any]:
        coins = sorted(set(self._free) | set(self._locked))
        return {"accountType": "UNIFIED", "coin": [
            {"coin": c, "walletBalance": fmt(self._free.get(c, Decimal(0)) + self._locked.get(c, Decimal(0))),
             "locked": fmt(self._locked.get(c, Decimal(0))), "equity": fmt(self._free.get(c, Decimal(0)))}
            for c in coins]}


def _bybit_status(order: VenueOrder) -> str:
    """Return Bybit's ``orderStatus``: a conditional order cancelled before its trigger is ``Deactivated``."""
    if order.status == "CANCELED" and order.condition and not order.triggered:
        return "Deactivated"
    return _STATUS[order.status]


def _trigger_price(params: dict[str, Any]) -> Decimal:
    raw = params.get("triggerPrice")
    if raw in (None, ""):
        raise ApiError(200, 170105, "Parameter 'triggerPrice' was empty.")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal(0)
    if not value.is_finite() or value <= 0:
        raise ApiError(200, 170130, "Data sent for parameter 'triggerPrice' is not valid.")
    return value


def connect_bybit(server: FakeBybit, api_key: str | None = None, secret: str | None = None) -> Any:
    """Return a ``ccxt.bybit`` (spot) whose every API host is the fake server.

    Parameters
    ----------
    server : FakeBybit
        A started server.
    api_key, secret : str, optional
        Default to the server's credentials; pass others to test authentication failures.

    Returns
    -------
    ccxt.bybit
        A synchronous client, rate limiting off; close it with ``exchange.session.close()``.
    """
    import ccxt

    exchange = ccxt.bybit({
        "apiKey": server.api_key if api_key is None else api_key,
        "secret": server.secret if secret is None else secret,
        "enableRateLimit": False,
        "options": {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False},
    })
    return point_at(exchange, server.url)
