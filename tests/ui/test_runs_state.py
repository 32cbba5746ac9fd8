"""The Runs page as an object: run history with kind/strategy/text filters and one run's report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from athena.clock import SimulatedClock
from athena.console import Console
from athena.model import Role
from athena.ui.state import ShellState
from athena.ui.state.runs import RunsState


@pytest.fixture
def history(admin: Console, clock: SimulatedClock, tmp_path: Path) -> list[str]:
    equity = tmp_path / "equity.csv"
    equity.write_text("time,equity\n2024-01-01 00:00:00+00:00,100000.0\n2024-01-01 01:00:00+00:00,101000.0\n")
    ids = [
        admin.record_run(kind="backtest", strategy="trend", params={"fast": 5, "slow": 20}, config_hash="c0ffee" * 4,
                         data_fingerprint="d" * 24, metrics={"total_return": 0.01, "sharpe": 1.5, "trades": 3},
                         artefacts={"equity": str(equity)}).id,
    ]
    clock.advance(1)
    ids += [
        admin.record_run(kind="sweep", strategy="revert", params={"grid": {"k": ["1", "2"]}},
                         config_hash="beef" * 6, data_fingerprint="d" * 24, metrics={"combinations": 2},
                         artefacts={}).id,
    ]
    return ids


def page(shell: ShellState) -> RunsState:
    state = shell.runs
    state.refresh()
    return state


def test_refresh_when_viewer_lists_every_run_newest_first(log_in: Callable[[Role], ShellState],
                                                          history: list[str]) -> None:
    state = page(log_in(Role.VIEWER))

    assert [r.id for r in state.runs] == list(reversed(history))
    assert list(state.frame()["kind"]) == ["sweep", "backtest"]
    assert state.frame().iloc[1]["total_return"] == "1.00%"
    assert state.param.strategy.objects == ["", "revert", "trend"]


def test_filters_when_set_narrow_by_kind_strategy_and_text(log_in: Callable[[Role], ShellState],
                                                          history: list[str]) -> None:
    state = page(log_in(Role.VIEWER))

    state.kind = "sweep"
    assert [r.strategy for r in state.runs] == ["revert"]
    state.kind = ""
    state.strategy = "trend"
    assert [r.id for r in state.runs] == [history[0]]
    state.strategy = ""
    state.text = "beefbeef"
    assert [r.kind for r in state.runs] == ["sweep"]
    state.text = "no such run"
    assert state.runs == [] and state.frame().empty


def test_select_when_run_chosen_shows_metrics_equity_params_and_hash(log_in: Callable[[Role], ShellState],
                                                                     history: list[str]) -> None:
    state = page(log_in(Role.VIEWER))

    state.select(history[0][:12])

    assert state.selected is not None and state.selected.config_hash == "c0ffee" * 4
    assert state.selected.params == {"fast": 5, "slow": 20}
    assert list(state.metrics["metric"])[:2] == ["total_return", "sharpe"]
    assert list(state.equity["equity"]) == [100_000.0, 101_000.0]
    state.select(history[1])
    assert state.equity.empty and list(state.metrics["metric"]) == ["combinations"]


def test_select_when_filtered_out_clears_the_report(log_in: Callable[[Role], ShellState],
                                                    history: list[str]) -> None:
    state = page(log_in(Role.VIEWER))
    state.select(history[0])

    state.kind = "sweep"

    assert state.selected_id == "" and state.metrics.empty
