"""The Risk control tower as an object: vitals against mandates, limits, the kill switch and its reset, stress."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pytest

from athena import stress
from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.execution import PaperVenue
from athena.execution.portfolio import DEFAULT_PAPER_CASH
from athena.model import AuditOutcome, OrderStatus, Role
from athena.runtime.engine import Engine
from athena.testing import ADMIN_PASSWORD, totp_now
from athena.ui.state import ShellState
from athena.ui.state import stress as stress_state
from athena.workspace import Workspace

FILL = Decimal(50000) * Decimal("1.0001")
CASH = DEFAULT_PAPER_CASH - FILL - FILL * Decimal("0.001")
MARKS = [50000, 50400, 49800, 50100, 49000, 49500, 50600, 50200, 49900, 50300, 48800, 49300, 49700]
SECOND_ADMIN, SECOND_PASSWORD = "ann", "Second-Admin-Passw0rd-2"


def mark(ws: Workspace, price: float | str) -> None:
    """Move the BTC/USDT mark as the engine's feed would."""
    with ws.store.write() as s:
        PaperVenue().set_mark(s, "BTC/USDT", str(price), ws.clock.now())


@pytest.fixture
def book(sqlite_workspace: Workspace, clock: SimulatedClock, admin: Console) -> list[int]:
    """Hold 1 BTC bought at 50,000 and write one engine snapshot per mark in MARKS, a second apart."""
    engine = Engine(sqlite_workspace)
    mark(sqlite_workspace, "50000")
    admin.submit_order("BTC/USDT", "buy", "1")
    for price in MARKS:
        clock.advance(1)
        mark(sqlite_workspace, price)
        engine.snapshot()
    return MARKS


def totp_for(console: Console, clock: SimulatedClock) -> str:
    """Enrol ``console``'s user in TOTP; return the secret."""
    secret = console.enroll_totp().secret
    console.confirm_totp(totp_now(secret, clock.now()))
    return secret


def test_refresh_when_book_and_limits_shows_vitals_with_levels(
    book: list[int], admin: Console, log_in: Callable[[Role], ShellState]
) -> None:
    admin.set_limit("global", "MAX_GROSS_LEVERAGE", warn="0.04", breach="0.1")
    admin.set_limit("global", "MAX_DRAWDOWN", warn="0.0005", breach="0.0008")
    admin.set_limit("global", "MAX_NET_EXPOSURE", warn="60000", breach="80000")
    state = log_in(Role.VIEWER).risk

    state.refresh()

    vitals = {row["name"]: row for row in state.vitals}
    nav, peak = CASH + book[-1], CASH + max(book)
    assert vitals["Gross leverage"]["value"] == pytest.approx(float(book[-1] / nav))
    assert vitals["Gross leverage"]["level"] == "WARN"
    assert vitals["Drawdown"]["value"] == pytest.approx(float(1 - nav / peak))
    assert vitals["Drawdown"]["level"] == "BREACH"
    assert (vitals["Net exposure"]["value"], vitals["Net exposure"]["level"]) == (book[-1], "OK")
    assert vitals["Daily loss"]["value"] == pytest.approx(book[0] - book[-1])
    assert vitals["Daily loss"]["level"] == "NO LIMIT"
    pnl = (np.array(book[1:]) / np.array(book[:-1]) - 1) * book[-1]
    for level, confidence in (("95", 0.95), ("99", 0.99)):
        cut = np.quantile(pnl, 1 - confidence)
        assert vitals[f"VaR {level}%"]["value"] == pytest.approx(-cut)
        assert vitals[f"CVaR {level}%"]["value"] == pytest.approx(-pnl[pnl <= cut].mean())
    assert state.var_method.startswith("historical simulation, 12 snapshot-to-snapshot mark returns")
    levels = dict(zip(state.mandates["kind"], state.mandates["level"], strict=True))
    assert levels == {"MAX_GROSS_LEVERAGE": "WARN", "MAX_DRAWDOWN": "BREACH", "MAX_NET_EXPOSURE": "OK"}


def test_refresh_when_few_snapshots_says_var_needs_more(log_in: Callable[[Role], ShellState]) -> None:
    state = log_in(Role.VIEWER).risk

    state.refresh()

    assert state.var_method == "historical simulation: the book is flat"
    assert {row["name"]: row["value"] for row in state.vitals}["VaR 99%"] is None


def test_set_limit_when_tightening_applies_it_at_once(admin: Console, log_in: Callable[[Role], ShellState]) -> None:
    state = log_in(Role.RISK).risk
    state.param.update(scope="global", kind="MAX_DRAWDOWN", warn="0.05", breach="0.1", action="REDUCE")

    assert state.set_limit() is None

    assert state.level == "success" and state.message == "Set global MAX_DRAWDOWN."
    limit = admin.limits("global")[0]
    assert (limit.breach, limit.warn, limit.action.value) == (Decimal("0.1"), Decimal("0.05"), "REDUCE")
    assert list(state.mandates["kind"]) == ["MAX_DRAWDOWN"]


def test_set_limit_when_loosening_requests_approval_and_shows_it_pending(
    admin: Console, clock: SimulatedClock
) -> None:
    admin.set_limit("global", "MAX_DRAWDOWN", breach="0.1")
    secret = totp_for(admin, clock)
    clock.advance(30)
    state = ShellState(admin.workspace)
    state.session.param.update(username="admin", password=ADMIN_PASSWORD, totp=totp_now(secret, clock.now()))
    assert state.session.login()
    clock.advance(30)
    risk = state.risk
    risk.param.update(kind="MAX_DRAWDOWN", breach="0.2", limit_totp=totp_now(secret, clock.now()))

    approval = risk.set_limit()

    assert approval is not None and approval.action == "mandate.loosen"
    assert "approval #" in risk.message and "pending" in risk.message
    assert [a.id for a in risk.approvals] == [approval.id]
    assert admin.limits("global")[0].breach == Decimal("0.1")


def test_engage_when_risk_confirms_with_reason_halts_and_cancels_orders(
    sqlite_workspace: Workspace, admin: Console, log_in: Callable[[Role], ShellState]
) -> None:
    mark(sqlite_workspace, "50000")
    resting = [admin.submit_order("BTC/USDT", "buy", "0.1", type="limit", price=p) for p in ("100", "200")]
    assert all(o.status is OrderStatus.OPEN for o in resting)  # type: ignore[union-attr]
    shell = log_in(Role.RISK)
    state = shell.risk
    assert state.can_engage and not state.can_reset

    state.arm()
    assert state.armed
    state.kill_reason = "  "
    assert state.engage() is None and state.level == "warning"
    state.kill_reason = "runaway fills"
    cancelled = state.engage()

    assert cancelled == 2
    assert state.trading_state == "HALTED" and not state.armed
    assert "2 open orders cancelled" in state.message
    assert admin.orders(open_only=True) == []
    shell.read_status()
    assert shell.status["trading_state"] == "HALTED"
    entry = admin.audit(AuditFilter(action="killswitch.engage", limit=1))[0]
    assert (entry.actor, entry.payload["reason"]) == ("risk9", "runaway fills")


def test_engage_when_not_armed_does_nothing(admin: Console, log_in: Callable[[Role], ShellState]) -> None:
    state = log_in(Role.RISK).risk
    state.kill_reason = "no confirmation"

    assert state.engage() is None

    assert state.level == "warning"
    assert admin.trading_states()["global"].value == "ACTIVE"


def test_engage_when_trader_tries_is_refused_and_audited(
    admin: Console, log_in: Callable[[Role], ShellState]
) -> None:
    state = log_in(Role.TRADER).risk
    assert not state.can_engage
    state.arm()
    state.kill_reason = "not mine to pull"

    assert state.engage() is None

    assert state.level == "danger" and state.message.startswith("Refused")
    assert state.trading_state == "ACTIVE"
    denied = admin.audit(AuditFilter(action="killswitch.engage", limit=1))[0]
    assert (denied.actor, denied.outcome) == ("trader9", AuditOutcome.DENIED)


def test_reset_when_admin_requests_and_second_admin_approves_reactivates(
    sqlite_workspace: Workspace, admin: Console, clock: SimulatedClock
) -> None:
    admin.add_user(SECOND_ADMIN, Role.ADMIN, SECOND_PASSWORD)
    second = sqlite_workspace.login(SECOND_ADMIN, SECOND_PASSWORD)
    secrets = {"admin": totp_for(admin, clock), SECOND_ADMIN: totp_for(second, clock)}
    admin.engage_kill_switch("drill")
    tabs = {}
    for name, password in (("admin", ADMIN_PASSWORD), (SECOND_ADMIN, SECOND_PASSWORD)):
        clock.advance(30)
        tabs[name] = ShellState(sqlite_workspace)
        tabs[name].session.param.update(username=name, password=password, totp=totp_now(secrets[name], clock.now()))
        assert tabs[name].session.login(), tabs[name].session.message
    first, other = tabs["admin"].risk, tabs[SECOND_ADMIN].risk
    clock.advance(30)

    first.reset_totp = totp_now(secrets["admin"], clock.now())
    request = first.request_reset()
    assert request is not None and "a second ADMIN must approve" in first.message
    first.approve_totp = totp_now(secrets["admin"], clock.now())
    assert first.approve() is None and "requested approval" in first.message  # no self-approval
    other.refresh()
    assert other.trading_state == "HALTED"
    assert other.selected_approval == request.id
    clock.advance(30)
    other.approve_totp = totp_now(secrets[SECOND_ADMIN], clock.now())
    decided = other.approve()

    assert decided is not None and decided.action == "killswitch.reset"
    assert other.trading_state == "ACTIVE" and other.approvals == []
    assert admin.trading_states()["global"].value == "ACTIVE"


def test_request_reset_when_totp_wrong_is_refused(
    sqlite_workspace: Workspace, admin: Console, clock: SimulatedClock, log_in: Callable[[Role], ShellState]
) -> None:
    admin.engage_kill_switch("drill")
    state = log_in(Role.ADMIN).risk
    totp_for(admin, clock)
    state.reset_totp = "000000"

    assert state.request_reset() is None

    assert state.level == "danger" and "TOTP" in state.message
    assert state.approvals == []


def test_run_scenario_when_book_held_runs_in_a_thread_and_shows_impact(
    book: list[int], log_in: Callable[[Role], ShellState], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = log_in(Role.VIEWER).risk
    state.refresh()
    assert state.stress.summary["worst_scenario"] in stress.library()
    release = threading.Event()
    real = stress_state._impact

    def held(name: str, portfolio: stress.Portfolio) -> stress.Impact:
        release.wait(10)
        return real(name, portfolio)

    monkeypatch.setattr(stress_state, "_impact", held)
    name = sorted(stress.library())[0]
    state.stress.scenario = name

    state.run_scenario()
    state.poll()
    assert state.stress.busy and state.stress.impact.empty  # the page keeps polling while it runs
    state.run_scenario()
    assert state.stress.outcome == "A scenario is already running."
    release.set()
    assert state.stress.wait()

    scenario = stress.get(name)
    shock = scenario.shock_for("BTC/USDT") or 0.0
    after = book[-1] * (1 + shock)
    cost = after * (scenario.spread_bps / 2 + scenario.slippage_bps) / 10_000
    row = state.stress.impact.iloc[0]
    assert not state.stress.busy
    assert (row["symbol"], row["shock"]) == ("BTC/USDT", shock)
    assert row["pnl"] == pytest.approx(after - book[-1] - cost)
    assert state.stress.outcome.startswith(f"{name}: PnL")


def test_poll_when_nothing_changed_leaves_tables_untouched(
    book: list[int], admin: Console, log_in: Callable[[Role], ShellState]
) -> None:
    admin.set_limit("global", "MAX_DRAWDOWN", breach="0.1")
    admin.engage_kill_switch("drill")
    state = log_in(Role.VIEWER).risk
    state.refresh()
    redrawn: list[str] = []
    state.param.watch(lambda e: redrawn.append(e.name), ["mandates", "approvals", "vitals", "trading_state"])
    state.stress.param.watch(lambda e: redrawn.append(e.name), ["summary"])

    state.poll()
    state.poll()

    assert redrawn == []
    assert len(state.mandates) == 1 and state.trading_state == "HALTED"


def test_run_scenario_when_it_crashes_frees_the_page_and_says_so(
    book: list[int], log_in: Callable[[Role], ShellState], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = log_in(Role.VIEWER).risk
    state.refresh()

    def broken(name: str, portfolio: stress.Portfolio) -> stress.Impact:
        raise RuntimeError("bug in a scenario")

    monkeypatch.setattr(stress_state, "_impact", broken)
    state.run_scenario()
    with pytest.raises(RuntimeError, match="bug in a scenario"):
        state.stress.wait()
    assert not state.stress.busy and "internal error" in state.stress.outcome
    state.run_scenario()
    assert state.stress.busy, "a crashed run must not block the next one"
    with pytest.raises(RuntimeError):
        state.stress.wait()


def test_refresh_when_engine_published_var_shows_it_against_max_var(
    book: list[int], sqlite_workspace: Workspace, clock: SimulatedClock, admin: Console,
    log_in: Callable[[Role], ShellState],
) -> None:
    state = log_in(Role.VIEWER).risk
    state.refresh()
    assert {row["name"]: row["value"] for row in state.vitals}["Engine VaR 99% 1d"] is None
    assert "BTC/USDT has 11 snapshot returns, 100 needed" in state.engine_var_method
    engine = Engine(sqlite_workspace)
    more = [50000 + 300 * ((k * 7) % 11 - 5) for k in range(100)]
    for price in more:
        clock.advance(1)
        mark(sqlite_workspace, price)
        engine.snapshot()
    admin.set_limit("global", "MAX_VAR", warn="1000", breach="2000")

    state.refresh()

    marks = np.array(book + more[:-1], dtype=np.float64)
    returns = marks[1:] / marks[:-1] - 1
    pnl = returns * more[-1]  # 1 BTC at the last mark
    cut = np.quantile(pnl, 0.01)
    day = np.sqrt(86_400)
    vitals = {row["name"]: row for row in state.vitals}
    assert vitals["Engine VaR 99% 1d"]["value"] == pytest.approx(-cut * day)
    assert vitals["Engine CVaR 99% 1d"]["value"] == pytest.approx(-pnl[pnl <= cut].mean() * day)
    assert vitals["Engine VaR 99% 1d"]["level"] == "BREACH" and vitals["Engine VaR 99% 1d"]["breach"] == 2000
    assert state.engine_var_method.startswith("historical simulation, 99%, 1d (square root of time), 111 snapshot")


def test_refresh_when_max_var_limit_lacks_history_labels_it_no_history_with_the_reason(
    book: list[int], admin: Console, log_in: Callable[[Role], ShellState]
) -> None:
    admin.set_limit("global", "MAX_VAR", warn="1000", breach="2000")
    admin.set_limit("strategy:trend", "MAX_VAR", breach="500")
    state = log_in(Role.VIEWER).risk

    state.refresh()

    engine_var = {row["name"]: row for row in state.vitals}["Engine VaR 99% 1d"]
    assert (engine_var["value"], engine_var["level"]) == (None, "no history")
    assert "BTC/USDT has 11 snapshot returns, 100 needed" in engine_var["reason"]
    rows = {row["scope"]: row for row in state.mandates.to_dict("records")}
    assert rows["global"]["level"] == "no history" and np.isnan(rows["global"]["value"])
    assert "BTC/USDT has 11 snapshot returns, 100 needed" in rows["global"]["reason"]
    assert (rows["strategy:trend"]["level"], rows["strategy:trend"]["reason"]) == ("OK", "")  # flat: VaR 0
    assert {row["name"]: row for row in state.vitals}["Drawdown"]["reason"] == ""
