"""What the Execution page shows and does: order entry, open orders, fills and positions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import param

from athena.auth import Permission
from athena.console import Instrument
from athena.execution.portfolio import PositionView
from athena.model import Fill, Order, OrderDenied, OrderType, Side, TimeInForce
from athena.ui.state.base import PageState

__all__ = ["FILL_COLUMNS", "ORDER_COLUMNS", "POSITION_COLUMNS", "ExecutionState", "describe"]

ORDER_COLUMNS = ["id", "time", "symbol", "side", "type", "quantity", "price", "tif", "status", "filled", "strategy"]
FILL_COLUMNS = ["id", "order", "time", "symbol", "side", "quantity", "price", "fee"]
POSITION_COLUMNS = ["symbol", "quantity", "average", "mark", "unrealized", "realized"]
ALL_SYMBOLS = "All symbols"
DEFAULT_FLATTEN_REASON = "flattened from the Execution page"


def _num(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _order_row(order: Order) -> dict[str, Any]:
    price = order.price if order.type is OrderType.LIMIT else order.stop_price
    return {
        "id": order.id,
        "time": order.created_at.strftime("%H:%M:%S"),
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.type.value,
        "quantity": _num(order.quantity),
        "price": _num(price),
        "tif": order.tif.value,
        "status": order.status.value,
        "filled": _num(order.filled_quantity),
        "strategy": order.strategy or "",
    }


def _fill_row(fill: Fill) -> dict[str, Any]:
    return {
        "id": fill.id,
        "order": fill.order_id,
        "time": fill.ts.strftime("%H:%M:%S"),
        "symbol": fill.symbol,
        "side": fill.side.value,
        "quantity": _num(fill.quantity),
        "price": f"{fill.price:,.2f}",
        "fee": f"{fill.fee:,.4f}",
    }


def _position_row(position: PositionView) -> dict[str, Any]:
    return {
        "symbol": position.symbol,
        "quantity": _num(position.quantity),
        "average": f"{position.average_price:,.2f}",
        "mark": "" if position.mark is None else f"{position.mark:,.2f}",
        "unrealized": f"{position.unrealized_pnl:,.2f}",
        "realized": f"{position.realized_pnl:,.2f}",
    }


def describe(result: Order | OrderDenied) -> tuple[str, str]:
    """Return the page message and its level for an order outcome."""
    if isinstance(result, OrderDenied):
        return f"Denied {result.reason.value}: {result.message} (order {result.order_id}).", "danger"
    done = f" at {result.average_price:,.2f}" if result.average_price is not None else ""
    return (f"Accepted: order {result.id} {result.side.value} {_num(result.quantity)} {result.symbol} "
            f"is {result.status.value}{done}.", "success")


class ExecutionState(PageState):
    """Order entry, the open orders and fills, and the positions, refreshed every poll."""

    live = True

    instruments = param.List(default=[], item_type=Instrument, doc="Instruments of the venue, by symbol.")
    symbol = param.Selector[str](default="", objects=[""], check_on_set=False, doc="Symbol of the order to send.")
    side = param.Selector[str](default=Side.BUY.value, objects=[s.value for s in Side], doc="Buy or sell.")
    order_type = param.Selector[str](default=OrderType.MARKET.value, objects=[t.value for t in OrderType], doc=(
        "market fills at the mark; limit rests at its price; stop becomes market when the mark crosses it."))
    quantity = param.String(default="", doc="Quantity in base units, e.g. 0.01.")
    price = param.String(default="", doc="Limit price (limit orders only).")
    stop_price = param.String(default="", doc="Stop trigger price (stop orders only).")
    tif = param.Selector[str](default=TimeInForce.GTC.value, objects=[t.value for t in TimeInForce], doc=(
        "GTC rests until filled or cancelled; IOC cancels whatever cannot fill at once."))
    strategy = param.String(default="", doc="Strategy the order belongs to (optional).")
    last_result = param.ClassSelector(class_=(Order, OrderDenied), allow_None=True, default=None, doc=(
        "Outcome of the last order sent from this page: the order, or its denial with reason code."))
    open_orders = param.List(default=[], item_type=Order, doc="Orders that can still trade, newest first.")
    selected_order = param.Integer(default=None, allow_None=True, doc="Id of the open order to cancel.")
    cancel_symbol = param.Selector[str](default=ALL_SYMBOLS, objects=[ALL_SYMBOLS], check_on_set=False, doc=(
        "Cancel all applies to this symbol only, or to every symbol."))
    fills = param.List(default=[], item_type=Fill, doc="Most recent fills, newest first.")
    fills_limit = param.Integer(default=50, bounds=(1, 1000), doc="How many recent fills to show.")
    positions = param.List(default=[], item_type=PositionView, doc="Positions held or with realised PnL.")
    selected_position = param.String(default="", doc="Symbol of the position to flatten.")
    flatten_reason = param.String(default=DEFAULT_FLATTEN_REASON, doc="Why positions are flattened (ledger).")

    @property
    def needs_price(self) -> bool:
        """Return whether the order type takes a limit price."""
        return bool(self.order_type == OrderType.LIMIT.value)

    @property
    def needs_stop(self) -> bool:
        """Return whether the order type takes a stop price."""
        return bool(self.order_type == OrderType.STOP.value)

    @property
    def can_submit(self) -> bool:
        """Return whether the role may send orders."""
        return self.session.can(Permission.ORDERS_SUBMIT)

    @property
    def can_cancel(self) -> bool:
        """Return whether the role may cancel orders."""
        return self.session.can(Permission.ORDERS_CANCEL)

    @property
    def can_flatten(self) -> bool:
        """Return whether the role may flatten positions."""
        return self.session.can(Permission.POSITIONS_FLATTEN)

    def refresh(self) -> None:
        """Reload instruments, open orders, fills and positions."""
        if self.session.console is None:
            return
        if not self.instruments:
            found = self.run(self.console.instruments)
            if found:
                symbols = [i.symbol for i in found]
                self.param.symbol.objects = symbols
                self.param.cancel_symbol.objects = [ALL_SYMBOLS, *symbols]
                self.param.update(instruments=found, symbol=self.symbol if self.symbol in symbols else symbols[0])
        self._load()

    def _load(self) -> None:
        orders = self.run(lambda: self.console.orders(open_only=True))
        fills = self.run(lambda: self.console.fills(self.fills_limit))
        book = self.run(self.console.portfolio)
        changes: dict[str, Any] = {}
        if orders is not None and orders != self.open_orders:
            changes["open_orders"] = orders
            if self.selected_order not in {o.id for o in orders}:
                changes["selected_order"] = None
        if fills is not None and fills != self.fills:
            changes["fills"] = fills
        if book is not None:
            held = [p for p in book.positions if p.quantity or p.realized_pnl]
            if held != self.positions:
                changes["positions"] = held
        if changes:
            self.param.update(**changes)

    def poll(self) -> int:
        """Reload what the engine may have changed (fills, marks, order states); return 0."""
        self.refresh()
        return 0

    def submit(self) -> Order | OrderDenied | None:
        """Send the order the form describes and show its outcome (accepted, denied, or the input error)."""
        symbol, side, kind, tif = self.symbol, self.side, self.order_type, self.tif
        quantity = self.quantity.strip()
        price = (self.price.strip() or None) if self.needs_price else None
        stop = (self.stop_price.strip() or None) if self.needs_stop else None
        strategy = self.strategy.strip() or None
        if not symbol:
            self.say("Choose a symbol.", "warning")
            return None
        if not quantity:
            self.say("Enter a quantity.", "warning")
            return None
        result = self.run(lambda: self.console.submit_order(
            symbol, side, quantity, type=kind, price=price, stop_price=stop, tif=tif, strategy=strategy))
        if result is None:
            return None
        self.last_result = result
        self.say(*describe(result))
        self._load()
        return result

    def cancel(self) -> Order | None:
        """Cancel the selected open order."""
        order_id = self.selected_order
        if order_id is None:
            self.say("Select an open order first.", "warning")
            return None
        cancelled = self.run(lambda: self.console.cancel_order(order_id), lambda o: f"Cancelled order {o.id}.")
        self._load()
        return cancelled

    def cancel_all(self) -> int | None:
        """Cancel every open order, or those of the chosen symbol."""
        symbol = None if self.cancel_symbol == ALL_SYMBOLS else self.cancel_symbol
        where = f" in {symbol}" if symbol else ""
        count = self.run(lambda: self.console.cancel_all_orders(symbol, reason="cancel all (Execution page)"),
                         lambda n: f"Cancelled {n} open order{'s' if n != 1 else ''}{where}.")
        self._load()
        return count

    def flatten(self) -> list[Order | OrderDenied] | None:
        """Close the selected position with a reduce-only market order."""
        if not self.selected_position:
            self.say("Select a position first.", "warning")
            return None
        return self._flatten(self.selected_position)

    def flatten_all(self) -> list[Order | OrderDenied] | None:
        """Close every open position with reduce-only market orders."""
        return self._flatten(None)

    def _flatten(self, symbol: str | None) -> list[Order | OrderDenied] | None:
        reason = self.flatten_reason.strip()
        results = self.run(lambda: self.console.flatten_positions(symbol, reason=reason))
        if results is not None:
            denied = [r for r in results if isinstance(r, OrderDenied)]
            if not results:
                self.say("No open positions to flatten.", "info")
            elif denied:
                self.say("; ".join(describe(r)[0] for r in denied), "danger")
            else:
                self.say(" ".join(describe(r)[0] for r in results), "success")
        self._load()
        return results

    def orders_frame(self) -> pd.DataFrame:
        """Return the open orders as a table."""
        return pd.DataFrame([_order_row(o) for o in self.open_orders], columns=ORDER_COLUMNS)

    def fills_frame(self) -> pd.DataFrame:
        """Return the recent fills as a table."""
        return pd.DataFrame([_fill_row(f) for f in self.fills], columns=FILL_COLUMNS)

    def positions_frame(self) -> pd.DataFrame:
        """Return the positions as a table."""
        return pd.DataFrame([_position_row(p) for p in self.positions], columns=POSITION_COLUMNS)
