"""The Strategies page as an object: registry, typed parameter editor, lifecycle by role, go-live, backtest job."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from athena.audit import AuditFilter
from athena.auth import Permission
from athena.clock import SimulatedClock
from athena.console import Console
from athena.execution import PaperVenue
from athena.execution.venue_credentials import Credentials
from athena.jobs import run
from athena.model import AuditOutcome, OrderStatus, Role, TradingState
from athena.testing import totp_now
from athena.ui.state import ShellState
from athena.ui.state.strategies import StrategiesState


@pytest.fixture
def trend(admin: Console) -> str:
    admin.register_strategy("trend", "sma_cross", ["BTC/USDT"], params={"fast": 5, "slow": 20}, capital=50_000,
                            timeframe="1h")
    return "trend"


def page(shell: ShellState, name: str | None = None) -> StrategiesState:
    state = shell.strategies
    state.refresh()
    if name:
        state.select(name)
    return state


def test_refresh_when_logged_in_lists_lifecycle_and_trading_state(
    log_in: Callable[[Role], ShellState], admin: Console, trend: str
) -> None:
    admin.approve_strategy(trend)
    admin.activate_strategy(trend)
    shell = log_in(Role.VIEWER)
    state = page(shell)

    row = state.frame().iloc[0].to_dict()

    assert (row["name"], row["strategy"], row["lifecycle"], row["trading"]) == ("trend", "sma_cross", "paper", "ACTIVE")
    assert {"Strategies", "Runs", "Jobs"} <= set(shell.pages())


def test_select_when_strategy_chosen_fills_typed_editor_history_and_backtest_form(
    log_in: Callable[[Role], ShellState], trend: str
) -> None:
    state = page(log_in(Role.QUANT), trend)

    assert state.param_types == {"fast": int, "slow": int}
    assert state.param_values == {"fast": 5, "slow": 20}
    assert [v for v, *_ in state.history] == [1]
    assert (state.symbols, state.timeframe, state.capital) == ("BTC/USDT", "1h", 50_000.0)


def test_save_when_quant_changes_params_records_a_new_version(
    log_in: Callable[[Role], ShellState], admin: Console, trend: str
) -> None:
    state = page(log_in(Role.QUANT), trend)

    state.set_value("fast", 8)
    saved = state.save_params()

    assert saved is not None and saved.params == {"fast": 8, "slow": 20}
    assert state.level == "success" and "version 2" in state.message
    assert [v for v, *_ in state.history] == [2, 1]
    assert admin.strategies()[0].params_version == 2


def test_save_when_params_invalid_is_rejected_and_nothing_written(
    log_in: Callable[[Role], ShellState], admin: Console, trend: str
) -> None:
    state = page(log_in(Role.QUANT), trend)
    before = admin.verify_audit().entries

    state.set_value("fast", 50)
    assert state.save_params() is None

    assert state.level == "warning" and "fast must be < slow" in state.message
    assert admin.strategies()[0].params_version == 1
    assert admin.audit(AuditFilter(action="strategies.params")) == []
    assert admin.verify_audit().entries == before


def test_actions_when_viewer_are_refused_and_nothing_changes(
    log_in: Callable[[Role], ShellState], admin: Console, trend: str
) -> None:
    state = page(log_in(Role.VIEWER), trend)

    assert not any(state.can(p) for p in (Permission.STRATEGIES_EDIT, Permission.STRATEGIES_APPROVE,
                                          Permission.STRATEGIES_RUN_PAPER, Permission.TRADING_HALT))
    assert not state.can_backtest
    state.set_value("fast", 6)
    assert state.save_params() is None and state.message.startswith("Refused")
    assert state.approve() is None and state.run_backtest() is None
    assert admin.strategies()[0].lifecycle == "registered" and admin.jobs() == []


def test_lifecycle_when_risk_approves_trader_activates_and_risk_halts_moves_state(
    log_in: Callable[[Role], ShellState], admin: Console, trend: str
) -> None:
    risk = page(log_in(Role.RISK), trend)
    assert risk.approve() is not None and risk.deployment is not None
    assert risk.deployment.lifecycle == "approved"
    assert risk.activate() is None and "may not strategies.activate" in risk.message

    admin.activate_strategy(trend)
    risk.halt_reason = "drawdown"
    risk.halt()
    risk.refresh()

    assert risk.deployment is not None and risk.deployment.trading_state is not None
    assert risk.deployment.trading_state.value == "HALTED"


def on_paper(admin: Console, name: str) -> None:
    """Approve and activate ``name`` on paper."""
    admin.approve_strategy(name)
    admin.activate_strategy(name)


def to_exchange(admin: Console) -> None:
    """Send new orders to an exchange venue (nothing connects to it here), as go-live requires."""
    admin.set_venue("binance", symbols=["BTC/USDT"], credentials=Credentials("key", "secret"))


def enrol(admin: Console, clock: SimulatedClock) -> str:
    """Enrol the ADMIN in TOTP after the tab logged in; return the secret, one step after the one confirmed."""
    secret = admin.enroll_totp().secret
    admin.confirm_totp(totp_now(secret, clock.now()))
    clock.advance(30)
    return secret


def test_go_live_when_admin_gives_totp_moves_paper_strategy_live_and_audits(
    log_in: Callable[[Role], ShellState], admin: Console, clock: SimulatedClock, trend: str
) -> None:
    on_paper(admin, trend)
    to_exchange(admin)
    state = page(log_in(Role.ADMIN), trend)
    secret = enrol(admin, clock)
    assert state.can_go_live and not state.go_live_blocked()
    assert "trades on paper" in state.go_live_note()

    state.live_totp = totp_now(secret, clock.now())
    live = state.go_live()

    assert live is not None and (live.lifecycle, live.trading_state) == ("live", TradingState.ACTIVE)
    assert state.level == "success"
    assert state.message == "trend is live: its orders go to the exchange venue from now on."
    assert state.live_totp == ""
    assert state.frame().iloc[0]["lifecycle"] == "live"
    assert state.go_live_blocked() and "live on the exchange venue already" in state.go_live_note()
    assert admin.strategies()[0].lifecycle == "live"
    entry = admin.audit(AuditFilter(action="strategies.go_live", limit=1))[0]
    assert (entry.actor, entry.subject, entry.outcome, entry.payload) == (
        "admin", "strategy:trend", AuditOutcome.OK, {"from": "paper", "to": "live"})


def test_go_live_when_live_strategy_halted_offers_resume_and_reactivates_it(
    log_in: Callable[[Role], ShellState], admin: Console, clock: SimulatedClock, trend: str
) -> None:
    on_paper(admin, trend)
    to_exchange(admin)
    state = page(log_in(Role.ADMIN), trend)
    secret = enrol(admin, clock)
    state.live_totp = totp_now(secret, clock.now())
    assert state.go_live() is not None
    state.halt_reason = "drill"
    state.halt()
    assert not state.go_live_blocked() and "live but HALTED" in state.go_live_note()

    clock.advance(30)
    state.live_totp = totp_now(secret, clock.now())
    resumed = state.go_live()

    assert resumed is not None and (resumed.lifecycle, resumed.trading_state) == ("live", TradingState.ACTIVE)
    assert state.frame().iloc[0]["trading"] == "ACTIVE" and state.go_live_blocked()


def test_go_live_when_totp_wrong_is_refused_audited_and_nothing_changes(
    log_in: Callable[[Role], ShellState], admin: Console, clock: SimulatedClock, trend: str
) -> None:
    on_paper(admin, trend)
    to_exchange(admin)
    state = page(log_in(Role.ADMIN), trend)
    enrol(admin, clock)

    state.live_totp = "000000"
    assert state.go_live() is None

    assert (state.level, state.message) == ("danger", "Refused: TOTP code is wrong or already used")
    assert state.live_totp == ""
    assert state.deployment is not None and state.deployment.lifecycle == "paper"
    assert admin.strategies()[0].lifecycle == "paper"
    entry = admin.audit(AuditFilter(action="strategies.go_live", limit=1))[0]
    assert (entry.actor, entry.outcome, entry.payload["error"]) == ("admin", AuditOutcome.DENIED, "InvalidTotp")


def test_go_live_when_paper_book_open_is_refused_with_console_reason_and_nothing_changes(
    log_in: Callable[[Role], ShellState], admin: Console, clock: SimulatedClock, trend: str
) -> None:
    on_paper(admin, trend)
    with admin.workspace.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", "50000", clock.now())
    bought = admin.submit_order("BTC/USDT", "buy", "0.1", strategy=trend)
    assert getattr(bought, "status", None) is OrderStatus.FILLED
    to_exchange(admin)
    state = page(log_in(Role.ADMIN), trend)
    secret = enrol(admin, clock)
    before = admin.verify_audit().entries

    state.live_totp = totp_now(secret, clock.now())
    assert state.go_live() is None

    assert state.level == "warning"
    assert state.message == ("strategy 'trend' cannot go live while its paper book is open (positions: BTC/USDT; "
                             "open orders: none): halt it and flatten on paper first")
    assert state.deployment is not None and state.deployment.lifecycle == "paper"
    assert admin.strategies()[0].lifecycle == "paper"
    assert admin.verify_audit().entries == before


def test_go_live_when_strategy_not_on_paper_is_blocked_explained_and_refused_by_console(
    log_in: Callable[[Role], ShellState], admin: Console, clock: SimulatedClock, trend: str
) -> None:
    admin.approve_strategy(trend)
    to_exchange(admin)
    state = page(log_in(Role.ADMIN))
    assert state.go_live_blocked() and "Select a strategy" in state.go_live_note()
    state.select(trend)
    secret = enrol(admin, clock)

    assert state.go_live_blocked()
    assert state.go_live_note() == "trend is approved: only a strategy trading on paper can go live."
    state.live_totp = totp_now(secret, clock.now())
    assert state.go_live() is None
    assert state.level == "warning"
    assert state.message == "strategy 'trend' is approved; strategies.go_live needs it paper or live"
    assert admin.strategies()[0].lifecycle == "approved"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TRADER])
def test_go_live_when_role_lacks_permission_offers_no_control_and_console_refuses(
    log_in: Callable[[Role], ShellState], admin: Console, trend: str, role: Role
) -> None:
    on_paper(admin, trend)
    to_exchange(admin)
    state = page(log_in(role), trend)

    assert not state.can_go_live
    state.live_totp = "123456"
    assert state.go_live() is None

    assert state.level == "danger" and f"role {role.value} may not strategies.go_live" in state.message
    assert admin.strategies()[0].lifecycle == "paper"
    entry = admin.audit(AuditFilter(action="strategies.go_live", limit=1))[0]
    assert (entry.actor, entry.outcome) == (f"{role.value.lower()}9", AuditOutcome.DENIED)


@pytest.mark.slow
def test_backtest_when_quant_runs_it_queues_job_then_shows_progress_equity_and_metrics(
    log_in: Callable[[Role], ShellState], admin: Console, trend: str
) -> None:
    state = page(log_in(Role.QUANT), trend)
    state.param.update(bars=300, fees=0.0005)

    job = state.run_backtest()

    assert job is not None and job.status == "queued" and job.requested_by == "quant9"
    assert job.params["strategy"] == "sma_cross" and job.params["params"] == "fast:5,slow:20"
    assert (job.params["name"], job.params["symbols"], job.params["periods"]) == ("trend", "BTC/USDT", 300)
    assert job.params["cash"] == 50_000.0 and job.params["commission"] == 0.0005
    assert state.poll() == 0 and state.run_record is None

    final = run(admin, job)
    assert final.status == "succeeded", final.error
    assert state.poll() == 1

    assert state.job is not None and state.job.status == "succeeded" and state.job.progress == 1.0
    assert state.run_record is not None and state.run_record.strategy == "trend"
    assert len(state.equity) == 300 and state.equity["equity"].iloc[0] == 50_000.0
    assert "total_return" in list(state.metrics["metric"]) and state.level == "success"


@pytest.mark.slow
def test_select_when_a_stress_job_ran_on_the_strategy_shows_its_scenarios(
    log_in: Callable[[Role], ShellState], admin: Console, trend: str
) -> None:
    other = admin.start_job("stress_test", {"scenarios": "covid_crash_2020"})
    job = admin.start_job("stress_test", {"scenarios": "covid_crash_2020,ftx_collapse_2022", "strategy": trend})
    assert run(admin, other).status == "succeeded"
    final = run(admin, job)
    assert final.status == "succeeded", final.error

    state = page(log_in(Role.VIEWER), trend)

    assert list(state.stress["scenario"]) == ["covid_crash_2020", "ftx_collapse_2022"]
    state.select("")
    assert state.stress.empty
