"""The order management system, working inside the caller's write transaction.

``accept`` runs every pre-trade policy check against state read in the same transaction
(trading states, instruments, positions), so an order can never be accepted after a kill
switch commits. Policy refusals are recorded as DENIED orders and returned as
:class:`~athena.model.OrderDenied`; bad input raises :class:`~athena.errors.InvalidOrder`.
Every status change is stored in ``order_transitions`` and published as an event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, insert, update
from sqlalchemy import select as select_columns
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from athena.clock import utc
from athena.errors import InvalidInput, InvalidTransition, UnknownOrder
from athena.execution.portfolio import book_fill, holdings
from athena.execution.transitions import can_transition
from athena.model import (
    DenialReason,
    FeeCharge,
    Fill,
    Order,
    OrderDenied,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    TradingState,
    fee_parts,
)
from athena.risk.trading_state import effective_state
from athena.store import FillRow, InstrumentRow, OrderRow, OrderTransitionRow, add_batched, publish

__all__ = [
    "PAPER_VENUE",
    "Check",
    "accept",
    "cancel",
    "cancel_open",
    "get_order",
    "list_fills",
    "list_orders",
    "positions",
    "record_fill",
    "to_order",
    "transition",
]

#: Name of the simulated venue; every other venue name is an exchange reached through the engine's router.
PAPER_VENUE = "paper"

_TRANSITIONS = OrderTransitionRow.__table__  # type: ignore[attr-defined]
_OPEN = [status.value for status in OrderStatus if status.is_open]

# Built once: building a statement costs more than running it, and an order runs several.
_INSERT_ORDER = insert(OrderRow).returning(col(OrderRow.id))
_ID_BY_CLIENT_ID = select_columns(col(OrderRow.id)).where(col(OrderRow.client_order_id) == bindparam("client_id"))
_INSTRUMENT = select_columns(col(InstrumentRow.venue), col(InstrumentRow.tick_size), col(InstrumentRow.lot_size),
                             col(InstrumentRow.min_quantity)).where(col(InstrumentRow.symbol) == bindparam("symbol"))
_THIS_ORDER = col(OrderRow.id) == bindparam("order_id")
_MOVE = update(OrderRow).where(_THIS_ORDER).values(
    status=bindparam("new_status"), updated_at=bindparam("new_updated_at"), reason=bindparam("new_reason"))
_FILLED = update(OrderRow).where(_THIS_ORDER).values(
    filled_quantity=bindparam("new_filled"), average_price=bindparam("new_average"))
_INSERT_FILL = insert(FillRow).returning(col(FillRow.id))


def to_order(row: OrderRow) -> Order:
    """Turn a stored row into an Order value."""
    return Order(
        id=row.id or 0, client_order_id=row.client_order_id, symbol=row.symbol, side=Side(row.side),
        type=OrderType(row.type), quantity=row.quantity, price=row.price, stop_price=row.stop_price,
        tif=TimeInForce(row.tif), strategy=row.strategy, status=OrderStatus(row.status),
        filled_quantity=row.filled_quantity, average_price=row.average_price, venue=row.venue, reason=row.reason,
        created_at=utc(row.created_at), updated_at=utc(row.updated_at),
    )


def transition(s: Session, row: OrderRow, target: OrderStatus, now: datetime, reason: str | None = None) -> None:
    """Move ``row`` to ``target`` if the state machine allows it; store and publish the change."""
    current = OrderStatus(row.status)
    if not can_transition(current, target):
        raise InvalidTransition(row.id or 0, current.value, target.value)
    if row.id is None:
        s.add(row)
        s.flush()
    kept = reason or row.reason
    s.connection().execute(_MOVE, {"order_id": row.id, "new_status": target.value, "new_updated_at": now,
                                   "new_reason": kept})
    _stored(row, status=target.value, updated_at=now, reason=kept)
    _record_transition(s, row.id or 0, row.client_order_id, row.symbol, current, target, reason, now)


def _stored(row: OrderRow, **values: object) -> None:
    # The row was written with a Core statement: set its attributes as loaded, so the session
    # does not write them again.
    for name, value in values.items():
        set_committed_value(row, name, value)


def _record_transition(s: Session, order_id: int, client_order_id: str, symbol: str, current: OrderStatus,
                       target: OrderStatus, reason: str | None, now: datetime) -> None:
    add_batched(s, _TRANSITIONS, {"order_id": order_id, "from_status": current.value, "to_status": target.value,
                                  "reason": reason, "ts": now})
    publish(s, ts=now, type="OrderStatusChanged", subject=f"order:{order_id}", audit_seq=None,
            payload={"order_id": order_id, "client_order_id": client_order_id, "from": current.value,
                     "to": target.value, "reason": reason, "symbol": symbol})


def positions(s: Session) -> dict[str, Decimal]:
    """Return the net position per symbol (its fills net of base-currency fees), leaving out flat symbols."""
    return {symbol: held.quantity for symbol, held in holdings(s).items() if held.quantity != 0}


def _reduces(s: Session, request: OrderRequest) -> bool:
    held = positions(s).get(request.symbol, Decimal(0))
    return held != 0 and request.side.sign * held < 0 and request.quantity <= abs(held)


def _policy(s: Session, request: OrderRequest,
            instrument: Row[str, Decimal, Decimal, Decimal] | None) -> tuple[DenialReason, str] | None:
    if instrument is None:
        return DenialReason.UNKNOWN_SYMBOL, f"no instrument {request.symbol} on this venue"
    if request.quantity < instrument.min_quantity:
        return DenialReason.BELOW_MIN_QUANTITY, f"quantity {request.quantity} < minimum {instrument.min_quantity}"
    if request.quantity % instrument.lot_size != 0:
        return DenialReason.OFF_LOT, f"quantity {request.quantity} is not a multiple of lot {instrument.lot_size}"
    for price in (request.price, request.stop_price):
        if price is not None and price % instrument.tick_size != 0:
            return DenialReason.OFF_TICK, f"price {price} is not a multiple of tick {instrument.tick_size}"
    state, scope = effective_state(s, request.strategy)
    if state is TradingState.HALTED and not _reduces(s, request):
        code = DenialReason.STRATEGY_HALTED if scope != "global" else DenialReason.TRADING_HALTED
        return code, f"trading is HALTED ({scope}); only exposure-reducing orders are accepted"
    if state is TradingState.REDUCING and not _reduces(s, request):
        return DenialReason.REDUCE_ONLY, f"trading is REDUCING ({scope}); this order would not reduce exposure"
    return None


Check = Callable[[Session, OrderRequest], tuple[DenialReason, str] | None]


def accept(s: Session, request: OrderRequest, requested_by: str, now: datetime, venue: str,
           checks: Sequence[Check] = ()) -> OrderRow | OrderDenied:
    """Check and store a new order (SUBMITTED) or a denied one; same client id returns the first order.

    Returns the stored row of the accepted order (the first one, for a repeated client id), for
    the venue to work on in the same transaction, or the denial.

    ``checks`` run after the venue rules and trading states (the mandate checks, for instance);
    the first that returns a reason denies the order.
    """
    client_id = request.client_order_id or f"ath-{uuid.uuid4().hex[:20]}"
    s.flush()
    conn = s.connection()
    # A generated id is new (the unique index still guards it); only a caller's id may repeat.
    existing_id = None if request.client_order_id is None else conn.execute(
        _ID_BY_CLIENT_ID, {"client_id": client_id}).scalar()
    if existing_id is not None:
        existing = get_order(s, int(existing_id))
        same = OrderRequest(existing.symbol, Side(existing.side), existing.quantity, OrderType(existing.type),
                            existing.price, existing.stop_price, TimeInForce(existing.tif), client_id,
                            existing.strategy).fingerprint() == request.fingerprint()
        if same:
            return existing
        return OrderDenied(existing.id or 0, client_id, DenialReason.DUPLICATE_CLIENT_ORDER_ID,
                           f"client order id {client_id} was already used for a different order")
    instrument = conn.execute(_INSTRUMENT, {"symbol": request.symbol}).first()
    if instrument is not None and venue != PAPER_VENUE and instrument.venue != venue:
        instrument = None
    denial = _policy(s, request, instrument)
    for check in checks:
        if denial is not None:
            break
        denial = check(s, request)
    status = OrderStatus.SUBMITTED if denial is None else OrderStatus.DENIED
    reason = None if denial is None else f"{denial[0].value}: {denial[1]}"
    values: dict[str, Any] = {
        "client_order_id": client_id, "symbol": request.symbol, "side": request.side.value,
        "type": request.type.value, "quantity": request.quantity, "price": request.price,
        "stop_price": request.stop_price, "tif": request.tif.value, "strategy": request.strategy,
        "status": status.value, "filled_quantity": Decimal(0), "average_price": None, "venue": venue,
        "reason": reason, "requested_by": requested_by, "created_at": now, "updated_at": now,
    }
    # One Core INSERT of the order as the checks left it; the row object joins the session as if
    # loaded, so later transitions and fills in this transaction work on it.
    order_id: int = conn.execute(_INSERT_ORDER, values).scalar_one() or 0
    row = OrderRow(id=order_id, **values)
    make_transient_to_detached(row)
    s.add(row)
    _record_transition(s, order_id, client_id, request.symbol, OrderStatus.NEW, status, reason, now)
    if denial is not None:
        return OrderDenied(order_id, client_id, denial[0], denial[1])
    return row


def record_fill(s: Session, row: OrderRow, quantity: Decimal, price: Decimal, fee: Decimal, now: datetime, *,
                fee_detail: Sequence[FeeCharge] = ()) -> Fill:
    """Record an execution: the fill, the positions it moves, filled quantity, average price and status.

    ``fee`` is the fee's value in the quote currency; ``fee_detail`` what the venue charged, one
    :class:`~athena.model.FeeCharge` per currency whose values add up to ``fee`` (empty: only the
    quote value is known, paid from cash). The amounts charged in the symbol's base currency are
    paid in coins, not cash: the positions move by ``quantity`` less them (for a buy; by
    ``quantity`` plus them for a sell) while the fill and the order keep the executed quantity
    (:meth:`~athena.model.Holding.apply`); the other charges are paid from cash at their value
    (:func:`~athena.model.fee_parts`).

    Raises
    ------
    InvalidInput
        When ``fee_detail`` names a currency twice or its values do not add up to ``fee``, or the
        base-currency part is negative or not below the quantity of a buy.
    """
    if quantity <= 0 or quantity > row.quantity - row.filled_quantity:
        raise InvalidTransition(row.id or 0, row.status, f"fill of {quantity}")
    detail = tuple(sorted(fee_detail, key=lambda charge: charge.currency))
    currencies = [charge.currency for charge in detail]
    if len(set(currencies)) != len(currencies):
        raise InvalidInput(f"the fee of {row.client_order_id} names a currency twice, was {', '.join(currencies)}")
    if detail and sum((charge.value for charge in detail), Decimal(0)) != fee:
        values = ", ".join(f"{charge.currency} {charge.value}" for charge in detail)
        raise InvalidInput(f"the fee of {row.client_order_id} must be the sum of its charges' values, was "
                           f"fee={fee} values={values}")
    cash_fee, base_fee = fee_parts(row.symbol, fee, detail)
    if base_fee < 0 or (row.side == Side.BUY.value and base_fee >= quantity):
        raise InvalidInput(f"the fee of {row.client_order_id} in {row.symbol.partition('/')[0]} must be >= 0 and "
                           f"below the {quantity} bought, was {base_fee}")
    book_fill(s, row.symbol, row.strategy, Side(row.side).sign * quantity, price, cash_fee, now, base_fee)
    filled = row.filled_quantity + quantity
    average = ((row.average_price or Decimal(0)) * row.filled_quantity + price * quantity) / filled
    conn = s.connection()
    conn.execute(_FILLED, {"order_id": row.id, "new_filled": filled, "new_average": average})
    _stored(row, filled_quantity=filled, average_price=average)
    # The columns of a fee charged in one currency, kept for readers of single-currency fills.
    fee_currency, fee_native = (detail[0].currency, detail[0].amount) if len(detail) == 1 else (None, None)
    fill_id = conn.execute(_INSERT_FILL, {
        "order_id": row.id or 0, "symbol": row.symbol, "side": row.side, "quantity": quantity, "price": price,
        "fee": fee, "ts": now, "fee_currency": fee_currency, "fee_native": fee_native,
        "fee_detail": detail}).scalar_one()
    transition(s, row, OrderStatus.FILLED if filled == row.quantity else OrderStatus.PARTIALLY_FILLED, now)
    publish(s, ts=now, type="OrderFilled", subject=f"order:{row.id}", audit_seq=None,
            payload={"order_id": row.id, "symbol": row.symbol, "side": row.side, "quantity": str(quantity),
                     "price": str(price), "fee": str(fee)})
    return Fill(fill_id or 0, row.id or 0, row.symbol, Side(row.side), quantity, price, fee, now, fee_currency,
                fee_native, detail)


def get_order(s: Session, ref: int | str) -> OrderRow:
    """Return the order with id ``ref`` (int) or client order id ``ref`` (str)."""
    if isinstance(ref, int):
        row = s.get(OrderRow, ref)
    else:
        row = s.exec(select(OrderRow).where(OrderRow.client_order_id == ref)).first()
    if row is None:
        raise UnknownOrder(f"no order {ref!r}")
    return row


def cancel(s: Session, row: OrderRow, now: datetime, reason: str) -> bool:
    """Cancel an open order; return False when it was already finished.

    A paper order (or one no venue has seen yet) is cancelled at once: the paper venue confirms
    a cancel as it is asked, so it goes straight to CANCELLED. An exchange order waits in
    PENDING_CANCEL until the engine's router has the exchange's confirmation (it may fill in between).
    """
    if not OrderStatus(row.status).is_open:
        return False
    if row.venue != PAPER_VENUE and row.status != OrderStatus.NEW.value:
        if row.status != OrderStatus.PENDING_CANCEL.value:
            transition(s, row, OrderStatus.PENDING_CANCEL, now, reason)
        return True
    transition(s, row, OrderStatus.CANCELLED, now, reason)
    return True


def cancel_open(s: Session, now: datetime, reason: str, symbol: str | None = None) -> list[int]:
    """Cancel every open order (of ``symbol``) with set-based statements; return their ids.

    The same outcome as :func:`cancel` on each order: paper (and NEW) orders end CANCELLED,
    exchange orders wait in PENDING_CANCEL for the router; every step has its transition row
    and event. The open orders are locked (``FOR UPDATE`` on PostgreSQL) so nothing fills or
    moves them between the read and the update.
    """
    s.flush()
    stmt = (select_columns(col(OrderRow.id), col(OrderRow.client_order_id), col(OrderRow.symbol), col(OrderRow.status),
                   col(OrderRow.venue))
            .where(col(OrderRow.status).in_(_OPEN)).order_by(col(OrderRow.id)).with_for_update())
    if symbol:
        stmt = stmt.where(col(OrderRow.symbol) == symbol)
    finals: dict[OrderStatus, list[int]] = {OrderStatus.CANCELLED: [], OrderStatus.PENDING_CANCEL: []}
    waiting: list[int] = []
    for found, client_id, sym, status_text, venue in s.connection().execute(stmt).all():
        order_id = found or 0
        status = OrderStatus(status_text)
        if venue == PAPER_VENUE or status is OrderStatus.NEW:
            target = OrderStatus.CANCELLED
        elif status is OrderStatus.PENDING_CANCEL:
            waiting.append(order_id)
            continue
        else:
            target = OrderStatus.PENDING_CANCEL
        if not can_transition(status, target):
            raise InvalidTransition(order_id, status.value, target.value)
        _record_transition(s, order_id, client_id, sym, status, target, reason, now)
        finals[target].append(order_id)
    for final, ids in finals.items():
        if ids:
            s.connection().execute(update(OrderRow).where(col(OrderRow.id).in_(ids))
                                   .values(status=final.value, reason=reason, updated_at=now))
    return sorted(finals[OrderStatus.CANCELLED] + finals[OrderStatus.PENDING_CANCEL] + waiting)


def list_orders(s: Session, *, open_only: bool = False, limit: int = 500) -> list[Order]:
    """Return orders, newest first."""
    stmt = select(OrderRow).order_by(col(OrderRow.id).desc()).limit(limit)
    if open_only:
        stmt = stmt.where(col(OrderRow.status).in_([st.value for st in OrderStatus if st.is_open]))
    return [to_order(row) for row in s.exec(stmt)]


def list_fills(s: Session, limit: int = 500) -> list[Fill]:
    """Return fills, newest first."""
    rows = s.exec(select(FillRow).order_by(col(FillRow.id).desc()).limit(limit))
    return [Fill(r.id or 0, r.order_id, r.symbol, Side(r.side), r.quantity, r.price, r.fee, utc(r.ts), r.fee_currency,
                 r.fee_native, r.fee_detail) for r in rows]
