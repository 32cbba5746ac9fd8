"""Orders, positions, trading states and the kill switch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from athena import execution as oms
from athena.auth import Permission
from athena.clock import utc
from athena.console._approvals import PRIVILEGED_ACTIONS
from athena.console._core import Done, choice
from athena.console._venues import VenuesMixin
from athena.errors import InvalidInput, InvalidOrder, PermissionDenied
from athena.execution import PaperVenue
from athena.model import (
    Approval,
    AuditOutcome,
    Fill,
    Identity,
    Order,
    OrderDenied,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    TradingState,
    to_decimal,
)
from athena.risk import GLOBAL, get_states, set_state, strategy_scope
from athena.risk.checks import mandate_check, stale_price_check
from athena.risk.trading_state import hold_acceptances
from athena.store import DeploymentRow, InstrumentRow, MarkRow, TradingStateRow

__all__ = ["Instrument", "Mark", "TradingMixin"]

KILL_SWITCH_ACTOR = "kill-switch"


@dataclass(frozen=True, slots=True)
class Instrument:
    """A symbol the venue trades, with its tick, lot and minimum quantity."""

    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    min_quantity: Decimal


@dataclass(frozen=True, slots=True)
class Mark:
    """The latest price of a symbol and when it was set."""

    symbol: str
    price: Decimal
    ts: datetime


class TradingMixin(VenuesMixin):
    """Console actions that trade or stop trading."""

    @property
    def venue(self) -> PaperVenue:
        """Return the paper venue as the workspace settings describe it."""
        return PaperVenue.from_settings(self.workspace.settings.trading)

    def submit_order(
        self,
        symbol: str,
        side: Side | str,
        quantity: Decimal | int | str,
        *,
        type: OrderType | str = OrderType.MARKET,
        price: Decimal | int | str | None = None,
        stop_price: Decimal | int | str | None = None,
        tif: TimeInForce | str = TimeInForce.GTC,
        client_order_id: str | None = None,
        strategy: str | None = None,
    ) -> Order | OrderDenied:
        """Send an order through the pre-trade checks to the venue.

        Returns the order (already filled, if the paper venue could), or ``OrderDenied`` with a
        stable reason code when policy refuses it. Raises ``InvalidOrder`` for malformed input.
        Sending the same ``client_order_id`` again returns the first order and creates nothing.
        An order for an exchange venue stays SUBMITTED until the engine's router sends it.
        """
        try:
            request = OrderRequest(symbol, Side(str(side).lower()), to_decimal(quantity, "quantity"),
                                   OrderType(str(type).lower()), _optional(price, "price"),
                                   _optional(stop_price, "stop_price"), TimeInForce(str(tif).upper()),
                                   client_order_id, strategy)
        except ValueError as exc:
            raise InvalidOrder(f"invalid order: {exc}") from None

        def work(s: Session, now: datetime, who: Identity) -> Done:
            return self._submit(s, now, who, request)

        return self._write(Permission.ORDERS_SUBMIT, "orders.submit", f"symbol:{request.symbol}", work)  # type: ignore[no-any-return]

    def _submit(self, s: Session, now: datetime, who: Identity, request: OrderRequest) -> Done:
        checks = [stale_price_check(now, self.workspace.settings.trading.stale_after_s), mandate_check(now)]
        venue = self._venue_name(s, request.strategy)
        result = oms.accept(s, request, who.actor, now, venue, checks)
        if isinstance(result, OrderDenied):
            return Done(result, {"client_order_id": result.client_order_id, "reason": result.reason.value,
                                 "message": result.message, **_describe(request)},
                        ["OrderDenied"], AuditOutcome.DENIED)
        row = result
        if row.status == OrderStatus.SUBMITTED.value and venue == self.venue.name:
            self.venue.execute(s, row, now)
        order = oms.to_order(row)
        return Done(order, {"order_id": order.id, "client_order_id": order.client_order_id,
                            "status": order.status.value, **_describe(request)}, ["OrderSubmitted"])

    def flatten_positions(self, symbol: str | None = None, *, reason: str) -> list[Order | OrderDenied]:
        """Close the net position of ``symbol`` (or of every symbol) with reduce-only market orders.

        One transaction records the flatten request, then sends each closing order through the
        same pre-trade checks as :meth:`submit_order` (each with its own ``orders.submit`` entry).
        A closing order only reduces exposure, so it is accepted while trading is HALTED or
        REDUCING; a mandate may still deny it, which is returned as ``OrderDenied``.

        Parameters
        ----------
        symbol
            Only this symbol; None flattens every open position.
        reason
            Why; recorded in the ledger.

        Returns
        -------
        list of Order or OrderDenied
            One outcome per position closed, in symbol order (empty when nothing was held).
        """
        if not reason.strip():
            raise InvalidInput("flattening positions needs a reason")
        action, subject = "positions.flatten", f"symbol:{symbol or '*'}"
        ws = self.workspace
        with self._guard(action, subject), ws.store.write() as s:
            now = ws.clock.now()
            who = self._authorize(s, now, Permission.POSITIONS_FLATTEN, action)
            held = oms.positions(s)
            if symbol is not None and symbol not in held:
                raise InvalidInput(f"no open position in {symbol!r} to flatten")
            closing = {sym: qty for sym, qty in sorted(held.items()) if symbol is None or sym == symbol}
            self._record(s, ws, now, who.actor, action, subject, AuditOutcome.OK,
                         {"symbol": symbol, "reason": reason, "positions": {k: str(v) for k, v in closing.items()}},
                         "FlattenRequested")
            results: list[Order | OrderDenied] = []
            for sym, qty in closing.items():
                request = OrderRequest(sym, Side.SELL if qty > 0 else Side.BUY, abs(qty), OrderType.MARKET)
                done = self._submit(s, now, who, request)
                self._record(s, ws, now, who.actor, "orders.submit", f"symbol:{sym}", done.outcome,
                             {**done.payload, "reduce_only": True, "flatten": reason}, *done.events)
                results.append(done.result)
        return results

    def cancel_order(self, ref: int | str) -> Order:
        """Cancel an open order by id or client order id."""
        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = oms.get_order(s, ref)
            if not oms.cancel(s, row, now, f"cancelled by {who.actor}"):
                raise InvalidInput(f"order {row.id} is already {row.status}")
            return Done(oms.to_order(row), {"order_id": row.id, "symbol": row.symbol}, ["OrderCancelled"])

        return self._write(Permission.ORDERS_CANCEL, "orders.cancel", f"order:{ref}", work)  # type: ignore[no-any-return]

    def cancel_all_orders(self, symbol: str | None = None, reason: str = "cancel all") -> int:
        """Cancel every open order (of ``symbol``, if given); return how many were cancelled."""
        def work(s: Session, now: datetime, who: Identity) -> Done:
            cancelled = oms.cancel_open(s, now, reason, symbol)
            return Done(len(cancelled), {"cancelled": cancelled, "symbol": symbol, "reason": reason},
                        ["OrdersCancelled"])

        return self._write(Permission.ORDERS_CANCEL, "orders.cancel_all", f"symbol:{symbol or '*'}", work)  # type: ignore[no-any-return]

    def orders(self, *, open_only: bool = False, limit: int = 500) -> list[Order]:
        """Return orders, newest first."""
        return self._read(Permission.EVENTS_READ, "orders.list",
                          lambda s: oms.list_orders(s, open_only=open_only, limit=limit))

    def fills(self, limit: int = 500) -> list[Fill]:
        """Return fills, newest first."""
        return self._read(Permission.EVENTS_READ, "orders.fills", lambda s: oms.list_fills(s, limit))

    def positions(self) -> dict[str, Decimal]:
        """Return the net position per symbol (the sum of signed fills)."""
        return self._read(Permission.EVENTS_READ, "positions.list", oms.positions)

    def instruments(self) -> list[Instrument]:
        """Return the instruments of the venue, by symbol."""
        return self._read(Permission.EVENTS_READ, "market.instruments", lambda s: [
            Instrument(r.symbol, r.tick_size, r.lot_size, r.min_quantity)
            for r in s.exec(select(InstrumentRow).order_by(col(InstrumentRow.symbol)))])

    def quotes(self) -> list[Mark]:
        """Return the latest mark of every symbol with the time it was set, by symbol."""
        return self._read(Permission.EVENTS_READ, "market.quotes", lambda s: [
            Mark(r.symbol, r.price, utc(r.ts)) for r in s.exec(select(MarkRow).order_by(col(MarkRow.symbol)))])

    def marks(self) -> dict[str, Decimal]:
        """Return the latest mark price per symbol."""
        return self._read(Permission.EVENTS_READ, "market.marks",
                          lambda s: {row.symbol: row.price for row in s.exec(select(MarkRow))})

    def trading_states(self) -> dict[str, TradingState]:
        """Return the state of every scope (``global`` and ``strategy:<name>``)."""
        return self._read(Permission.EVENTS_READ, "trading.states", get_states)

    def set_trading_state(self, state: TradingState | str, *, strategy: str | None = None, reason: str) -> None:
        """Move a strategy between ACTIVE/REDUCING/HALTED, or the whole workspace to REDUCING/ACTIVE.

        Starting and stopping a strategy is a trader's job (``strategies.run_paper``); RISK may
        stop one too (``trading.halt``), and only ``trading.halt`` moves the global state.

        The global HALTED state is the kill switch: engage it with :meth:`engage_kill_switch`
        and leave it only through :meth:`request_kill_switch_reset` and a second ADMIN.
        """
        target = choice(TradingState, state, "trading state")
        if not reason.strip():
            raise InvalidInput("a trading state change needs a reason")
        scope = strategy_scope(strategy) if strategy else GLOBAL
        permission = Permission.TRADING_HALT
        if strategy and (target is TradingState.ACTIVE or not self.can(Permission.TRADING_HALT)):
            permission = Permission.STRATEGIES_RUN_PAPER
        if scope == GLOBAL and target is TradingState.HALTED:
            raise InvalidInput("halting everything is the kill switch: use engage_kill_switch")

        def work(s: Session, now: datetime, who: Identity) -> Done:
            live = s.get(DeploymentRow, strategy) if strategy and target is TradingState.ACTIVE else None
            if live is not None and live.lifecycle == "live":
                raise PermissionDenied(f"strategy {strategy!r} is live: it resumes only through "
                                       "strategies.go_live (ADMIN with TOTP)")
            if scope == GLOBAL:
                current = s.get(TradingStateRow, GLOBAL)
                if current is not None and current.state == TradingState.HALTED.value:
                    raise InvalidInput("the kill switch is engaged: reset it with two ADMINs "
                                       "(request_kill_switch_reset)")
            previous = set_state(s, scope, target, reason, who.actor, now)
            return Done(None, {"scope": scope, "state": target.value, "previous": previous and previous.value,
                               "reason": reason}, ["TradingStateChanged"])

        self._write(permission, "trading.set_state", scope, work)

    def engage_kill_switch(self, reason: str) -> int:
        """Halt everything and cancel every open order in one transaction; return how many were cancelled.

        The transaction holds two ledger entries: ``killswitch.engage`` by the caller, then
        ``orders.cancel_all`` by ``system:kill-switch`` listing the orders it cancelled (paper
        orders end CANCELLED; exchange orders wait in PENDING_CANCEL for the engine's router).
        When it commits, trading is HALTED and no paper order is left open.
        """
        if not reason.strip():
            raise InvalidInput("engaging the kill switch needs a reason")
        action = "killswitch.engage"
        ws = self.workspace
        with self._guard(action, GLOBAL), ws.store.write(urgent=True) as s:
            now = ws.clock.now()
            who = self._authorize(s, now, Permission.KILLSWITCH_ENGAGE, action)
            hold_acceptances(s)
            halted = [GLOBAL]
            set_state(s, GLOBAL, TradingState.HALTED, reason, who.actor, now)
            for row in s.exec(select(TradingStateRow).where(TradingStateRow.scope != GLOBAL)).all():
                set_state(s, row.scope, TradingState.HALTED, f"kill switch: {reason}", who.actor, now)
                halted.append(row.scope)
            self._record(s, ws, now, who.actor, action, GLOBAL, AuditOutcome.OK, {"reason": reason, "halted": halted},
                         "KillSwitchEngaged", "TradingStateChanged")
            why = f"kill switch: {reason}"
            cancelled = oms.cancel_open(s, now, why)
            self._record(s, ws, now, f"system:{KILL_SWITCH_ACTOR}", "orders.cancel_all", "symbol:*", AuditOutcome.OK,
                         {"cancelled": cancelled, "symbol": None, "reason": why}, "OrdersCancelled")
        return len(cancelled)

    def request_kill_switch_reset(self, totp: str | None) -> Approval:
        """Ask to reset the kill switch (global ACTIVE); a second ADMIN must approve with TOTP."""
        return self.request_privileged("killswitch.reset", {}, totp)



def _reset_kill_switch(s: Session, params: dict[str, Any], now: datetime, by: str) -> dict[str, Any]:
    previous = set_state(s, GLOBAL, TradingState.ACTIVE, "kill switch reset (two-person approval)", by, now)
    return {"scope": GLOBAL, "state": TradingState.ACTIVE.value, "previous": previous and previous.value}


PRIVILEGED_ACTIONS["killswitch.reset"] = (Permission.KILLSWITCH_RESET, _reset_kill_switch, "KillSwitchReset")


def _optional(value: Decimal | int | str | None, name: str) -> Decimal | None:
    return None if value is None else to_decimal(value, name)


def _describe(request: OrderRequest) -> dict[str, str | None]:
    return {"symbol": request.symbol, "side": request.side.value, "quantity": str(request.quantity),
            "type": request.type.value, "price": None if request.price is None else str(request.price),
            "stop_price": None if request.stop_price is None else str(request.stop_price),
            "tif": request.tif.value, "strategy": request.strategy}
