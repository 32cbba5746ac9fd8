"""Reconciliation: compare what the OMS believes with what a venue reports, and list every difference.

:func:`reconcile` reads the venue and changes nothing; the OMS decides what to adopt, audit and alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from athena.execution.ccxt_venue import Balance, VenueAck

__all__ = ["BalanceDifference", "KnownOrder", "OrderMismatch", "ReconcileReport", "VenueView", "reconcile"]


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
    """A currency whose local total differs from the venue's."""

    currency: str
    local: Decimal
    venue: Decimal


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
