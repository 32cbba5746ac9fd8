"""Reconciliation: compare what the OMS believes with what a venue reports, and list every difference.

:func:`reconcile` reads the venue's open orders (and balances) and changes nothing;
:func:`holding_differences` compares the positions and cash Athena books with what the venue
holds. Both only list; the caller decides what to adopt, audit and alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from athena.execution.ccxt_venue import Balance, VenueAck

__all__ = [
    "DUST",
    "BalanceDifference",
    "KnownOrder",
    "OrderMismatch",
    "ReconcileReport",
    "VenueHoldings",
    "VenueView",
    "holding_differences",
    "reconcile",
]

#: Differences of holdings at or below this are float noise of the venue's balances, not positions.
DUST = Decimal("1e-12")


class VenueView(Protocol):
    """What reconciliation reads of a venue (:class:`~athena.execution.ccxt_venue.CcxtVenue` fits)."""

    name: str

    def open_orders(self, symbol: str | None = None) -> list[VenueAck]:
        """Return the open orders."""

    def balances(self) -> dict[str, Balance]:
        """Return the balances by currency."""


class KnownOrder(Protocol):
    """What reconciliation needs of an order the OMS believes open (``Order`` and ``OrderRow`` fit)."""

    @property
    def symbol(self) -> str: ...

    @property
    def quantity(self) -> Decimal: ...

    @property
    def filled_quantity(self) -> Decimal: ...


@dataclass(frozen=True)
class OrderMismatch:
    """An order open on both sides whose quantity or filled quantity differ."""

    client_order_id: str
    field: str
    local: Decimal | str
    venue: Decimal | str


@dataclass(frozen=True)
class BalanceDifference:
    """A currency whose local total differs from the venue's.

    ``symbol`` names the position that holds a base currency; it is None for cash (the quote currency)
    and for plain balance comparisons.
    """

    currency: str
    local: Decimal
    venue: Decimal
    symbol: str | None = None


@dataclass(frozen=True)
class VenueHoldings:
    """What a venue holds and its last prices, read for the symbols Athena trades there."""

    symbols: tuple[str, ...]
    balances: Mapping[str, Balance]
    prices: Mapping[str, Decimal]


@dataclass(frozen=True)
class ReconcileReport:
    """Every discrepancy between the OMS's view and the venue's."""

    venue: str
    unknown_at_venue: tuple[VenueAck, ...]
    missing_at_venue: tuple[str, ...]
    mismatched: tuple[OrderMismatch, ...]
    balance_differences: tuple[BalanceDifference, ...]

    @property
    def clean(self) -> bool:
        """Return whether both sides agree."""
        return not (self.unknown_at_venue or self.missing_at_venue or self.mismatched or self.balance_differences)


def reconcile(
    venue: VenueView,
    known_open: Mapping[str, KnownOrder],
    known_balances: Mapping[str, Decimal] | None = None,
    *,
    tolerance: Decimal = Decimal(0),
) -> ReconcileReport:
    """List the discrepancies between the orders and balances the OMS knows and the venue's.

    Reads the venue (open orders, and balances when ``known_balances`` is given); changes nothing.

    Parameters
    ----------
    venue : VenueView
        The venue to read.
    known_open : Mapping[str, KnownOrder]
        The orders the OMS believes open at this venue, by client order id.
    known_balances : Mapping[str, Decimal], optional
        Total balance by currency as the OMS believes; omitted, balances are not compared.
    tolerance : Decimal
        Largest balance difference that is not reported.

    Returns
    -------
    ReconcileReport
        Orders open at the venue and unknown locally, local open orders missing at the venue,
        orders whose quantities differ, and balance differences.
    """
    at_venue = {ack.client_order_id or f"venue:{ack.venue_order_id}": ack for ack in venue.open_orders()}
    unknown = tuple(ack for cid, ack in at_venue.items() if cid not in known_open)
    missing = tuple(cid for cid in known_open if cid not in at_venue)
    mismatched: list[OrderMismatch] = []
    for cid, local in known_open.items():
        remote = at_venue.get(cid)
        if remote is None:
            continue
        pairs: tuple[tuple[str, Decimal | str, Decimal | str], ...] = (
            ("symbol", local.symbol, remote.symbol),
            ("quantity", local.quantity, remote.quantity),
            ("filled_quantity", local.filled_quantity, remote.filled_quantity),
        )
        for name, mine, theirs in pairs:
            if mine != theirs:
                mismatched.append(OrderMismatch(cid, name, mine, theirs))
    differences: list[BalanceDifference] = []
    if known_balances is not None:
        remote_balances = {c: b.total for c, b in venue.balances().items()}
        for currency in sorted(set(known_balances) | set(remote_balances)):
            mine = known_balances.get(currency, Decimal(0))
            theirs = remote_balances.get(currency, Decimal(0))
            if abs(mine - theirs) > tolerance:
                differences.append(BalanceDifference(currency, mine, theirs))
    return ReconcileReport(venue.name, unknown, missing, tuple(mismatched), tuple(differences))


def holding_differences(
    holdings: VenueHoldings, positions: Mapping[str, Decimal], cash: Decimal,
    lots: Mapping[str, Decimal] | None = None,
) -> tuple[tuple[BalanceDifference, ...], str | None]:
    """Compare Athena's positions and cash with the venue's balances of the traded symbols' currencies.

    Each base currency is compared with the sum of the positions of the symbols that have it as base
    (the difference names the first of them), unless it is also some symbol's quote: trading that
    symbol moves the balance without moving those positions, so it is skipped and the note says so.
    A difference counts when it is at least half the first symbol's lot (``lots``), or above
    :data:`DUST` without one, so the float noise of the venue's balances never becomes a position.
    Cash is compared with the quote currency's balance (differences above :data:`DUST`) when every
    symbol quotes in the same currency and that currency is no symbol's base; otherwise cash is not
    comparable and the note says why.

    Parameters
    ----------
    holdings : VenueHoldings
        The venue's balances, for ``holdings.symbols``.
    positions : Mapping[str, Decimal]
        Athena's net position per symbol.
    cash : Decimal
        Athena's cash.
    lots : Mapping[str, Decimal], optional
        The quantity step of each symbol.

    Returns
    -------
    tuple[tuple[BalanceDifference, ...], str or None]
        The differences (base currencies first, in symbol order, then cash), and what was not
        compared and why (None when everything was).
    """
    def held(currency: str) -> Decimal:
        balance = holdings.balances.get(currency)
        return balance.total if balance is not None else Decimal(0)

    pairs = [symbol.partition("/")[::2] for symbol in holdings.symbols]
    quotes = sorted({quote for _, quote in pairs})
    differences: list[BalanceDifference] = []
    skipped: list[str] = []
    for base in dict.fromkeys(base for base, _ in pairs):
        if base in quotes:
            skipped.append(f"{base} not compared: it is also traded as a quote currency")
            continue
        mine = [symbol for symbol, (b, _) in zip(holdings.symbols, pairs, strict=True) if b == base]
        local = sum((positions.get(symbol, Decimal(0)) for symbol in mine), Decimal(0))
        lot = (lots or {}).get(mine[0])
        gap = abs(local - held(base))
        if (gap >= lot / 2) if lot else gap > DUST:
            differences.append(BalanceDifference(base, local, held(base), mine[0]))
    if len(quotes) != 1:
        skipped.append(f"cash not compared: the symbols quote in {', '.join(quotes) or 'nothing'}")
    elif quotes[0] in {base for base, _ in pairs}:
        skipped.append(f"cash not compared: {quotes[0]} is also traded as a base currency")
    elif abs(cash - held(quotes[0])) > DUST:
        differences.append(BalanceDifference(quotes[0], cash, held(quotes[0])))
    return tuple(differences), "; ".join(skipped) or None
