"""The Panel views as objects: what each role sees, and that buttons drive the state and Console."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import panel as pn
import pytest

from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.console import Console
from athena.execution.venue_credentials import Credentials
from athena.model import Role
from athena.testing import ADMIN_PASSWORD, totp_now
from athena.ui import ControlPlane
from athena.workspace import Workspace

VIEWER_PASSWORD = "Viewer-Passw0rd-1"


@pytest.fixture
def plane(sqlite_workspace: Workspace, admin: Console) -> Iterator[ControlPlane]:
    """Return a control plane on the test workspace with a VIEWER account, logged out."""
    admin.add_user("vera", Role.VIEWER, VIEWER_PASSWORD)
    yield ControlPlane(sqlite_workspace)


def widgets(plane: ControlPlane, kind: type[Any]) -> list[Any]:
    """Return every widget of ``kind`` currently on the page."""
    return list(plane.__panel__().select(kind))


def button(plane: ControlPlane, name: str) -> pn.widgets.Button:
    """Return the one button labelled ``name``."""
    found = [b for b in widgets(plane, pn.widgets.Button) if b.label == name]
    assert len(found) == 1, f"{len(found)} buttons named {name!r}"
    return found[0]


def press(plane: ControlPlane, name: str) -> None:
    """Click the button labelled ``name``."""
    button(plane, name).clicks += 1


def log_in(plane: ControlPlane, username: str, password: str) -> None:
    """Fill the login form and press Sign in."""
    fields = {w.label: w for w in widgets(plane, pn.widgets.TextInput) + widgets(plane, pn.widgets.PasswordInput)}
    fields["Username"].value = username
    fields["Password"].value = password
    press(plane, "Sign in")


def test_control_plane_when_logged_out_shows_only_login(plane: ControlPlane) -> None:
    names = {b.label for b in widgets(plane, pn.widgets.Button)}

    assert names == {"Sign in"}
    totp = [w for w in widgets(plane, pn.widgets.TextInput) if w.label == "TOTP code"]
    assert totp and not totp[0].visible


def test_sign_in_when_admin_shows_every_page_and_header(plane: ControlPlane) -> None:
    log_in(plane, "admin", ADMIN_PASSWORD)

    nav = widgets(plane, pn.widgets.RadioButtonGroup)[0]
    assert list(nav.options) == [
        "Command center", "Execution", "Market data", "Risk", "Strategies", "Runs", "Jobs", "Alerts",
        "Audit log", "Users"]
    header = plane._status_html(plane.state.status, plane.state.online)
    assert "admin" in header and "ADMIN" in header and "ONLINE" in header and "PAPER" in header


def test_sign_in_when_viewer_hides_users_page_and_admin_controls(plane: ControlPlane) -> None:
    log_in(plane, "vera", VIEWER_PASSWORD)

    nav = widgets(plane, pn.widgets.RadioButtonGroup)[0]
    assert list(nav.options) == [
        "Command center", "Execution", "Market data", "Risk", "Strategies", "Runs", "Jobs", "Alerts",
        "Audit log"]
    with pytest.raises(ValueError):
        plane.state.page = "Users"
    names = {b.label for b in widgets(plane, pn.widgets.Button)}
    assert "Log out" in names and not names & {"Add user", "Disable", "Approve"}


def test_sign_in_when_password_wrong_shows_message_on_login_page(plane: ControlPlane) -> None:
    log_in(plane, "admin", "not-the-password-1")

    assert plane.state.session.console is None
    html = [p.object for p in widgets(plane, pn.pane.HTML) if "role=\"status\"" in str(p.object)]
    assert html and "invalid username or password" in html[0].lower()


def test_audit_page_when_row_selected_shows_details_and_verify_button_works(plane: ControlPlane) -> None:
    log_in(plane, "admin", ADMIN_PASSWORD)
    plane.state.page = "Audit log"
    table = next(t for t in widgets(plane, pn.widgets.Tabulator) if "seq" in t.value.columns)

    table.selection = [len(table.value) - 1]
    press(plane, "Verify chain")

    assert plane.state.audit.selected_seq == 1
    details = " ".join(str(p.object) for p in widgets(plane, pn.pane.HTML))
    assert "Entry #1" in details and "previous hash" in details and "workspace_id" in details
    assert plane.state.audit.verify_report is not None and plane.state.audit.verify_report.ok


def test_audit_page_when_entry_appended_elsewhere_table_grows_on_poll(plane: ControlPlane, admin: Console) -> None:
    log_in(plane, "vera", VIEWER_PASSWORD)
    plane.state.page = "Audit log"
    table = next(t for t in widgets(plane, pn.widgets.Tabulator) if "seq" in t.value.columns)
    rows = len(table.value)

    admin.add_user("from-cli", Role.QUANT)
    plane.state.poll()

    assert len(table.value) == rows + 1
    assert table.value.iloc[0]["subject"] == "user:from-cli"


def test_users_page_when_add_pressed_creates_account_through_console(plane: ControlPlane, admin: Console) -> None:
    log_in(plane, "admin", ADMIN_PASSWORD)
    plane.state.page = "Users"
    fields = {w.label: w for w in widgets(plane, pn.widgets.TextInput)}

    fields["Username"].value = "newbie"
    press(plane, "Add user")

    assert "newbie" in {u.username for u in admin.list_users()}
    assert admin.audit(AuditFilter(action="users.add", limit=1))[0].actor == "admin"
    table = next(t for t in widgets(plane, pn.widgets.Tabulator) if "username" in t.value.columns)
    assert "newbie" in set(table.value["username"])


def test_users_page_when_enrol_pressed_shows_qr(plane: ControlPlane) -> None:
    log_in(plane, "admin", ADMIN_PASSWORD)
    plane.state.page = "Users"
    table = next(t for t in widgets(plane, pn.widgets.Tabulator) if "username" in t.value.columns)

    table.selection = [list(table.value["username"]).index("vera")]
    press(plane, "Enrol TOTP")

    qr = [p.object for p in widgets(plane, pn.pane.HTML) if "<svg" in str(p.object)]
    assert qr and "otpauth://totp/" in qr[0]


def test_log_out_when_pressed_returns_to_login(plane: ControlPlane, admin: Console) -> None:
    log_in(plane, "admin", ADMIN_PASSWORD)

    press(plane, "Log out")

    assert {b.label for b in widgets(plane, pn.widgets.Button)} == {"Sign in"}
    assert admin.audit(AuditFilter(action="auth.logout", limit=1))[0].actor == "admin"


def test_control_plane_when_workspace_missing_explains(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_HOME", str(tmp_path / "nowhere"))

    plane = ControlPlane()

    assert "athena init" in plane.problem
    assert not widgets(plane, pn.widgets.Button)


def test_risk_page_when_viewer_shows_figures_without_controls(plane: ControlPlane) -> None:
    log_in(plane, "vera", VIEWER_PASSWORD)

    plane.state.page = "Risk"

    names = {b.label for b in widgets(plane, pn.widgets.Button)}
    assert "Run scenario" in names
    assert not names & {"ENGAGE KILL SWITCH", "Confirm engage", "Request reset", "Approve request", "Set limit"}


def test_engage_buttons_when_risk_confirms_with_reason_halt_trading(plane: ControlPlane, admin: Console) -> None:
    admin.add_user("rita", Role.RISK, VIEWER_PASSWORD)
    log_in(plane, "rita", VIEWER_PASSWORD)
    plane.state.page = "Risk"
    confirm_row = [r for r in widgets(plane, pn.Row) if any(
        isinstance(w, pn.widgets.Button) and w.label == "Confirm engage" for w in r.objects)][0]
    assert not confirm_row.visible

    press(plane, "ENGAGE KILL SWITCH")
    assert confirm_row.visible
    reason = [w for w in widgets(plane, pn.widgets.TextInput) if w.placeholder == "why trading must stop"][0]
    reason.value = "view drill"
    press(plane, "Confirm engage")

    assert admin.trading_states()["global"].value == "HALTED"
    plane.state.read_status()
    assert "HALTED" in plane._status_html(plane.state.status, plane.state.online)
    assert not confirm_row.visible


def strategies_table(plane: ControlPlane) -> pn.widgets.Tabulator:
    """Return the Strategies page's registry table."""
    return next(t for t in widgets(plane, pn.widgets.Tabulator) if "lifecycle" in t.value.columns)


def test_go_live_button_when_admin_is_enabled_only_for_a_paper_strategy_and_moves_it_live(
    plane: ControlPlane, admin: Console, clock: SimulatedClock
) -> None:
    for name in ("fresh", "trend"):
        admin.register_strategy(name, "sma_cross", ["BTC/USDT"])
    admin.approve_strategy("trend")
    admin.activate_strategy("trend")
    admin.set_venue("binance", symbols=["BTC/USDT"], credentials=Credentials("key", "secret"))
    log_in(plane, "admin", ADMIN_PASSWORD)
    secret = admin.enroll_totp().secret
    admin.confirm_totp(totp_now(secret, clock.now()))
    clock.advance(30)
    plane.state.page = "Strategies"
    table = strategies_table(plane)
    assert button(plane, "Go live").disabled

    table.selection = [list(table.value["name"]).index("fresh")]
    assert button(plane, "Go live").disabled
    notes = " ".join(str(p.object) for p in widgets(plane, pn.pane.HTML))
    assert "fresh is registered: only a strategy trading on paper can go live" in notes
    table.selection = [list(table.value["name"]).index("trend")]
    assert not button(plane, "Go live").disabled
    code = next(w for w in widgets(plane, pn.widgets.TextInput) if w.placeholder == "code to go live")
    code.value = totp_now(secret, clock.now())
    press(plane, "Go live")

    assert {d.name: d.lifecycle for d in admin.strategies()} == {"fresh": "registered", "trend": "live"}
    table = strategies_table(plane)
    assert table.value.set_index("name").loc["trend", "lifecycle"] == "live"
    assert button(plane, "Go live").disabled and code.value == ""


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TRADER])
def test_strategies_page_when_role_may_not_go_live_shows_no_go_live_control(
    plane: ControlPlane, admin: Console, role: Role
) -> None:
    admin.register_strategy("trend", "sma_cross", ["BTC/USDT"])
    admin.approve_strategy("trend")
    admin.activate_strategy("trend")
    username = "vera" if role is Role.VIEWER else "tom"
    if role is not Role.VIEWER:
        admin.add_user(username, role, VIEWER_PASSWORD)
    log_in(plane, username, VIEWER_PASSWORD)
    plane.state.page = "Strategies"
    table = strategies_table(plane)
    table.selection = [0]

    assert "Approve" in {b.label for b in widgets(plane, pn.widgets.Button)}
    assert "Go live" not in {b.label for b in widgets(plane, pn.widgets.Button)}
    assert not [w for w in widgets(plane, pn.widgets.TextInput) if w.placeholder == "code to go live"]
