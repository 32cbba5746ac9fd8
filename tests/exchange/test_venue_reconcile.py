"""Reconciliation lists every difference between the OMS's view and the venue's."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from athena.execution.ccxt_venue import Balance, CcxtVenue
from athena.execution.venue_reconcile import (
    BalanceDifference,
    OrderMismatch,
    VenueHoldings,
    holding_differences,
    reconcile,
)
from athena.testing.fake_exchange import FakeExchange


@dataclass(frozen=True)
class Local:
    symbol: str
    quantity: Decimal
    filled_quantity: Decimal = Decimal(0)


def test_reconcile_when_both_sides_agree_is_clean(venue: CcxtVenue) -> None:
    venue.submit("a-1", "BTC/USDT", "buy", "limit", Decimal("0.01"), price=Decimal("29000"))

    report = reconcile(venue, {"a-1": Local("BTC/USDT", Decimal("0.01"))})

    assert report.clean


def test_reconcile_when_sides_differ_lists_every_discrepancy(fake: FakeExchange, venue: CcxtVenue) -> None:
    venue.submit("known", "BTC/USDT", "buy", "limit", Decimal("0.01"), price=Decimal("29000"))
    venue.submit("stranger", "ETH/USDT", "sell", "limit", Decimal("1"), price=Decimal("2500"))
    local = {"known": Local("BTC/USDT", Decimal("0.02")), "vanished": Local("BTC/USDT", Decimal("1"))}

    report = reconcile(venue, local, {"USDT": Decimal("100000"), "BTC": Decimal("2"), "ETH": Decimal("20"),
                                      "SOL": Decimal("1")})

    assert not report.clean
    assert [a.client_order_id for a in report.unknown_at_venue] == ["stranger"]
    assert report.missing_at_venue == ("vanished",)
    assert report.mismatched == (OrderMismatch("known", "quantity", Decimal("0.02"), Decimal("0.01")),)
    assert report.balance_differences == (BalanceDifference("SOL", Decimal("1"), Decimal("0")),)


def test_holding_differences_when_bases_and_cash_differ_lists_each_and_skips_incomparable_cash() -> None:
    balances = {"BTC": Balance("BTC", Decimal("1.5"), Decimal("0.5"), Decimal(2)),
                "USDT": Balance("USDT", Decimal(900), Decimal(100), Decimal(1_000))}
    holdings = VenueHoldings(("BTC/USDT", "ETH/USDT"), balances, {})
    found, note = holding_differences(holdings, {"BTC/USDT": Decimal(2), "ETH/USDT": Decimal("0.5")}, Decimal(990))
    assert found == (BalanceDifference("ETH", Decimal("0.5"), Decimal(0), "ETH/USDT"),
                     BalanceDifference("USDT", Decimal(990), Decimal(1_000)))
    assert note is None
    mixed = VenueHoldings(("BTC/USDT", "ETH/BTC"), balances, {})
    found, note = holding_differences(mixed, {"BTC/USDT": Decimal(3)}, Decimal(0))
    assert found == ()
    assert note == ("BTC not compared: it is also traded as a quote currency; "
                    "cash not compared: the symbols quote in BTC, USDT")


def test_holding_differences_when_the_gap_is_float_noise_or_below_half_a_lot_finds_none() -> None:
    balances = {"BTC": Balance("BTC", Decimal("0.10000000000000001"), Decimal(0), Decimal("0.10000000000000001")),
                "ETH": Balance("ETH", Decimal("2.0004"), Decimal(0), Decimal("2.0004")),
                "USDT": Balance("USDT", Decimal("990.0000000000001"), Decimal(0), Decimal("990.0000000000001"))}
    holdings = VenueHoldings(("BTC/USDT", "ETH/USDT"), balances, {})
    positions = {"BTC/USDT": Decimal("0.1"), "ETH/USDT": Decimal(2)}
    assert holding_differences(holdings, positions, Decimal(990), {"ETH/USDT": Decimal("0.001")}) == ((), None)
    found, _ = holding_differences(holdings, positions, Decimal(990), {"ETH/USDT": Decimal("0.0008")})
    assert found == (BalanceDifference("ETH", Decimal(2), Decimal("2.0004"), "ETH/USDT"),)
