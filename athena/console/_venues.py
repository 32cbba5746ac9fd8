"""Where orders go: the paper venue or an exchange through ccxt, and what the engine found there at start.

The choice is one workspace setting. An exchange venue trades on its testnet (sandbox) unless the
workspace trading mode is LIVE, which itself needs an ADMIN with TOTP and a second ADMIN's
approval (``mode.live``). API keys are stored encrypted with the workspace key, never in the
ledger. At start the engine reconciles the venue with the OMS and records the outcome through
:meth:`VenuesMixin.record_reconciliation`: one audited action that adopts what the venue has and
the OMS lacks, settles what the venue finished while nobody watched, adopts the positions and
cash the venue holds (it is the truth for what is held), and lists every difference.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from athena.auth import Permission
from athena.console._approvals import ApprovalsMixin
from athena.console._core import Done
from athena.errors import InvalidInput
from athena.execution.ccxt_venue import SUPPORTED_EXCHANGES, MarketRules, VenueAck
from athena.execution.oms import PAPER_VENUE, record_fill, transition
from athena.execution.portfolio import starting_cash
from athena.execution.router import FeeRates, apply_ack, fee_value, unconverted_note
from athena.execution.venue_credentials import Credentials, load_credentials, store_credentials
from athena.execution.venue_reconcile import BalanceDifference, ReconcileReport, VenueHoldings, holding_differences
from athena.model import Identity, OrderStatus, Side, TradingMode, fee_parts
from athena.store import DeploymentRow, FillRow, InstrumentRow, OrderRow, SettingRow

__all__ = ["VENUES", "VenueConfig", "VenuesMixin"]

VENUES = (PAPER_VENUE, *SUPPORTED_EXCHANGES)
_KEY = "venue"
# Built once: every order reads which venue it goes to.
_VENUE_SETTINGS = select_columns(col(SettingRow.key), col(SettingRow.value)).where(
    col(SettingRow.key).in_([_KEY, "trading_mode"]))
_SYMBOL = re.compile(r"[A-Z0-9]{1,20}/[A-Z0-9]{1,20}")


@dataclass(frozen=True, slots=True)
class VenueConfig:
    """The venue new orders go to, and how the engine reaches it."""

    name: str
    symbols: tuple[str, ...] = ()
    api_url: str | None = None
    sandbox: bool = True

    @property
    def is_exchange(self) -> bool:
        """Return whether orders go to an exchange (sent by the engine) rather than the paper venue."""
        return self.name != PAPER_VENUE


def _read(s: Session) -> VenueConfig:
    s.flush()
    found: dict[str, str] = {key: value for key, value in s.connection().execute(_VENUE_SETTINGS)}
    venue, mode = found.get(_KEY), found.get("trading_mode", TradingMode.PAPER.value)
    sandbox = mode != TradingMode.LIVE.value
    if venue is None:
        return VenueConfig(PAPER_VENUE, sandbox=sandbox)
    data = json.loads(venue)
    return VenueConfig(data["name"], tuple(data.get("symbols", ())), data.get("api_url"), sandbox)


def _checked_url(api_url: str | None) -> str | None:
    if api_url is None or not api_url.strip():
        return None
    parts = urlsplit(api_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise InvalidInput(f"api_url must be http(s)://host[:port] with no path, was {api_url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _adopt(s: Session, ack: VenueAck, venue: str, now: datetime, actor: str) -> OrderRow:
    cid = ack.client_order_id or f"venue:{ack.venue_order_id}"
    row = OrderRow(client_order_id=cid, symbol=ack.symbol, side=ack.side.value,
                   type="limit" if ack.price is not None else "market", quantity=ack.quantity, price=ack.price,
                   tif="GTC", status=OrderStatus.NEW.value, filled_quantity=Decimal(0), venue=venue, reason=None,
                   requested_by=actor, created_at=now, updated_at=now)
    s.add(row)
    s.flush()
    transition(s, row, OrderStatus.SUBMITTED, now, "adopted from the venue at reconciliation")
    return row


def _n(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _adopt_position(s: Session, diff: BalanceDifference, symbol: str, price: Decimal, venue: str, now: datetime,
                    actor: str) -> str:
    change = diff.venue - diff.local
    row = OrderRow(client_order_id=f"reconcile:{venue}:{uuid.uuid4().hex[:16]}", symbol=symbol,
                   side=(Side.BUY if change > 0 else Side.SELL).value, type="market", quantity=abs(change),
                   price=None, tif="GTC", status=OrderStatus.NEW.value, filled_quantity=Decimal(0), venue=venue,
                   reason=None, requested_by=actor, created_at=now, updated_at=now)
    s.add(row)
    s.flush()
    transition(s, row, OrderStatus.SUBMITTED, now, f"position adopted from {venue} at reconciliation")
    record_fill(s, row, abs(change), price, Decimal(0), now)
    sign = "+" if change > 0 else "-"
    return (f"position {symbol}: {_n(diff.local)} {diff.currency} here, {_n(diff.venue)} at {venue}; "
            f"adopted {sign}{_n(abs(change))} at {_n(price)} ({row.client_order_id})")


def _venue_book(s: Session, venue: str) -> tuple[dict[str, Decimal], Decimal]:
    """Return the positions and cash of the fills made at ``venue`` (paper fills are not at the exchange).

    A fee charged in the base currency came out of the coins, not the cash (:func:`~athena.model.fee_parts`).
    """
    held: dict[str, Decimal] = {}
    cash = starting_cash(s)
    fills = s.exec(select(FillRow).join(OrderRow, col(OrderRow.id) == col(FillRow.order_id))
                   .where(OrderRow.venue == venue))
    for fill in fills:
        signed = Side(fill.side).sign * fill.quantity
        cash_fee, base_fee = fee_parts(fill.symbol, fill.fee, fill.fee_detail)
        held[fill.symbol] = held.get(fill.symbol, Decimal(0)) + signed - base_fee
        cash -= signed * fill.price + cash_fee
    return held, cash


def _adopt_holdings(s: Session, holdings: VenueHoldings, venue: str, now: datetime, actor: str,
                    rules: dict[str, MarketRules]) -> tuple[list[str], str | None]:
    held, before = _venue_book(s, venue)
    lots = {symbol: rule.lot for symbol, rule in rules.items()}
    differences, cash_note = holding_differences(holdings, held, before, lots)
    lines: list[str] = []
    target = before
    for diff in differences:
        if diff.symbol is None:
            target = diff.venue
            lines.append(f"cash {diff.currency}: {_n(diff.local)} here, {_n(diff.venue)} at {venue}; adopted")
            continue
        price = holdings.prices.get(diff.symbol)
        if price is None or price <= 0:
            raise InvalidInput(f"adopting the position of {diff.symbol} needs its price at {venue}, was {price}")
        lines.append(_adopt_position(s, diff, diff.symbol, price, venue, now, actor))
    after = _venue_book(s, venue)[1]
    if after != target:
        # An adopted position is a holding found, not a purchase: cash ends at the venue's balance of the
        # quote currency, or where it was when cash cannot be compared.
        s.merge(SettingRow(key="paper_cash", value=format(starting_cash(s) + target - after, "f")))
    return lines, cash_note


class VenuesMixin(ApprovalsMixin):
    """Console actions choosing the trading venue and recording reconciliations."""

    @staticmethod
    def _venue_name(s: Session, strategy: str | None = None) -> str:
        # A strategy trades at the exchange only once it is live; before, its orders stay on paper.
        if strategy is not None:
            deployment = s.get(DeploymentRow, strategy)
            if deployment is not None and deployment.lifecycle != "live":
                return PAPER_VENUE
        return _read(s).name

    def venue_config(self) -> VenueConfig:
        """Return the venue new orders go to."""
        return self._read(Permission.EVENTS_READ, "venues.show", _read)

    def set_venue(self, name: str, *, symbols: list[str] | tuple[str, ...] = (),
                  credentials: Credentials | None = None, api_url: str | None = None) -> VenueConfig:
        """Send new orders to ``name``: ``paper``, or an exchange (``binance``, ``bybit``) through the engine.

        An exchange needs the symbols to trade and an API key (given now, or stored before); the key is
        stored encrypted and never written to the ledger. ``api_url`` points the client at another host
        (a gateway, or a local test exchange). Orders already accepted stay at their venue.
        """
        if name not in VENUES:
            raise InvalidInput(f"venue must be one of {', '.join(VENUES)}, was {name!r}")
        url = _checked_url(api_url)
        clean = tuple(dict.fromkeys(sym.strip().upper() for sym in symbols if sym.strip()))
        odd = [sym for sym in clean if not _SYMBOL.fullmatch(sym)]
        if odd:
            raise InvalidInput(f"symbols are BASE/QUOTE like BTC/USDT, was {', '.join(odd)}")
        if name != PAPER_VENUE:
            if not clean:
                raise InvalidInput(f"trading on {name} needs the symbols to trade, e.g. BTC/USDT")
            if credentials is None:
                load_credentials(self.workspace.settings.home, self.workspace.key, name)

        def work(s: Session, now: datetime, who: Identity) -> Done:
            data: dict[str, Any] = {"name": name, "symbols": list(clean), "api_url": url}
            s.merge(SettingRow(key=_KEY, value=json.dumps(data)))
            if credentials is not None:
                store_credentials(self.workspace.settings.home, self.workspace.key, name, credentials)
            config = _read(s)
            return Done(config, {**data, "sandbox": config.sandbox,
                                 "credentials": "replaced" if credentials is not None else "unchanged"},
                        ["VenueChanged"])

        return self._write(Permission.VENUES_MANAGE, "venues.set", f"venue:{name}", work)  # type: ignore[no-any-return]

    def record_reconciliation(self, report: ReconcileReport, settled: dict[str, VenueAck | None],
                              rules: dict[str, MarketRules], holdings: VenueHoldings | None = None,
                              rates: FeeRates | None = None) -> list[str]:
        """Record what the engine found at its venue on start; return one line per discrepancy.

        Orders open at the venue and unknown here are adopted (as ``system`` orders); orders open here
        and not at the venue take the final state the venue reports in ``settled`` (or EXPIRED when
        the venue has no trace of them); mismatched quantities take the venue's fills. ``rules``
        (the markets' tick, lot and minimum) update the instruments of the venue's symbols. With
        ``holdings``, positions in the symbols' base currencies that differ from the venue's
        balances are adopted by a fill at the venue's price (a FILLED ``reconcile:…`` order), then
        cash is set to the venue's balance of the quote currency (by moving the starting cash).
        ``rates`` value fees charged in a third currency; a fee without one is recorded as charged
        and listed.
        """
        def work(s: Session, now: datetime, who: Identity) -> Done:
            lines: list[str] = []

            def settle(row: OrderRow, ack: VenueAck) -> None:
                if apply_ack(s, row, ack, now, rates) and (value := fee_value(ack, rates)).unconverted:
                    lines.append(unconverted_note(report.venue, ack, value, row.client_order_id))

            for symbol, rule in rules.items():
                s.merge(InstrumentRow(symbol=symbol, venue=report.venue, tick_size=rule.tick, lot_size=rule.lot,
                                      min_quantity=rule.min_quantity))
            for ack in report.unknown_at_venue:
                row = _adopt(s, ack, report.venue, now, who.actor)
                lines.append(f"adopted {row.client_order_id}: {ack.side.value} {ack.quantity} {ack.symbol} "
                             f"open at {report.venue}, unknown here")
                settle(row, ack)
            for cid in report.missing_at_venue:
                row = s.exec(select(OrderRow).where(OrderRow.client_order_id == cid)).one()
                final = settled.get(cid)
                if final is None:
                    transition(s, row, OrderStatus.EXPIRED, now, f"not found at {report.venue} on reconciliation")
                    lines.append(f"{cid}: open here, unknown at {report.venue}; marked expired")
                else:
                    lines.append(f"{cid}: open here, {final.status.value} at {report.venue} "
                                 f"(filled {final.filled_quantity}); settled")
                    settle(row, final)
            for mismatch in report.mismatched:
                lines.append(f"{mismatch.client_order_id}: {mismatch.field} is {mismatch.local} here, "
                             f"{mismatch.venue} at {report.venue}")
                latest = settled.get(mismatch.client_order_id)
                row = s.exec(select(OrderRow).where(OrderRow.client_order_id == mismatch.client_order_id)).one()
                if latest is not None:
                    settle(row, latest)
            lines.extend(f"balance {d.currency}: {d.local} here, {d.venue} at {report.venue}"
                         for d in report.balance_differences)
            cash_note = None
            if holdings is not None:
                adopted, cash_note = _adopt_holdings(s, holdings, report.venue, now, who.actor, rules)
                lines.extend(adopted)
            payload: dict[str, Any] = {"venue": report.venue, "clean": not lines, "discrepancies": lines,
                                       "instruments": sorted(rules), "holdings_compared": holdings is not None}
            if cash_note:
                payload["cash"] = cash_note
            return Done(lines, payload, ["VenueReconciled"])

        return self._write(Permission.ENGINE_RUN, "venues.reconcile", f"venue:{report.venue}", work)  # type: ignore[no-any-return]
