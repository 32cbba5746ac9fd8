"""A venue on a real exchange through ccxt (binance and bybit spot), and its encrypted API keys.

:class:`CcxtVenue` validates orders against the market's tick, lot, minimum quantity and minimum
notional before anything is sent, so the exchange never has to reject them; maps ccxt errors onto
the Athena tree; and retries only retryable failures (network, timeout, rate limit, exchange
unavailable) with exponential backoff, always with the same client order id. A create that may
have reached the exchange is looked up by its client order id before it is sent again, so one id
never makes two orders. A stop must wait on the right side of the last price (a buy stop above
it, a sell stop below): bybit reads a spot trigger's direction from that side, and binance refuses
a stop that would trigger at once. Reconciliation lives in :mod:`athena.execution.venue_reconcile`,
encrypted API keys in :mod:`athena.execution.venue_credentials`. ccxt is imported only by functions
that need it.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

from athena.errors import InvalidConfig, InvalidOrder, NotAllowed, Unavailable, UnknownOrder
from athena.execution.venue_credentials import Credentials
from athena.model import DenialReason, OrderStatus, OrderType, Side, TimeInForce, to_decimal

__all__ = [
    "SUPPORTED_EXCHANGES",
    "Balance",
    "CcxtVenue",
    "MarketRules",
    "VenueAck",
    "VenueAuthFailed",
    "VenueFill",
    "VenueOrderNotFound",
    "VenueRejected",
    "VenueUnavailable",
]

SUPPORTED_EXCHANGES = ("binance", "bybit")
_T = TypeVar("_T")
_STATUS = {"closed": OrderStatus.FILLED, "canceled": OrderStatus.CANCELLED, "cancelled": OrderStatus.CANCELLED,
           "expired": OrderStatus.EXPIRED, "rejected": OrderStatus.REJECTED}
_OPTIONS: dict[str, dict[str, Any]] = {
    "binance": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
    "bybit": {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False},
}
# The parameter naming an order by client order id in cancel and fetch requests.
_CLIENT_ID_PARAM = {"binance": "origClientOrderId", "bybit": "orderLinkId"}


class VenueUnavailable(Unavailable):
    """The exchange could not be reached or did not answer, also after the retries."""


class VenueRejected(InvalidOrder):
    """The order was refused, locally against the market's rules or by the exchange.

    ``reason`` is a stable :class:`~athena.model.DenialReason` value when one fits, else ``"EXCHANGE"``.
    """

    def __init__(self, message: str, reason: str = "EXCHANGE") -> None:
        super().__init__(message)
        self.reason = reason


class VenueAuthFailed(NotAllowed):
    """The exchange refused the API key, its signature or its permissions."""


class VenueOrderNotFound(UnknownOrder):
    """The exchange knows no order with that id."""


@dataclass(frozen=True)
class MarketRules:
    """Precision and limits of one market, exact."""

    symbol: str
    tick: Decimal
    lot: Decimal
    min_quantity: Decimal
    min_notional: Decimal | None


@dataclass(frozen=True)
class VenueFill:
    """One execution reported by the exchange."""

    trade_id: str | None
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str | None


@dataclass(frozen=True)
class VenueAck:
    """The exchange's view of one order."""

    venue_order_id: str
    client_order_id: str | None
    symbol: str
    side: Side
    type: str
    status: OrderStatus
    quantity: Decimal
    price: Decimal | None
    filled_quantity: Decimal
    average_price: Decimal | None
    fills: tuple[VenueFill, ...] = ()


@dataclass(frozen=True)
class Balance:
    """Free, reserved and total amount of one currency."""

    currency: str
    free: Decimal
    used: Decimal
    total: Decimal


def _dec(value: Any, name: str = "value") -> Decimal:
    return to_decimal(value if isinstance(value, str | int | Decimal) else float(value), name)


def _opt(value: Any) -> Decimal | None:
    return None if value is None else _dec(value)


def _is_multiple(value: Decimal, step: Decimal) -> bool:
    return step <= 0 or value % step == 0


class CcxtVenue:
    """Orders, cancels, open orders and balances on a ccxt exchange, with exact precision rules.

    Parameters
    ----------
    exchange : ccxt.Exchange
        A synchronous ccxt client (binance or bybit), with credentials for the private calls.
    retries : int
        How many times a retryable failure is retried before :class:`VenueUnavailable`.
    backoff : float
        Seconds before the first retry; doubled each time, up to ``max_backoff``.
    max_backoff : float
        Longest wait between two attempts, in seconds.
    sleep : callable, optional
        Waits the given seconds; tests pass a fake so they never really sleep.
    """

    def __init__(
        self,
        exchange: Any,
        *,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if exchange.id not in SUPPORTED_EXCHANGES:
            raise InvalidConfig(f"exchange must be one of {', '.join(SUPPORTED_EXCHANGES)}, was {exchange.id!r}")
        if retries < 0 or backoff < 0:
            raise InvalidConfig(f"retries and backoff must be >= 0, was retries={retries} backoff={backoff}")
        self.exchange = exchange
        self.name = str(exchange.id)
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep or time.sleep
        self._rules: dict[str, MarketRules] = {}
        self._submitted: dict[str, tuple[object, ...]] = {}
        if self.name == "binance":
            self.exchange.options["warnOnFetchOpenOrdersWithoutSymbol"] = False

    @classmethod
    def create(
        cls,
        exchange_id: str,
        credentials: Credentials | None = None,
        *,
        sandbox: bool = True,
        api_url: str | None = None,
        **kwargs: Any,
    ) -> CcxtVenue:
        """Build a venue on a new ccxt client; sandbox (testnet) mode is the default.

        Parameters
        ----------
        exchange_id : str
            ``"binance"`` or ``"bybit"``.
        credentials : Credentials, optional
            The API key; without one only public calls work.
        sandbox : bool
            Trade on the exchange's testnet; ``False`` trades real money.
        api_url : str, optional
            ``scheme://host[:port]`` that replaces the host of every REST endpoint (a gateway, or
            a local test exchange); the paths stay the exchange's.
        **kwargs
            Passed to :class:`CcxtVenue` (``retries``, ``backoff``, ``sleep``...).

        Returns
        -------
        CcxtVenue
            The venue; no request has been made yet.
        """
        if exchange_id not in SUPPORTED_EXCHANGES:
            raise InvalidConfig(f"exchange must be one of {', '.join(SUPPORTED_EXCHANGES)}, was {exchange_id!r}")
        import ccxt

        config: dict[str, Any] = {"enableRateLimit": True, "options": dict(_OPTIONS[exchange_id])}
        if credentials is not None:
            config.update(apiKey=credentials.api_key, secret=credentials.secret)
            if credentials.password:
                config["password"] = credentials.password
        exchange = getattr(ccxt, exchange_id)(config)
        exchange.set_sandbox_mode(sandbox)
        if api_url:
            for name, value in list(exchange.urls["api"].items()):
                if isinstance(value, str):
                    exchange.urls["api"][name] = api_url.rstrip("/") + urlsplit(value).path
        return cls(exchange, **kwargs)

    def close(self) -> None:
        """Close the client's HTTP connections."""
        self.exchange.session.close()

    def __repr__(self) -> str:
        return f"CcxtVenue({self.name}, sandbox={bool(self.exchange.isSandboxModeEnabled)}, credentials=***)"

    def load_markets(self, reload: bool = False) -> dict[str, MarketRules]:
        """Load the markets and return the precision rules of every symbol."""
        markets = self._retrying("load_markets", lambda: self.exchange.load_markets(reload))
        self._rules = {symbol: self._rules_of(market) for symbol, market in markets.items()}
        return dict(self._rules)

    def _rules_of(self, market: Mapping[str, Any]) -> MarketRules:
        from ccxt.base.decimal_to_precision import TICK_SIZE

        precision, limits = market.get("precision") or {}, market.get("limits") or {}

        def step(value: Any) -> Decimal:
            if value is None:
                return Decimal(0)
            if self.exchange.precisionMode == TICK_SIZE:
                return _dec(value)
            return Decimal(1).scaleb(-int(value))

        lot = step(precision.get("amount"))
        min_quantity = _opt((limits.get("amount") or {}).get("min")) or lot
        return MarketRules(str(market["symbol"]), step(precision.get("price")), lot, min_quantity,
                           _opt((limits.get("cost") or {}).get("min")))

    def rules(self, symbol: str) -> MarketRules:
        """Return the precision and limits of ``symbol``, loading the markets on first use.

        Raises
        ------
        VenueRejected
            When the exchange has no such market (reason ``UNKNOWN_SYMBOL``).
        """
        if not self._rules:
            self.load_markets()
        try:
            return self._rules[symbol]
        except KeyError:
            near = difflib.get_close_matches(symbol, list(self._rules), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            message = f"unknown symbol {symbol!r} on {self.name}{hint}"
            raise VenueRejected(message, DenialReason.UNKNOWN_SYMBOL) from None

    def check(
        self,
        symbol: str,
        quantity: Decimal,
        price: Decimal | None = None,
        stop_price: Decimal | None = None,
        reference_price: Decimal | None = None,
    ) -> MarketRules:
        """Refuse an order that breaks the market's tick, lot, minimum quantity or minimum notional.

        Parameters
        ----------
        symbol : str
            The unified symbol.
        quantity : Decimal
            Base quantity.
        price, stop_price : Decimal, optional
            Limit and trigger prices.
        reference_price : Decimal, optional
            Price for the notional check of a market order.

        Returns
        -------
        MarketRules
            The rules checked.

        Raises
        ------
        VenueRejected
            With reason ``UNKNOWN_SYMBOL``, ``OFF_TICK``, ``OFF_LOT`` or ``BELOW_MIN_QUANTITY``.
        """
        rules = self.rules(symbol)
        if quantity <= 0:
            raise VenueRejected(f"quantity must be > 0, was {quantity}", DenialReason.BELOW_MIN_QUANTITY)
        for name, value in (("price", price), ("stop_price", stop_price)):
            if value is not None and (value <= 0 or not _is_multiple(value, rules.tick)):
                raise VenueRejected(f"{name} {value} of {symbol} is not a positive multiple of the tick {rules.tick}",
                                    DenialReason.OFF_TICK)
        if not _is_multiple(quantity, rules.lot):
            raise VenueRejected(f"quantity {quantity} of {symbol} is not a multiple of the lot {rules.lot}",
                                DenialReason.OFF_LOT)
        if quantity < rules.min_quantity:
            raise VenueRejected(f"quantity {quantity} of {symbol} is below the minimum {rules.min_quantity}",
                                DenialReason.BELOW_MIN_QUANTITY)
        basis = price or stop_price or reference_price
        if rules.min_notional is not None and basis is not None and quantity * basis < rules.min_notional:
            raise VenueRejected(f"notional {quantity * basis} of {symbol} is below the minimum {rules.min_notional}",
                                DenialReason.BELOW_MIN_QUANTITY)
        return rules

    def last_price(self, symbol: str) -> Decimal:
        """Return the last traded price of ``symbol``.

        Raises
        ------
        VenueRejected
            The exchange reports no price above 0 (the market has not traded); reason ``NO_MARKET_PRICE``.
        """
        ticker = self._retrying("fetch_ticker", lambda: self.exchange.fetch_ticker(symbol))
        raw = next((ticker[key] for key in ("last", "close") if ticker.get(key) is not None), None)
        price = None if raw is None else _dec(raw, "last price")
        if price is None or not price > 0:
            raise VenueRejected(f"{self.name} reports no last price for {symbol} (was {raw!r}): it has not traded",
                                DenialReason.NO_MARKET_PRICE.value)
        return price

    def conversion_rate(self, currency: str, quote: str) -> Decimal | None:
        """Return the price of one ``currency`` in ``quote`` from the exchange's last prices.

        Tries the market ``CURRENCY/QUOTE``, then ``QUOTE/CURRENCY`` (inverted), then the cross
        through USDT (``CURRENCY/USDT`` over ``QUOTE/USDT``). Returns None when no market prices it
        or the exchange does not answer, so the caller can say so instead of counting zero.
        """
        try:
            markets = self._rules or self.load_markets()
            if currency == quote:
                return Decimal(1)
            if f"{currency}/{quote}" in markets:
                return self.last_price(f"{currency}/{quote}")
            if f"{quote}/{currency}" in markets:
                return 1 / self.last_price(f"{quote}/{currency}")
            if f"{currency}/USDT" in markets and f"{quote}/USDT" in markets:
                return self.last_price(f"{currency}/USDT") / self.last_price(f"{quote}/USDT")
        except (VenueUnavailable, VenueRejected, VenueAuthFailed):
            return None
        return None

    def submit(
        self,
        client_order_id: str,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        quantity: Decimal,
        price: Decimal | None = None,
        stop_price: Decimal | None = None,
        tif: TimeInForce | str = TimeInForce.GTC,
    ) -> VenueAck:
        """Send an order once, whatever the retries; return the exchange's acknowledgement.

        Parameters
        ----------
        client_order_id : str
            The idempotency key, sent as the exchange's client order id.
        symbol : str
            The unified symbol, e.g. ``"BTC/USDT"``.
        side : Side or str
            ``buy`` or ``sell``.
        type : OrderType or str
            ``market``, ``limit`` or ``stop`` (a stop with ``price`` is a stop-limit).
        quantity : Decimal
            Base quantity, a multiple of the lot.
        price : Decimal, optional
            Limit price, on the tick; required for limit orders.
        stop_price : Decimal, optional
            Trigger price, on the tick; required for stop orders. A buy stop triggers when the price
            rises to it and a sell stop when it falls to it, so it must be above (buy) or below
            (sell) the last price when the order is first sent.
        tif : TimeInForce or str
            ``GTC`` or ``IOC`` for limit orders.

        Returns
        -------
        VenueAck
            Venue order id, status, filled quantity, average price and fills.

        Raises
        ------
        VenueRejected
            Refused locally (rules, duplicate id with other content, a stop on the wrong side of the
            last price: reason ``INVALID``) or by the exchange.
        VenueAuthFailed
            The exchange refused the key.
        VenueUnavailable
            Still failing after the retries; the order may or may not exist, look it up by id.
        """
        side, kind, tif = Side(side), OrderType(type), TimeInForce(tif)
        quantity = _dec(quantity, "quantity")
        price, stop_price = _opt(price), _opt(stop_price)
        if kind is OrderType.LIMIT and price is None:
            raise VenueRejected("a limit order needs price", "INVALID")
        if kind is OrderType.STOP and stop_price is None:
            raise VenueRejected("a stop order needs stop_price", "INVALID")
        if kind is OrderType.MARKET and (price is not None or stop_price is not None):
            raise VenueRejected("a market order takes no price or stop_price", "INVALID")
        reference = None
        if kind is OrderType.MARKET and self.rules(symbol).min_notional is not None:
            reference = self.last_price(symbol)
        self.check(symbol, quantity, price, stop_price, reference)
        fingerprint = (symbol, side, quantity, kind, price, stop_price, tif)
        known = self._submitted.get(client_order_id)
        if known is not None and known != fingerprint:
            raise VenueRejected(f"client order id {client_order_id!r} was already used for another order",
                                DenialReason.DUPLICATE_CLIENT_ORDER_ID)
        if kind is OrderType.STOP and stop_price is not None and known is None:
            self._check_trigger(symbol, side, stop_price)
        self._submitted[client_order_id] = fingerprint
        params: dict[str, Any] = {"clientOrderId": client_order_id}
        if kind is OrderType.LIMIT:
            params["timeInForce"] = tif.value
        if stop_price is not None:
            params["triggerPrice"] = float(stop_price)
        ccxt_type = "limit" if price is not None else "market"
        try:
            return self._create(client_order_id, symbol, side, ccxt_type, quantity, price, params, known is not None)
        except (VenueRejected, VenueAuthFailed):
            del self._submitted[client_order_id]
            raise

    def _check_trigger(self, symbol: str, side: Side, stop_price: Decimal) -> None:
        # bybit has no trigger direction for spot: it triggers on the price reaching the trigger from
        # the side it is on now, so a sell stop above the price would wait for a rise, a take-profit.
        last = self.last_price(symbol)
        shown = f"{last.normalize():f}"
        if side is Side.BUY and stop_price <= last:
            raise VenueRejected(f"a buy stop on {symbol} triggers when the price rises to stop_price, so stop_price "
                                f"must be above the last price {shown}, was {stop_price}", "INVALID")
        if side is Side.SELL and stop_price >= last:
            raise VenueRejected(f"a sell stop on {symbol} triggers when the price falls to stop_price, so stop_price "
                                f"must be below the last price {shown}, was {stop_price}", "INVALID")

    def _create(self, cid: str, symbol: str, side: Side, ccxt_type: str, quantity: Decimal,
                price: Decimal | None, params: dict[str, Any], maybe_sent: bool) -> VenueAck:
        import ccxt

        for attempt in range(self.retries + 1):
            try:
                if maybe_sent:
                    existing = self._lookup(symbol, cid)
                    if existing is not None:
                        return existing
                raw = self.exchange.create_order(symbol, ccxt_type, side.value, float(quantity),
                                                 None if price is None else float(price), dict(params))
                return self._known(raw, symbol, cid)
            except _retryable() as exc:
                maybe_sent = True
                self._wait(attempt, exc, f"create {cid}")
            except ccxt.BaseError as exc:
                if maybe_sent and _is_duplicate(exc):
                    found = self._lookup(symbol, cid)
                    if found is not None:
                        return found
                raise _mapped(exc, f"create {cid}") from exc
        raise AssertionError("unreachable")

    def _lookup(self, symbol: str, cid: str) -> VenueAck | None:
        try:
            return self.fetch_order(symbol, client_order_id=cid)
        except VenueOrderNotFound:
            return None

    def cancel(self, symbol: str, *, client_order_id: str | None = None, venue_order_id: str | None = None) -> VenueAck:
        """Cancel one order by client order id or venue order id; return its final state.

        Raises
        ------
        VenueOrderNotFound
            The exchange knows no such order.
        """
        params = self._id_params(client_order_id, venue_order_id)
        try:
            raw = self._cancel_once(symbol, venue_order_id, params)
        except (VenueRejected, VenueOrderNotFound):
            # A retried cancel may find the order already cancelled by its first attempt.
            ack = self.fetch_order(symbol, client_order_id=client_order_id, venue_order_id=venue_order_id)
            if ack.status.is_open:
                raise
            return ack
        return self._known(raw, symbol, client_order_id)

    def _cancel_once(self, symbol: str, venue_order_id: str | None, params: dict[str, Any]) -> Any:
        def cancel(extra: dict[str, Any]) -> Any:
            request = {**params, **extra}
            return self._retrying("cancel", lambda: self.exchange.cancel_order(venue_order_id, symbol, request))

        if self.name != "bybit":
            return cancel({})
        try:
            return cancel({})
        except VenueOrderNotFound:
            # bybit looks for a spot order under one orderFilter, which ccxt sends as "Order" unless
            # told `trigger`: a conditional (stop) order is found only as "StopOrder".
            return cancel({"trigger": True})

    def fetch_order(
        self, symbol: str, *, client_order_id: str | None = None, venue_order_id: str | None = None
    ) -> VenueAck:
        """Return the exchange's current view of one order.

        Raises
        ------
        VenueOrderNotFound
            The exchange knows no such order.
        """
        params = self._id_params(client_order_id, venue_order_id)
        if self.name == "bybit":
            raw = self._retrying("fetch_order", lambda: self._bybit_order(symbol, client_order_id, venue_order_id))
        else:
            raw = self._retrying("fetch_order", lambda: self.exchange.fetch_order(venue_order_id, symbol, dict(params)))
        return self._ack(raw, symbol, client_order_id)

    def _known(self, raw: Mapping[str, Any], symbol: str, cid: str | None) -> VenueAck:
        # bybit answers a create or a cancel with the order's ids only: read the order itself.
        if raw.get("side") is None and raw.get("id") is not None:
            return self.fetch_order(symbol, venue_order_id=str(raw["id"]))
        return self._ack(raw, symbol, cid)

    def _bybit_order(self, symbol: str, cid: str | None, vid: str | None) -> Any:
        import ccxt

        # bybit's fetch_order takes no client order id and sees only the last 500 orders; its
        # fetch_closed_orders leaves out cancelled ones, so ask for cancelled and closed together.
        wanted = {"orderLinkId": cid} if cid is not None else {"orderId": vid}
        for method in (self.exchange.fetch_open_orders, self.exchange.fetch_canceled_and_closed_orders):
            for raw in method(symbol, None, None, dict(wanted)):
                by_venue_id = vid is not None and str(raw.get("id")) == vid
                if by_venue_id or (cid is not None and raw.get("clientOrderId") == cid):
                    return raw
        raise ccxt.OrderNotFound(f"bybit has no order {cid or vid} on {symbol}")

    def order_trades(self, symbol: str, venue_order_id: str) -> tuple[VenueFill, ...]:
        """Return the executions of one order with their fees (order queries often omit them)."""
        raws = self._retrying("fetch_order_trades",
                              lambda: self.exchange.fetch_order_trades(venue_order_id, symbol))
        return tuple(_fill(t) for t in raws)

    def open_orders(self, symbol: str | None = None) -> list[VenueAck]:
        """Return the open orders, of one symbol or of all."""
        raws = self._retrying("fetch_open_orders", lambda: self.exchange.fetch_open_orders(symbol))
        return [self._ack(raw, str(raw.get("symbol") or symbol), None) for raw in raws]

    def balances(self) -> dict[str, Balance]:
        """Return the balance of every currency held, by currency code."""
        raw = self._retrying("fetch_balance", self.exchange.fetch_balance)
        result: dict[str, Balance] = {}
        for currency, total in (raw.get("total") or {}).items():
            if total is None:
                continue
            free = _dec(raw["free"].get(currency) or 0)
            used = _dec(raw["used"].get(currency) or 0)
            result[currency] = Balance(currency, free, used, _dec(total))
        return result

    def _id_params(self, client_order_id: str | None, venue_order_id: str | None) -> dict[str, Any]:
        if (client_order_id is None) == (venue_order_id is None):
            raise InvalidOrder("give exactly one of client_order_id and venue_order_id")
        return {} if client_order_id is None else {_CLIENT_ID_PARAM[self.name]: client_order_id}

    def _retrying(self, what: str, call: Callable[[], _T]) -> _T:
        import ccxt

        for attempt in range(self.retries + 1):
            try:
                return call()
            except _retryable() as exc:
                self._wait(attempt, exc, what)
            except ccxt.BaseError as exc:
                raise _mapped(exc, what) from exc
        raise AssertionError("unreachable")

    def _wait(self, attempt: int, exc: Exception, what: str) -> None:
        if attempt >= self.retries:
            raise VenueUnavailable(
                f"{self.name} {what} failed after {attempt + 1} attempts: {type(exc).__name__}: {exc}"
            ) from exc
        self._sleep(min(self.max_backoff, self.backoff * 2**attempt))

    def _ack(self, raw: Mapping[str, Any], symbol: str, cid: str | None) -> VenueAck:
        filled = _dec(raw.get("filled") or 0)
        status = _STATUS.get(str(raw.get("status")), OrderStatus.OPEN)
        if status is OrderStatus.OPEN and filled > 0:
            status = OrderStatus.PARTIALLY_FILLED
        info = raw.get("info") or {}
        client = info.get("origClientOrderId") or raw.get("clientOrderId") or cid
        fills = tuple(_fill(t) for t in raw.get("trades") or ())
        return VenueAck(
            venue_order_id=str(raw["id"]), client_order_id=None if client is None else str(client),
            symbol=str(raw.get("symbol") or symbol), side=Side(str(raw.get("side")).lower()),
            type=str(raw.get("type")), status=status, quantity=_dec(raw.get("amount") or 0),
            price=_opt(raw.get("price") or None), filled_quantity=filled,
            average_price=_opt(raw.get("average") or None), fills=fills,
        )


def _fill(trade: Mapping[str, Any]) -> VenueFill:
    fee = trade.get("fee") or {}
    return VenueFill(None if trade.get("id") is None else str(trade["id"]), _dec(trade["price"]),
                     _dec(trade["amount"]), _dec(fee.get("cost") or 0), fee.get("currency"))


def _is_duplicate(exc: Exception) -> bool:
    """Return whether the exchange refused a reused client order id (binance, bybit)."""
    return any(text in str(exc) for text in ("Duplicate order", "OrderLinkedID is duplicate"))


def _retryable() -> tuple[type[Exception], ...]:
    import ccxt

    return (ccxt.NetworkError, ccxt.RequestTimeout, ccxt.DDoSProtection, ccxt.RateLimitExceeded,
            ccxt.ExchangeNotAvailable)


def _mapped(exc: Exception, what: str) -> Exception:
    import ccxt

    text = f"{what}: {type(exc).__name__}: {exc}"
    if isinstance(exc, ccxt.AuthenticationError):
        return VenueAuthFailed(text)
    if isinstance(exc, ccxt.OrderNotFound):
        return VenueOrderNotFound(text)
    if isinstance(exc, ccxt.BadSymbol):
        return VenueRejected(text, DenialReason.UNKNOWN_SYMBOL)
    if isinstance(exc, ccxt.InvalidOrder) and _is_duplicate(exc):
        return VenueRejected(text, DenialReason.DUPLICATE_CLIENT_ORDER_ID)
    if isinstance(exc, ccxt.ExchangeError):
        return VenueRejected(text, "INSUFFICIENT_FUNDS" if isinstance(exc, ccxt.InsufficientFunds) else "EXCHANGE")
    return VenueUnavailable(text)
