"""Routing orders to an exchange venue: send what the OMS accepted, cancel what was asked, follow fills.

Console accepts an order for an exchange venue as SUBMITTED and a cancel as PENDING_CANCEL; the
engine's :class:`ExchangeRouter` does the network part. Each :meth:`~ExchangeRouter.step` reads the
orders that need the venue, calls it outside any transaction, then records each answer in a
short transaction of its own: acknowledgements, fills (the difference between the exchange's
filled quantity and ours, so a repeated answer records nothing twice) and final states. Orders
are always sent under their client order id, so a retry or a restarted engine never makes two.
Venue answers are facts, recorded and published like paper fills, not audited decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlmodel import Session, col, select

from athena.errors import AthenaError, InvalidInput
from athena.execution.ccxt_venue import VenueAck, VenueFill, VenueOrderNotFound, VenueRejected, VenueUnavailable
from athena.execution.oms import record_fill, transition
from athena.model import FeeCharge, OrderStatus, OrderType, Side, TimeInForce
from athena.store import FillRow, OrderRow, Store

__all__ = [
    "ExchangeRouter",
    "ExchangeVenue",
    "FeeRates",
    "FeeValue",
    "RouteReport",
    "apply_ack",
    "fee_charges",
    "fee_pairs",
    "fee_rates",
    "fee_value",
    "unconverted_note",
    "venue_ids",
]

_FOLLOWED = [OrderStatus.OPEN.value, OrderStatus.PARTIALLY_FILLED.value]

#: The price of one unit of a fee currency in a quote currency, by (fee currency, quote); None: no price found.
FeeRates = Mapping[tuple[str, str], Decimal | None]


class ExchangeVenue(Protocol):
    """What the router needs of a venue (:class:`~athena.execution.ccxt_venue.CcxtVenue` fits)."""

    name: str

    def submit(self, client_order_id: str, symbol: str, side: Side | str, type: OrderType | str,
               quantity: Decimal, price: Decimal | None = None, stop_price: Decimal | None = None,
               tif: TimeInForce | str = TimeInForce.GTC) -> VenueAck:
        """Send one order."""

    def cancel(self, symbol: str, *, client_order_id: str | None = None,
               venue_order_id: str | None = None) -> VenueAck:
        """Cancel one order."""

    def fetch_order(self, symbol: str, *, client_order_id: str | None = None,
                    venue_order_id: str | None = None) -> VenueAck:
        """Return one order's state."""

    def order_trades(self, symbol: str, venue_order_id: str) -> tuple[VenueFill, ...]:
        """Return one order's executions with their fees."""

    def conversion_rate(self, currency: str, quote: str) -> Decimal | None:
        """Return the price of one ``currency`` in ``quote``, or None when the venue prices it nowhere."""


@dataclass
class RouteReport:
    """What one routing step did."""

    sent: int = 0
    rejected: int = 0
    cancelled: int = 0
    fills: int = 0
    unavailable: list[str] = field(default_factory=list)
    unconverted: list[str] = field(default_factory=list)


def fee_rates(venue: ExchangeVenue, acks: list[VenueAck], known: dict[tuple[str, str], Decimal | None]) -> None:
    """Add to ``known`` the venue's price of every third-currency fee of ``acks`` it lacks."""
    for ack in acks:
        for currency, quote in fee_pairs(ack) - set(known):
            known[(currency, quote)] = venue.conversion_rate(currency, quote)


def venue_ids(client_order_id: str) -> dict[str, str]:
    """Return how to name an order to its venue: adopted orders without our id carry ``venue:<id>``."""
    if client_order_id.startswith("venue:"):
        return {"venue_order_id": client_order_id.removeprefix("venue:")}
    return {"client_order_id": client_order_id}


def apply_ack(s: Session, row: OrderRow, ack: VenueAck, now: datetime, rates: FeeRates | None = None) -> int:
    """Bring ``row`` up to the venue's view of it; return how many fills were recorded (0 or 1).

    New fills are recorded only when the venue reports their price (an average, executions, or the
    limit price of a limit order); otherwise they wait for a later answer. The fill's fee is what
    the executions charged since the order's last fill, per currency (:func:`fee_charges`;
    ``rates`` price fees charged in a third currency), valued in the quote currency. The part
    charged in the base currency comes out of the position, not cash; the others are paid from
    cash at their value (:func:`record_fill`).
    """
    if row.status == OrderStatus.SUBMITTED.value and ack.status is not OrderStatus.REJECTED:
        transition(s, row, OrderStatus.OPEN, now, f"acknowledged by {row.venue}")
    made = 0
    delta = ack.filled_quantity - row.filled_quantity
    average = _average(ack)
    if delta > 0 and OrderStatus(row.status).is_open and average is not None:
        price = (average * ack.filled_quantity - (row.average_price or Decimal(0)) * row.filled_quantity) / delta
        recorded = s.exec(select(FillRow).where(FillRow.order_id == row.id)).all()
        charges = fee_charges(ack, rates, recorded)
        record_fill(s, row, delta, price, sum((charge.value for charge in charges), Decimal(0)), now,
                    fee_detail=charges)
        made = 1
    final = ack.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REJECTED)
    if final and OrderStatus(row.status).is_open:
        transition(s, row, ack.status, now, f"{ack.status.value} at {row.venue}")
    return made


def _average(ack: VenueAck) -> Decimal | None:
    """Return the average fill price the venue reports, from its executions if it gave no average.

    None means the venue did not say: the fill is recorded on a later answer, never at a made-up price.
    """
    if ack.average_price:
        return ack.average_price
    executed = sum((f.quantity for f in ack.fills), Decimal(0))
    if executed > 0:
        return sum((f.price * f.quantity for f in ack.fills), Decimal(0)) / executed
    return ack.price if ack.type == "limit" and ack.price else None


@dataclass(frozen=True)
class FeeValue:
    """The fees of an order's executions: valued in the quote currency, and as charged.

    ``native`` holds the amount charged per currency, ``values`` its value in the quote currency
    (a third currency without a price is in ``unconverted`` instead, at no value), ``quote`` their sum.
    """

    quote: Decimal
    native: dict[str, Decimal]
    unconverted: dict[str, Decimal]
    values: dict[str, Decimal]


def fee_pairs(ack: VenueAck) -> set[tuple[str, str]]:
    """Return the (fee currency, quote currency) pairs that need a price to value ``ack``'s fees."""
    base, _, quote = ack.symbol.partition("/")
    return {(f.fee_currency, quote) for f in ack.fills if f.fee and f.fee_currency not in (base, quote, None)}


def fee_value(ack: VenueAck, rates: FeeRates | None = None) -> FeeValue:
    """Value ``ack``'s fees in its quote currency.

    A fee in the quote currency counts as is, one in the base currency at its execution's price,
    one in a third currency (an exchange token such as BNB) at ``rates[(currency, quote)]``. A
    third-currency fee without a rate is left out of ``quote`` and listed in ``unconverted``,
    never counted as zero silently.
    """
    base, _, quote = ack.symbol.partition("/")
    native: dict[str, Decimal] = {}
    values: dict[str, Decimal] = {}
    unconverted: dict[str, Decimal] = {}
    for fill in ack.fills:
        currency = fill.fee_currency or quote
        native[currency] = native.get(currency, Decimal(0)) + fill.fee
        if currency == base:
            worth: Decimal | None = fill.fee * fill.price
        elif currency == quote:
            worth = fill.fee
        elif (rate := (rates or {}).get((currency, quote))) is not None:
            worth = fill.fee * rate
        else:
            worth = None
            if fill.fee:
                unconverted[currency] = unconverted.get(currency, Decimal(0)) + fill.fee
        values[currency] = values.get(currency, Decimal(0)) + (worth or Decimal(0))
    return FeeValue(sum(values.values(), Decimal(0)), native, unconverted, values)


def fee_charges(ack: VenueAck, rates: FeeRates | None, recorded: Iterable[FillRow]) -> tuple[FeeCharge, ...]:
    """Return what ``ack``'s executions charged that the ``recorded`` fills of its order do not hold yet.

    One :class:`~athena.model.FeeCharge` per currency with something new, in currency order: the
    amount charged in it less the amounts the recorded fills keep. An amount in the base currency
    is valued at its executions' prices (less the value already recorded), one in the quote
    currency as is, one in a third currency at ``rates`` (at no value without a rate, see
    :func:`fee_value`). A recorded fill that kept no currency (recorded before fees were kept as
    charged) counts as charged in the quote currency, as it was booked.
    """
    base, _, quote = ack.symbol.partition("/")
    value = fee_value(ack, rates)
    kept: dict[str, tuple[Decimal, Decimal]] = {}
    for fill in recorded:
        for charge in fill.fee_detail or (FeeCharge(quote, fill.fee, fill.fee),):
            amount, worth = kept.get(charge.currency, (Decimal(0), Decimal(0)))
            kept[charge.currency] = (amount + charge.amount, worth + charge.value)
    charges: list[FeeCharge] = []
    for currency, total in sorted(value.native.items()):
        amount_kept, value_kept = kept.get(currency, (Decimal(0), Decimal(0)))
        amount = total - amount_kept
        if amount <= 0:
            continue
        if currency == base:
            worth = max(Decimal(0), value.values[currency] - value_kept)
        elif currency == quote:
            worth = amount
        else:
            # The new amount at today's rate: a rate that moved since never revalues fees already recorded.
            rate = (rates or {}).get((currency, quote))
            worth = Decimal(0) if rate is None else amount * rate
        charges.append(FeeCharge(currency, amount, worth))
    return tuple(charges)


def unconverted_note(venue: str, ack: VenueAck, value: FeeValue, order: str) -> str:
    """Describe the fees of ``order`` that no price could value, for an alert."""
    quote = ack.symbol.partition("/")[2]
    charged = ", ".join(f"{amount} {currency}" for currency, amount in sorted(value.unconverted.items()))
    pairs = ", ".join(f"{currency}/{quote}" for currency in sorted(value.unconverted))
    return (f"fee of {order} ({charged}): {venue} gave no {pairs} price (direct, inverted or via USDT); "
            f"recorded as charged, not valued in {quote} nor taken from cash")


@dataclass
class ExchangeRouter:
    """Sends, cancels and follows the orders of one exchange venue."""

    venue: ExchangeVenue
    store: Store
    now: Callable[[], datetime]

    def step(self) -> RouteReport:
        """Route every order that waits for the venue; return what happened."""
        report = RouteReport()
        rates: dict[tuple[str, str], Decimal | None] = {}
        with self.store.read() as s:
            rows = s.exec(select(OrderRow).where(
                OrderRow.venue == self.venue.name,
                col(OrderRow.status).in_([OrderStatus.SUBMITTED.value, OrderStatus.PENDING_CANCEL.value,
                                          *_FOLLOWED]),
            ).order_by(col(OrderRow.id))).all()
            work = [(row.id or 0, row.status, row.client_order_id) for row in rows]
            orders = {row.id or 0: row.model_copy() for row in rows}
        for order_id, status, cid in work:
            row = orders[order_id]
            try:
                if status == OrderStatus.SUBMITTED.value:
                    ack = self.venue.submit(cid, row.symbol, row.side, row.type, row.quantity, row.price,
                                            row.stop_price, row.tif)
                    report.sent += 1
                elif status == OrderStatus.PENDING_CANCEL.value:
                    ack = self._cancel(row)
                    report.cancelled += 1
                else:
                    ack = self.venue.fetch_order(row.symbol, **venue_ids(cid))
                if ack.filled_quantity > row.filled_quantity and not ack.fills and ack.venue_order_id:
                    ack = replace(ack, fills=self.venue.order_trades(row.symbol, ack.venue_order_id))
            except VenueRejected as exc:
                if status != OrderStatus.SUBMITTED.value:
                    report.unavailable.append(f"{cid}: {exc}")
                    continue
                self._finish(order_id, OrderStatus.REJECTED, f"{exc.reason}: {exc}")
                report.rejected += 1
                continue
            except (VenueUnavailable, AthenaError) as exc:
                report.unavailable.append(f"{cid}: {exc}")
                continue
            if ack.filled_quantity > row.filled_quantity:
                fee_rates(self.venue, [ack], rates)
            try:
                made = self._record(order_id, ack, rates)
            except InvalidInput as exc:
                # An answer that cannot be booked (a fee above the coins bought): nothing recorded, the order waits.
                report.unavailable.append(f"{cid}: {exc}")
                continue
            value = fee_value(ack, rates)
            if made and value.unconverted:
                report.unconverted.append(unconverted_note(self.venue.name, ack, value, cid))
            report.fills += made
        return report

    def _cancel(self, row: OrderRow) -> VenueAck:
        try:
            return self.venue.cancel(row.symbol, **venue_ids(row.client_order_id))
        except VenueOrderNotFound:
            # Never reached the exchange (accepted, then cancelled before it was sent).
            return VenueAck("", row.client_order_id, row.symbol, Side(row.side), row.type, OrderStatus.CANCELLED,
                            row.quantity, row.price, row.filled_quantity, row.average_price)

    def _record(self, order_id: int, ack: VenueAck, rates: FeeRates) -> int:
        with self.store.write() as s:
            row = s.get(OrderRow, order_id)
            if row is None:
                return 0
            return apply_ack(s, row, ack, self.now(), rates)

    def _finish(self, order_id: int, status: OrderStatus, reason: str) -> None:
        with self.store.write() as s:
            row = s.get(OrderRow, order_id)
            if row is not None and OrderStatus(row.status).is_open:
                transition(s, row, status, self.now(), reason)
