"""The common part of the local fake exchanges: an HTTP server on 127.0.0.1, an order book, balances.

:class:`FakeVenue` serves from a background thread at a free port and keeps a small spot book:
orders are checked against each market's tick, lot, minimum quantity and minimum notional,
balances are reserved, and orders match against the last price (fees 0.1 %, in the received
currency or in ``fee_asset``). Test hooks: :meth:`FakeVenue.inject_failures` (HTTP 429/418/5xx or a
timeout on the next requests), :meth:`FakeVenue.fill_at` (move the price and fill resting orders),
:meth:`FakeVenue.requests` (requests seen per endpoint), :meth:`FakeVenue.book`,
:meth:`FakeVenue.split_next_fill` (executions charging their fees in several currencies). The exchanges'
dialects live in :mod:`athena.testing.fake_exchange` (Binance) and :mod:`athena.testing.fake_bybit`.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

__all__ = ["OPEN_STATUSES", "ApiError", "FakeMarket", "FakeVenue", "Failure", "VenueOrder", "fmt", "now_ms", "point_at"]

_FEE = Decimal("0.001")
#: Statuses of an order that can still trade: resting in the book, or waiting for its trigger outside it.
OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED", "UNTRIGGERED")


@dataclass(frozen=True)
class FakeMarket:
    """One spot market of a fake exchange: its tick, lot, minimums and starting price."""

    base: str
    quote: str
    tick: Decimal = Decimal("0.01")
    step: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    min_notional: Decimal = Decimal("5")
    price: Decimal = Decimal("30000")

    @property
    def id(self) -> str:
        """Return the exchange's market id, e.g. ``BTCUSDT``."""
        return self.base + self.quote


class ApiError(Exception):
    """A refusal in the exchange's own terms: HTTP status, error code and message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


@dataclass
class Failure:
    """A failure queued by :meth:`FakeVenue.inject_failures`."""

    kind: int | str
    endpoint: str | None
    after_processing: bool


@dataclass
class VenueOrder:
    """One order in the fake's book; side, type and status use Binance's names.

    ``UNTRIGGERED`` is the status of a conditional order that waits for its trigger outside the book;
    ``condition`` names its kind in the exchange's terms (Bybit's ``StopOrder`` or ``tpslOrder``) and
    ``rises`` whether it triggers when the price rises to ``stop_price`` (else when it falls).
    ``triggered`` says a stop order's trigger was reached.
    """

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
    triggered: bool = False
    condition: str = ""
    rises: bool = False


def fmt(value: Decimal) -> str:
    """Format an amount with eight decimals, as exchanges print them."""
    return f"{value:.8f}"


def point_at(exchange: Any, url: str) -> Any:
    """Send every API host of a ccxt client to ``url``, keeping each path; return the client."""
    for name, value in list(exchange.urls["api"].items()):
        if isinstance(value, str):
            exchange.urls["api"][name] = url + urlsplit(value).path
    return exchange


def now_ms() -> int:
    """Return the wall clock in epoch milliseconds (the exchange's clock, not Athena's)."""
    return int(time.time() * 1000)


class FakeVenue:
    """The common part of the fake exchanges: HTTP server, order book, balances, matching, test hooks.

    Subclasses speak one exchange's API: they set :attr:`errors`, :attr:`exchange_id` and
    :attr:`order_endpoint` and implement ``_route``, ``_order_json`` and :meth:`connect`.

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

    #: Each refusal the order book can make, in the exchange's terms: (HTTP status, code, message).
    errors: dict[str, tuple[int, int, str]] = {}
    #: The ccxt id of the exchange this fake speaks for, and its order-entry endpoint (for ``inject_failures``).
    exchange_id = ""
    order_endpoint = ""

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
        self._orders: dict[int, VenueOrder] = {}
        self._next_id = 1000
        self._next_trade = 1
        self._failures: list[Failure] = []
        self._splits: list[tuple[Decimal, str]] = []
        self._counts: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
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

    def __enter__(self) -> Self:
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
            self._failures.extend(Failure(kind, endpoint, after_processing) for _ in range(count))

    def requests(self, endpoint: str | None = None) -> int:
        """Return how many requests reached ``endpoint`` (``"METHOD /path"``), or all when omitted."""
        with self._lock:
            return self._counts[endpoint] if endpoint else sum(self._counts.values())

    def set_price(self, symbol: str, price: Decimal | str) -> None:
        """Set the last price of ``symbol`` (a market id or ``BASE/QUOTE``) without filling anything."""
        with self._lock:
            self._prices[self._market(symbol.replace("/", "")).id] = Decimal(price)

    def split_next_fill(self, *parts: tuple[Decimal | str, str]) -> None:
        """Fill the next order that matches in several executions, each charging its fee in a given currency.

        Each part is ``(quantity, fee currency)``: one execution of that quantity (cut to what the
        order has left) whose 0.1 % fee is charged in that currency, the base, the quote or a third
        one (at its price, as for ``fee_asset``), whatever the account holds. Binance does this when
        the BNB balance runs out mid-order: the executions before are charged in BNB, those after
        in the currency received. What the parts leave fills in one more execution, charged as usual.
        """
        with self._lock:
            self._splits = [(Decimal(quantity), currency) for quantity, currency in parts]

    def fill_at(self, symbol: str, price: Decimal | str) -> int:
        """Move the price of ``symbol`` and fill every resting order it reaches; return fills made."""
        with self._lock:
            market = self._market(symbol.replace("/", ""))
            value = Decimal(price)
            self._prices[market.id] = value
            made = self._trigger_waiting(market, value)
            for order in list(self._orders.values()):
                if order.market is market and order.status in ("NEW", "PARTIALLY_FILLED"):
                    made += self._match(order, value, resting=True)
            return made

    def _trigger_waiting(self, market: FakeMarket, last: Decimal) -> int:
        """Trigger the conditional orders waiting outside the book that ``last`` reaches; return fills made."""
        return 0

    def orders(self) -> list[dict[str, Any]]:
        """Return every order in the exchange's query format, oldest first."""
        with self._lock:
            return [self._order_json(o) for o in self._orders.values()]

    def deposit(self, asset: str, amount: Decimal | str) -> None:
        """Credit ``amount`` of ``asset`` to the free balance, as a transfer from outside would."""
        with self._lock:
            self._free[asset] = self._free.get(asset, Decimal(0)) + Decimal(amount)

    def book(self) -> list[tuple[str, str]]:
        """Return (client order id, status) of every order, oldest first; statuses are Binance's names."""
        with self._lock:
            return [(o.client_id, o.status) for o in self._orders.values()]

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """Return the free and locked balance of ``asset``."""
        with self._lock:
            return self._free.get(asset, Decimal(0)), self._locked.get(asset, Decimal(0))

    def connect(self, api_key: str | None = None, secret: str | None = None) -> Any:
        """Return the exchange's real ccxt client pointed at the server."""
        raise NotImplementedError

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
        except ApiError as err:
            result = self._error(err)
        return self._fail(failure) if failure is not None else result

    def _error(self, err: ApiError) -> tuple[int, Any]:
        raise NotImplementedError

    def _refuse(self, reason: str) -> ApiError:
        return ApiError(*self.errors[reason])

    def _fail(self, failure: Failure) -> tuple[int, Any]:
        if failure.kind == "timeout":
            self._stopping.wait(self.timeout_delay)
            return (0, None)
        status = int(failure.kind)
        return (status, f"<html><body>{status} Server Error</body></html>")

    def _route(self, method: str, path: str, query: str, body: str, headers: dict[str, str]) -> Any:
        raise NotImplementedError

    def _order_json(self, order: VenueOrder) -> dict[str, Any]:
        raise NotImplementedError

    def _market(self, market_id: str) -> FakeMarket:
        market = self.markets.get(market_id)
        if market is None:
            raise self._refuse("symbol")
        return market

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

    def _place(self, market: FakeMarket, side: str, kind: str, client_id: str, quantity: Decimal, price: Decimal,
               stop: Decimal, tif: str) -> VenueOrder:
        """Check, reserve, store and match one order (Binance's side and type names)."""
        reference = self._admit(market, client_id, quantity, price, stop)
        self._reserve(market, side, quantity, reference)
        order = self._store(market, side, kind, client_id, quantity, price, stop, tif, reference)
        self._match(order, self._prices[market.id])
        if order.status == "NEW" and (order.tif == "IOC" or kind == "MARKET"):
            self._close(order, "EXPIRED")
        if kind == "LIMIT_MAKER" and order.filled:
            raise self._refuse("maker")
        return order

    def _admit(self, market: FakeMarket, client_id: str, quantity: Decimal, price: Decimal, stop: Decimal) -> Decimal:
        """Check one order against the book and the market's filters; return the price its notional is taken at."""
        if any(o.client_id == client_id and o.status in OPEN_STATUSES for o in self._orders.values()):
            raise self._refuse("duplicate")
        for value in (price, stop):
            if value and value % market.tick:
                raise self._refuse("tick")
        if quantity % market.step:
            raise self._refuse("lot")
        if quantity < market.min_qty:
            raise self._refuse("min_qty")
        reference = price or stop or self._prices[market.id]
        if quantity * reference < market.min_notional:
            raise self._refuse("notional")
        return reference

    def _store(self, market: FakeMarket, side: str, kind: str, client_id: str, quantity: Decimal, price: Decimal,
               stop: Decimal, tif: str, reserved: Decimal, status: str = "NEW") -> VenueOrder:
        now = now_ms()
        order = VenueOrder(self._next_id, client_id, market, side, kind, tif, quantity, price, stop, now,
                           status=status, reserved=reserved, update_time=now)
        self._next_id += 1
        self._orders[order.id] = order
        return order

    def _reserve(self, market: FakeMarket, side: str, quantity: Decimal, price: Decimal) -> None:
        asset, amount = (market.quote, quantity * price) if side == "BUY" else (market.base, quantity)
        if self._free.get(asset, Decimal(0)) < amount:
            raise self._refuse("funds")
        self._free[asset] -= amount
        self._locked[asset] = self._locked.get(asset, Decimal(0)) + amount

    def _release(self, order: VenueOrder) -> None:
        left = order.quantity - order.filled
        buy = order.side == "BUY"
        asset, amount = (order.market.quote, left * order.reserved) if buy else (order.market.base, left)
        self._locked[asset] -= amount
        self._free[asset] += amount

    def _match(self, order: VenueOrder, last: Decimal, resting: bool = False) -> int:
        buy = order.side == "BUY"
        if order.stop_price and order.type.startswith(("STOP", "TAKE")) and not order.triggered:
            reached = last >= order.stop_price if buy == order.type.startswith("STOP") else last <= order.stop_price
            if not reached:
                return 0
            # Once triggered the order stays in the book as a limit (or market) order, as on the exchange.
            order.triggered = True
        if order.price and order.type not in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"):
            if (buy and last > order.price) or (not buy and last < order.price):
                return 0
            fill_price = order.price if resting else min(last, order.price) if buy else max(last, order.price)
        else:
            fill_price = last
        left = order.quantity - order.filled
        plan, self._splits = self._splits, []
        for quantity, currency in plan:
            part = min(quantity, left)
            if part > 0:
                self._execute(order, part, fill_price, currency)
                left -= part
        if left > 0:
            self._execute(order, left, fill_price, None)
        self._close(order, "FILLED")
        return 1

    def _execute(self, order: VenueOrder, quantity: Decimal, price: Decimal, currency: str | None) -> None:
        market = order.market
        if order.side == "BUY":
            self._locked[market.quote] -= quantity * order.reserved
            self._free[market.quote] += quantity * (order.reserved - price)
            received, amount = market.base, quantity
        else:
            self._locked[market.base] -= quantity
            received, amount = market.quote, quantity * price
        self._free[received] = self._free.get(received, Decimal(0)) + amount
        token = self.fee_asset
        if currency is None and token is not None:
            # Binance charges its token while the account holds enough of it, else the currency received.
            enough = self._free.get(token, Decimal(0)) >= self._fee(market, token, quantity, price)
            currency = token if enough else received
        currency = currency or received
        fee = self._fee(market, currency, quantity, price)
        self._free[currency] = self._free.get(currency, Decimal(0)) - fee
        order.fills.append({"price": fmt(price), "qty": fmt(quantity), "commission": fmt(fee),
                            "commissionAsset": currency, "tradeId": self._next_trade})
        self._next_trade += 1
        order.filled += quantity
        order.quote_filled += quantity * price

    def _fee(self, market: FakeMarket, currency: str, quantity: Decimal, price: Decimal) -> Decimal:
        if currency == market.base:
            return quantity * _FEE
        if currency == market.quote:
            return quantity * price * _FEE
        priced = self.markets.get(currency + market.quote)
        rate = self._prices[priced.id] if priced is not None else self.fee_asset_price
        return (quantity * price * _FEE / rate).quantize(Decimal("0.00000001"))

    def _close(self, order: VenueOrder, status: str) -> None:
        if status != "FILLED":
            self._release(order)
        order.status = status
        order.update_time = now_ms()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeVenue

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


