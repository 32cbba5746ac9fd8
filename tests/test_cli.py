"""The ``athena`` command, run as a user would: in subprocesses against a real workspace."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from pathlib import Path

import pyotp

from athena.testing.cli import CLI_PASSWORD, Run

PW = CLI_PASSWORD
OPS_PW = "Second-Passw0rd-8"


def next_code(secret: str) -> str:
    """Return the code of the next 30 s step: the current one was spent confirming enrolment."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_init_when_run_twice_prints_password_once(athena: Run, tmp_path: Path) -> None:
    first = athena("--json", "init")
    data = json.loads(first.stdout)
    assert data["created"] and len(data["password"]) >= 12
    second = athena("init")
    assert "already initialised" in second.stdout
    key = tmp_path / "ws" / "secret.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    athena("login", "admin", "--password-stdin", stdin=data["password"] + "\n")
    assert "admin (ADMIN)" in athena("whoami").stdout


def test_command_when_workspace_missing_says_run_init(athena: Run) -> None:
    proc = athena("status", ok=False)
    assert proc.returncode == 1
    assert "run `athena init`" in proc.stderr


def test_login_when_password_wrong_exits_3(admin_cli: Run) -> None:
    proc = admin_cli("login", "admin", "--password-stdin", stdin="nope\n", ok=False)
    assert proc.returncode == 3
    assert "invalid username or password" in proc.stderr


def test_users_when_managed_from_cli_round_trip(admin_cli: Run) -> None:
    added = json.loads(admin_cli("--json", "users", "add", "vic", "--role", "viewer").stdout)
    assert added["user"]["role"] == "VIEWER" and added["password"]
    admin_cli("users", "disable", "vic")
    listed = json.loads(admin_cli("--json", "users", "list").stdout)
    assert {(u["username"], u["disabled"]) for u in listed} == {("admin", False), ("vic", True)}
    admin_cli("users", "enable", "vic")
    admin_cli("users", "set-role", "vic", "quant")
    reset = json.loads(admin_cli("--json", "users", "reset-password", "vic").stdout)
    admin_cli("login", "vic", "--password-stdin", stdin=reset["password"] + "\n")
    assert "vic (QUANT)" in admin_cli("whoami").stdout


def test_users_when_bad_input_exits_2_with_reason(admin_cli: Run) -> None:
    proc = admin_cli("users", "add", "bob", "--role", "boss", ok=False)
    assert proc.returncode == 2 and "unknown role 'boss'" in proc.stderr
    proc = admin_cli("users", "add", "bob", "--role", "viewer", "--password-stdin", stdin="weak\n", ok=False)
    assert proc.returncode == 2 and "the rule is at least 12 characters" in proc.stderr


def test_viewer_when_writing_exits_3_and_is_audited(admin_cli: Run) -> None:
    admin_cli("users", "add", "vic", "--role", "viewer", "--password-stdin", stdin=PW + "\n")
    admin_cli("login", "vic", "--password-stdin", stdin=PW + "\n")
    proc = admin_cli("users", "add", "eve", "--role", "admin", ok=False)
    assert proc.returncode == 3 and "role VIEWER may not users.add" in proc.stderr
    rows = json.loads(admin_cli("--json", "audit", "list", "--outcome", "denied").stdout)
    assert (rows[0]["actor"], rows[0]["action"]) == ("vic", "users.add")


def test_roles_when_printed_shows_matrix(athena: Run) -> None:
    athena("init")
    out = athena("users", "roles").stdout
    assert "killswitch.reset *" in out and "PERMISSION" in out
    matrix = json.loads(athena("--json", "users", "roles").stdout)
    assert "users.manage" not in matrix["VIEWER"] and "users.manage" in matrix["ADMIN"]


def test_live_mode_when_two_admins_approve_with_totp(admin_cli: Run) -> None:
    first = json.loads(admin_cli("--json", "users", "enroll-totp").stdout)
    admin_cli("users", "enroll-totp", "--confirm", pyotp.TOTP(first["secret"]).now())
    admin_cli("users", "add", "ops", "--role", "admin", "--password-stdin", stdin=OPS_PW + "\n")
    req = admin_cli("--json", "mode", "set", "live", "--totp", next_code(first["secret"]))
    approval = json.loads(req.stdout)["id"]
    proc = admin_cli("approvals", "approve", str(approval), "--totp", "000000", ok=False)
    assert proc.returncode == 3 and "different ADMIN" in proc.stderr
    admin_cli("login", "ops", "--password-stdin", stdin=OPS_PW + "\n")
    second = json.loads(admin_cli("--json", "users", "enroll-totp").stdout)
    admin_cli("users", "enroll-totp", "--confirm", pyotp.TOTP(second["secret"]).now())
    admin_cli("approvals", "approve", str(approval), "--totp", next_code(second["secret"]))
    assert "trading mode: live" in admin_cli("mode").stdout
    pending = json.loads(admin_cli("--json", "approvals", "list", "--status", "approved").stdout)
    assert [a["decided_by"] for a in pending] == ["ops"]


def test_audit_when_exported_and_verified_matches_ledger(admin_cli: Run, tmp_path: Path) -> None:
    admin_cli("users", "add", "qa", "--role", "quant")
    out = tmp_path / "audit.csv"
    admin_cli("audit", "export", "--format", "csv", "-o", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["action"] for r in rows] == ["workspace.init", "auth.login", "users.add"]
    lines = admin_cli("audit", "export", "--format", "jsonl", "--action", "users.*").stdout.splitlines()
    assert [json.loads(line)["subject"] for line in lines] == ["user:qa"]
    verified = admin_cli("audit", "verify")
    assert "audit chain OK" in verified.stdout


def test_audit_verify_when_entry_edited_exits_4_naming_it(admin_cli: Run, tmp_path: Path) -> None:
    admin_cli("users", "add", "qa", "--role", "quant")
    db = sqlite3.connect(tmp_path / "ws" / "athena.db")
    with db:
        db.execute("DROP TRIGGER audit_ledger_no_update")
        db.execute("UPDATE audit_ledger SET actor = 'someone-else' WHERE seq = 2")
    db.close()
    proc = admin_cli("audit", "verify", ok=False)
    assert proc.returncode == 4
    assert "BROKEN at sequence 2" in proc.stdout


def test_events_tail_when_after_given_prints_newer_only(admin_cli: Run) -> None:
    events = [json.loads(line) for line in admin_cli("--json", "events", "tail").stdout.splitlines()]
    assert [e["type"] for e in events] == ["WorkspaceInitialised", "UserLoggedIn"]
    admin_cli("users", "add", "qa", "--role", "quant")
    newer = admin_cli("events", "tail", "--after", str(events[-1]["id"])).stdout
    assert "UserAdded" in newer and "UserLoggedIn" not in newer


def test_logout_when_done_needs_login_again(admin_cli: Run) -> None:
    admin_cli("logout")
    proc = admin_cli("whoami", ok=False)
    assert proc.returncode == 1 and "not logged in" in proc.stderr


def test_orders_and_kill_switch_when_driven_from_cli_round_trip(admin_cli: Run) -> None:
    sent = json.loads(admin_cli("--json", "orders", "send", "buy", "0.01", "BTC/USDT", "--type", "limit",
                                "--price", "20000", "--client-order-id", "cli-1").stdout)
    assert (sent["status"], sent["client_order_id"]) == ("open", "cli-1")
    denied = admin_cli("orders", "send", "buy", "1", "DOGE/USDT", ok=False)
    assert denied.returncode == 3 and "DENIED UNKNOWN_SYMBOL" in denied.stdout
    bad = admin_cli("orders", "send", "--", "buy", "-1", "BTC/USDT", ok=False)
    assert bad.returncode == 2 and "quantity must be > 0, was -1" in bad.stderr
    assert "ENGAGED; 1 open orders cancelled" in admin_cli("kill-switch", "engage", "--reason", "drill").stdout
    assert "global  HALTED" in admin_cli("kill-switch", "status").stdout
    listed = json.loads(admin_cli("--json", "orders", "list").stdout)
    assert [o["status"] for o in listed] == ["denied", "cancelled"]
    halted = admin_cli("orders", "send", "buy", "0.01", "BTC/USDT", ok=False)
    assert halted.returncode == 3 and "TRADING_HALTED" in halted.stdout


def test_positions_flatten_when_kill_switch_engaged_closes_from_cli(admin_cli: Run) -> None:
    admin_cli("engine", "--ticks", "2", "--tick", "0.01")
    admin_cli("orders", "send", "buy", "0.02", "BTC/USDT")
    assert json.loads(admin_cli("--json", "positions").stdout) == {"BTC/USDT": "0.02"}
    admin_cli("kill-switch", "engage", "--reason", "drill")
    missing = admin_cli("positions", "flatten", "--symbol", "ETH/USDT", "--reason", "x", ok=False)
    assert missing.returncode == 2 and "no open position in 'ETH/USDT'" in missing.stderr
    done = admin_cli("positions", "flatten", "--reason", "halted: close out").stdout
    assert "sell 0.02 BTC/USDT filled" in done
    assert json.loads(admin_cli("--json", "positions").stdout) == {}


def test_research_when_run_from_cli_is_recorded_and_listed(admin_cli: Run, tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    admin_cli("data", "synthetic", "--periods", "600", "--timeframe", "1h", "--seed", "3", "-o", str(data))
    assert "ok: 600 bars of SYN, 0 gaps" in admin_cli("data", "check", str(data)).stdout
    first = json.loads(admin_cli("--json", "backtest", "-s", "sma_cross", "-p", "fast=5", "-p", "slow=20",
                                 "--data", str(data), "--commission", "0.001").stdout)
    again = json.loads(admin_cli("--json", "backtest", "-s", "sma_cross", "-p", "fast=5", "-p", "slow=20",
                                 "--data", str(data), "--commission", "0.001").stdout)
    assert first["metrics"] == again["metrics"] and first["config_hash"] == again["config_hash"]
    swept = json.loads(admin_cli("--json", "sweep", "-s", "sma_cross", "--data", str(data),
                                 "-g", "fast=5:10:5", "-g", "slow=20,30").stdout)
    assert len(swept["top"]) == 4
    listed = json.loads(admin_cli("--json", "runs", "list").stdout)
    assert [r["kind"] for r in listed] == ["sweep", "backtest", "backtest"]
    shown = json.loads(admin_cli("--json", "runs", "show", first["run_id"][:8]).stdout)
    assert shown["data_fingerprint"] == first["data_fingerprint"]
    zero = admin_cli("sweep", "-s", "sma_cross", "--data", str(data), "-g", "fast=5:10:0", ok=False)
    assert zero.returncode == 2 and "STEP must be > 0" in zero.stderr
    bad = admin_cli("backtest", "-s", "sma_cross", "-p", "fast=30", "-p", "slow=10", "--data", str(data), ok=False)
    assert bad.returncode == 2 and "fast must be < slow, was fast=30 slow=10" in bad.stderr
    assert len(json.loads(admin_cli("--json", "runs", "list").stdout)) == 3
