"""Average-cost accounting checked against hand-computed books."""

from __future__ import annotations

from decimal import Decimal as D

from athena.execution.portfolio import Book


def test_book_when_adding_reducing_and_flipping_matches_hand_computation() -> None:
    book = Book(D(1000))
    book.apply("X", D(2), D(100), D(0))
    book.apply("X", D(2), D(110), D(0))
    assert book.average["X"] == D(105)
    book.apply("X", D(-3), D(120), D(0))
    assert (book.quantity["X"], book.average["X"], book.realized["X"]) == (D(1), D(105), D(45))
    book.apply("X", D(-2), D(90), D(0))
    assert (book.quantity["X"], book.average["X"], book.realized["X"]) == (D(-1), D(90), D(30))
    view = book.view({"X": D(95)})
    assert view.cash == D(1000) - 200 - 220 + 360 + 180
    assert view.nav == D(1025) == D(1000) + view.realized_pnl + view.unrealized_pnl
    assert (view.gross_exposure, view.net_exposure) == (D(95), D(-95))


def test_book_when_fees_paid_reduces_nav_by_exactly_the_fees() -> None:
    book = Book(D(10_000))
    book.apply("X", D("0.5"), D("2000.10"), D("1.0001"))
    book.apply("X", D("-0.5"), D("2000.10"), D("1.0001"))
    view = book.view({"X": D("2500")})
    assert view.realized_pnl == 0 and view.fees == D("2.0002")
    assert view.nav == D(10_000) - D("2.0002")
    assert view.positions[0].quantity == 0 and view.leverage == 0


def test_book_when_short_covered_realises_gain() -> None:
    book = Book(D(0))
    book.apply("X", D(-10), D(50), D(0))
    book.apply("X", D(4), D(40), D(0))
    assert (book.quantity["X"], book.realized["X"], book.average["X"]) == (D(-6), D(40), D(50))
    view = book.view({"X": D(45)})
    assert view.unrealized_pnl == D(30) and view.nav == D(0) + D(40) + D(30)
    assert view.leverage == D(270) / D(70)
