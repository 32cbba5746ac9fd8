"""Portfolio accounting from fills and marks: average-cost positions, cash, PnL, exposure.

Everything is Decimal. A fill that adds to a position moves its average price; one that reduces
it realises ``(price - average) * closed quantity`` (sign-adjusted); one that flips it closes the
old position and opens the remainder at the fill price (:class:`~athena.model.Holding`). Fees
are paid from cash and reported separately, so ``nav = cash + sum(quantity * mark)`` and
``nav - starting cash = realised + unrealised - fees``. A fee an exchange charged in the base
currency is paid in coins instead: the position moves by the executed quantity less that fee,
the cash by quantity times price, and the fee is part of the cost (see
:func:`~athena.model.fee_parts`); the fill row still keeps its quote value. When the executions
of a fill charged several currencies, each part is paid its own way: the base-currency amount in
coins, the quote and third-currency amounts from cash at their quote value.

The ``positions`` table holds each book's holdings (the whole portfolio, and each strategy's),
updated by :func:`book_fill` in the transaction of every fill, so a valuation reads one row per
symbol instead of every fill. :func:`replay_portfolio` recomputes the same view from the fills.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, update
from sqlalchemy import select as select_columns
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from athena.execution.marks import mark_prices
from athena.model import Holding, Side, fee_parts
from athena.store import FillRow, OrderRow, PositionRow, SettingRow

__all__ = [
    "DEFAULT_PAPER_CASH",
    "GLOBAL_BOOK",
    "Book",
    "PortfolioView",
    "PositionView",
    "book_fill",
    "book_key",
    "holdings",
    "portfolio",
    "replay_portfolio",
    "starting_cash",
]

ZERO = Decimal(0)
GLOBAL_BOOK = "global"
DEFAULT_PAPER_CASH = Decimal("1000000")


@dataclass(frozen=True, slots=True)
class PositionView:
    """One symbol's position valued at its mark."""

    symbol: str
    quantity: Decimal
    average_price: Decimal
    mark: Decimal | None
    realized_pnl: Decimal
    fees: Decimal

    @property
    def market_value(self) -> Decimal:
        """Return quantity times mark (zero without a mark)."""
        return self.quantity * self.mark if self.mark is not None else ZERO

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return the gain of the open quantity from its average price to the mark."""
        return (self.mark - self.average_price) * self.quantity if self.mark is not None else ZERO


@dataclass(frozen=True, slots=True)
class PortfolioView:
    """A valued portfolio: cash, positions and the figures risk and dashboards read."""

    cash: Decimal
    positions: tuple[PositionView, ...]
    realized_pnl: Decimal
    fees: Decimal

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return the sum of unrealised PnL."""
        return sum((p.unrealized_pnl for p in self.positions), ZERO)

    @property
    def nav(self) -> Decimal:
        """Return cash plus the market value of every position."""
        return self.cash + self.net_exposure

    @property
    def gross_exposure(self) -> Decimal:
        """Return the sum of absolute market values."""
        return sum((abs(p.market_value) for p in self.positions), ZERO)

    @property
    def net_exposure(self) -> Decimal:
        """Return the sum of signed market values."""
        return sum((p.market_value for p in self.positions), ZERO)

    @property
    def leverage(self) -> Decimal:
        """Return gross exposure over NAV (zero when NAV is not positive)."""
        nav = self.nav
        return self.gross_exposure / nav if nav > 0 else ZERO


@dataclass
class Book:
    """Average-cost accounting of one book (the whole portfolio or one strategy)."""

    cash: Decimal
    quantity: dict[str, Decimal] = field(default_factory=dict)
    average: dict[str, Decimal] = field(default_factory=dict)
    realized: dict[str, Decimal] = field(default_factory=dict)
    fees: dict[str, Decimal] = field(default_factory=dict)

    def apply(self, symbol: str, signed_quantity: Decimal, price: Decimal, fee: Decimal,
              base_fee: Decimal = ZERO) -> None:
        """Book one fill (``fee`` paid from cash, ``base_fee`` in the base currency: see :class:`Holding`)."""
        held = Holding(self.quantity.get(symbol, ZERO), self.average.get(symbol, ZERO),
                       self.realized.get(symbol, ZERO), self.fees.get(symbol, ZERO))
        after = held.apply(signed_quantity, price, fee, base_fee)
        self.quantity[symbol], self.average[symbol], self.realized[symbol] = (after.quantity, after.average_price,
                                                                              after.realized_pnl)
        self.fees[symbol] = after.fees
        self.cash -= after.cash_flow

    def view(self, marks: dict[str, Decimal]) -> PortfolioView:
        """Value the book at ``marks``."""
        symbols = sorted(set(self.quantity) | set(self.realized))
        positions = tuple(
            PositionView(symbol, self.quantity.get(symbol, ZERO), self.average.get(symbol, ZERO), marks.get(symbol),
                         self.realized.get(symbol, ZERO), self.fees.get(symbol, ZERO))
            for symbol in symbols
        )
        return PortfolioView(self.cash, positions, sum(self.realized.values(), ZERO), sum(self.fees.values(), ZERO))


_HOLDING_COLUMNS = (col(PositionRow.symbol), col(PositionRow.quantity), col(PositionRow.average_price),
                    col(PositionRow.realized_pnl), col(PositionRow.fees), col(PositionRow.cash_flow))
# Built once: every fill moves two holdings, and building statements costs more than running them.
_AT = (col(PositionRow.book) == bindparam("at_book"), col(PositionRow.symbol) == bindparam("at_symbol"))
_HOLDING_LOCKED = select_columns(*_HOLDING_COLUMNS).where(*_AT).with_for_update()
_OPEN_SQLITE = sqlite_insert(PositionRow).on_conflict_do_nothing()
_OPEN_PG = pg_insert(PositionRow).on_conflict_do_nothing()
_MOVE_HOLDING = update(PositionRow).where(*_AT).values(
    quantity=bindparam("new_quantity"), average_price=bindparam("new_average_price"),
    realized_pnl=bindparam("new_realized_pnl"), fees=bindparam("new_fees"), cash_flow=bindparam("new_cash_flow"),
    updated_at=bindparam("new_updated_at"))


def book_key(strategy: str | None) -> str:
    """Return the ``positions`` book of a strategy (``global`` for the whole portfolio)."""
    return GLOBAL_BOOK if strategy is None else f"strategy:{strategy}"


def book_fill(s: Session, symbol: str, strategy: str | None, signed_quantity: Decimal, price: Decimal, fee: Decimal,
              now: datetime, base_fee: Decimal = ZERO) -> None:
    """Apply one fill to the whole portfolio's holding of ``symbol`` and to its strategy's.

    ``fee`` is paid from cash; ``base_fee`` was charged in the base currency (:meth:`Holding.apply`).
    The rows are locked (``FOR UPDATE`` on PostgreSQL) before the fill is stored, so
    concurrent fills of a symbol apply in the order their fills are numbered.
    """
    conn = s.connection()
    for book in sorted({GLOBAL_BOOK, book_key(strategy)}):
        key = {"at_book": book, "at_symbol": symbol}
        found = conn.execute(_HOLDING_LOCKED, key).first()
        if found is None:
            opening = _OPEN_PG if conn.dialect.name == "postgresql" else _OPEN_SQLITE
            conn.execute(opening, {"book": book, "symbol": symbol, "quantity": ZERO, "average_price": ZERO,
                                   "realized_pnl": ZERO, "fees": ZERO, "cash_flow": ZERO, "updated_at": now})
            found = conn.execute(_HOLDING_LOCKED, key).one()
        after = Holding(*found[1:]).apply(signed_quantity, price, fee, base_fee)
        conn.execute(_MOVE_HOLDING, {**key, "new_quantity": after.quantity, "new_average_price": after.average_price,
                                     "new_realized_pnl": after.realized_pnl, "new_fees": after.fees,
                                     "new_cash_flow": after.cash_flow, "new_updated_at": now})


def holdings(s: Session, strategy: str | None = None) -> dict[str, Holding]:
    """Return the holdings of the whole portfolio (or of one strategy) by symbol, from ``positions``."""
    return _holdings(s, book_key(strategy), None, lock=False)


def _holdings(s: Session, book: str, symbol: str | None, *, lock: bool) -> dict[str, Holding]:
    stmt = select_columns(*_HOLDING_COLUMNS).where(col(PositionRow.book) == book)
    if symbol is not None:
        stmt = stmt.where(col(PositionRow.symbol) == symbol)
    if lock:
        stmt = stmt.with_for_update()
    return {sym: Holding(*figures) for sym, *figures in s.connection().execute(stmt)}


def _fills(s: Session, strategy: str | None) -> Iterable[FillRow]:
    stmt = select(FillRow).order_by(col(FillRow.id))
    if strategy is not None:
        stmt = stmt.join(OrderRow, col(OrderRow.id) == col(FillRow.order_id)).where(OrderRow.strategy == strategy)
    return s.exec(stmt)


def portfolio(s: Session, starting_cash: Decimal, strategy: str | None = None) -> PortfolioView:
    """Return the portfolio (or one strategy's book) from its kept positions, valued at the latest marks."""
    book = Book(starting_cash)
    for symbol, held in holdings(s, strategy).items():
        book.quantity[symbol], book.average[symbol], book.realized[symbol] = (held.quantity, held.average_price,
                                                                              held.realized_pnl)
        book.fees[symbol] = held.fees
        book.cash -= held.cash_flow
    return book.view(mark_prices(s))


def replay_portfolio(s: Session, starting_cash: Decimal, strategy: str | None = None) -> PortfolioView:
    """Return the same view as :func:`portfolio`, recomputed from every fill (to check the kept positions)."""
    book = Book(starting_cash)
    for fill in _fills(s, strategy):
        book.apply(fill.symbol, Side(fill.side).sign * fill.quantity, fill.price,
                   *fee_parts(fill.symbol, fill.fee, fill.fee_detail))
    return book.view(mark_prices(s))


def starting_cash(s: Session) -> Decimal:
    """Return the paper account's starting cash (workspace setting ``paper_cash``)."""
    row = s.get(SettingRow, "paper_cash")
    return Decimal(row.value) if row else DEFAULT_PAPER_CASH
