"""Recorded runs keep their final book, and a stress test applies to it: ``athena.stress.run(run=...)``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from athena import stress
from athena.backtest import run as backtest
from athena.console import Console
from athena.errors import InvalidInput
from athena.model import RunBook
from athena.stress import Portfolio
from athena.testing import ADMIN_PASSWORD, bars_from_closes
from athena.workspace import Workspace

# NAV = 5,000 + 0.5 x 40,000 - 2 x 2,000 = 21,000; the peak was 30,000.
BOOK = RunBook(positions={"BTC/USDT": Decimal("0.5"), "ETH/USDT": Decimal("-2")},
               marks={"BTC/USDT": Decimal("40000"), "ETH/USDT": Decimal("2000")},
               cash=Decimal("5000"), peak_nav=Decimal("30000"))


def _record(console: Console, **kwargs: object) -> str:
    options: dict[str, object] = {"kind": "backtest", "strategy": "trend", "params": {"fast": 5},
                                  "config_hash": "ab" * 12, "data_fingerprint": "cd" * 12, "metrics": {},
                                  "artefacts": {}, **kwargs}
    return console.record_run(**options).id  # type: ignore[arg-type]


def test_record_run_when_book_given_keeps_it_exactly_and_stress_run_uses_it(workspace: Workspace) -> None:
    admin = workspace.login("admin", ADMIN_PASSWORD)
    run_id = _record(admin, symbols=["BTC/USDT", "ETH/USDT"], book=BOOK)
    record = admin.get_run(run_id[:8])
    assert record.book == BOOK and record.symbols == ("BTC/USDT", "ETH/USDT")
    assert admin.audit()[0].payload["book_positions"] == {"BTC/USDT": "0.5", "ETH/USDT": "-2"}
    table = stress.run("covid_crash_2020", run=run_id, console=admin)
    row = table.loc["covid_crash_2020"]
    # BTC -37%: 0.5 x (25,200 - 40,000) = -7,400; ETH -42% (short): -2 x (1,160 - 2,000) = +1,680.
    # Exit cost (20/2 + 50) bps on the shocked notionals: 0.006 x (12,600 + 2,320) = 89.52.
    assert row["nav_before"] == pytest.approx(21_000.0)
    assert row["pnl"] == pytest.approx(-7_400 + 1_680 - 89.52)
    assert row["liquidity_cost"] == pytest.approx(89.52)
    assert row["drawdown"] == pytest.approx(1 - (21_000 - 5_809.52) / 30_000)
    assert stress.run("covid_crash_2020", run=record).loc["covid_crash_2020", "pnl"] == pytest.approx(row["pnl"])


def test_stress_run_when_run_unknown_or_without_book_says_which(admin: Console) -> None:
    with pytest.raises(InvalidInput, match="no run 'feedbeef'"):
        stress.run("covid_crash_2020", run="feedbeef", console=admin)
    old = _record(admin)
    with pytest.raises(InvalidInput, match=f"run {old[:12]} was recorded before runs kept their final positions"):
        stress.run("covid_crash_2020", run=old, console=admin)
    sweep = _record(admin, kind="sweep", symbols=["BTC/USDT"])
    with pytest.raises(InvalidInput, match="it is a sweep"):
        stress.run("covid_crash_2020", run=sweep, console=admin)
    with pytest.raises(InvalidInput, match="pass console= to look it up"):
        stress.run("covid_crash_2020", run=old)
    with pytest.raises(InvalidInput, match="not both"):
        stress.run("covid_crash_2020", Portfolio.from_run(admin.get_run(_record(admin, book=BOOK))), run=old)


def test_record_run_when_book_is_malformed_refuses_and_records_nothing(admin: Console) -> None:
    before = len(admin.list_runs())
    unmarked = RunBook(positions={"BTC/USDT": Decimal(1)}, marks={}, cash=Decimal(0), peak_nav=Decimal(0))
    with pytest.raises(InvalidInput, match="needs a mark > 0 for every position, had none for BTC/USDT"):
        _record(admin, book=unmarked)
    with pytest.raises(InvalidInput, match="SOL/USDT, which are not among the run's symbols"):
        _record(admin, symbols=["BTC/USDT"], book=RunBook(positions={"SOL/USDT": Decimal(1)},
                                                         marks={"SOL/USDT": Decimal(20)}, cash=Decimal(0),
                                                         peak_nav=Decimal(20)))
    with pytest.raises(InvalidInput, match="only a backtest run has a final book, was kind 'sweep'"):
        _record(admin, kind="sweep", book=BOOK)
    assert len(admin.list_runs()) == before


def test_record_run_when_book_holds_floats_refuses_with_invalid_input(admin: Console) -> None:
    before = len(admin.list_runs())
    floats = RunBook(positions={"BTC/USDT": 0.5}, marks={"BTC/USDT": 40_000.0},  # type: ignore[dict-item]
                     cash=5_000.0, peak_nav=Decimal("30000"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"must hold Decimal figures, was cash=5000.0, position of BTC/USDT=0.5, "
                                           r"mark of BTC/USDT=40000.0"):
        _record(admin, book=floats)
    assert len(admin.list_runs()) == before


def test_record_run_when_symbols_is_one_string_refuses_with_invalid_input(admin: Console) -> None:
    before = len(admin.list_runs())
    with pytest.raises(InvalidInput, match="symbols must be a sequence of symbols, not one string, was 'AB'"):
        _record(admin, symbols="AB")
    assert len(admin.list_runs()) == before


def test_portfolio_when_backtest_book_round_trips_through_a_run_is_the_same(admin: Console) -> None:
    result = backtest("buy_and_hold", bars_from_closes([100.0, 101, 103, 102, 105, 107], symbol="AAA"),
                      cash=10_000.0)
    ended = Portfolio.from_backtest(result)
    again = Portfolio.from_run(admin.get_run(_record(admin, symbols=["AAA"], book=ended.to_run_book())))
    assert again == ended
