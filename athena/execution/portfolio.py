"""Portfolio accounting from fills and marks: average-cost positions, cash, PnL, exposure.

Everything is Decimal. A fill that adds to a position moves its average price; one that reduces
it realises ``(price - average) * closed quantity`` (sign-adjusted); one that flips it closes the
old position and opens the remainder at the fill price. Fees are paid from cash and reported
separately, so ``nav = cash + sum(quantity * mark)`` and
``nav - starting cash = realised + unrealised - fees``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session, col, select

from athena.model import Side
from athena.store import FillRow, MarkRow, OrderRow, SettingRow

__all__ = ["DEFAULT_PAPER_CASH", "Book", "PortfolioView", "PositionView", "portfolio", "starting_cash"]

ZERO = Decimal(0)
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

    def apply(self, symbol: str, signed_quantity: Decimal, price: Decimal, fee: Decimal) -> None:
        """Book one fill."""
        held = self.quantity.get(symbol, ZERO)
        average = self.average.get(symbol, ZERO)
        realized = self.realized.get(symbol, ZERO)
        if held == 0 or (held > 0) == (signed_quantity > 0):
            total = held + signed_quantity
            average = (average * abs(held) + price * abs(signed_quantity)) / abs(total)
        else:
            closed = min(abs(signed_quantity), abs(held))
            realized += (price - average) * closed * (1 if held > 0 else -1)
            total = held + signed_quantity
            if total == 0:
                average = ZERO
            elif (total > 0) != (held > 0):
                average = price
        self.quantity[symbol], self.average[symbol], self.realized[symbol] = total, average, realized
        self.fees[symbol] = self.fees.get(symbol, ZERO) + fee
        self.cash -= signed_quantity * price + fee

    def view(self, marks: dict[str, Decimal]) -> PortfolioView:
        """Value the book at ``marks``."""
        symbols = sorted(set(self.quantity) | set(self.realized))
        positions = tuple(
            PositionView(symbol, self.quantity.get(symbol, ZERO), self.average.get(symbol, ZERO), marks.get(symbol),
                         self.realized.get(symbol, ZERO), self.fees.get(symbol, ZERO))
            for symbol in symbols
        )
        return PortfolioView(self.cash, positions, sum(self.realized.values(), ZERO), sum(self.fees.values(), ZERO))


def _fills(s: Session, strategy: str | None) -> Iterable[FillRow]:
    stmt = select(FillRow).order_by(col(FillRow.id))
    if strategy is not None:
        stmt = stmt.join(OrderRow, col(OrderRow.id) == col(FillRow.order_id)).where(OrderRow.strategy == strategy)
    return s.exec(stmt)


def portfolio(s: Session, starting_cash: Decimal, strategy: str | None = None) -> PortfolioView:
    """Return the portfolio (or one strategy's book) from every fill, valued at the latest marks."""
    book = Book(starting_cash)
    for fill in _fills(s, strategy):
        book.apply(fill.symbol, Side(fill.side).sign * fill.quantity, fill.price, fill.fee)
    marks = {row.symbol: row.price for row in s.exec(select(MarkRow))}
    return book.view(marks)


def starting_cash(s: Session) -> Decimal:
    """Return the paper account's starting cash (workspace setting ``paper_cash``)."""
    row = s.get(SettingRow, "paper_cash")
    return Decimal(row.value) if row else DEFAULT_PAPER_CASH
