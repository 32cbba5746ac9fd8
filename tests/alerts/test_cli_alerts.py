"""``athena alerts`` run as an operator would: in subprocesses against a real workspace."""

from __future__ import annotations

import json

import pytest

from athena.testing.cli import CLI_PASSWORD, Run

PW = CLI_PASSWORD
RISK_PW = "Risk-Passw0rd-42"


@pytest.fixture
def risk_cli(athena: Run) -> Run:
    athena("init", "--admin-password-stdin", stdin=PW + "\n")
    athena("login", "admin", "--password-stdin", stdin=PW + "\n")
    athena("users", "add", "rita", "--role", "RISK", "--password-stdin", stdin=RISK_PW + "\n")
    athena("users", "add", "vic", "--role", "VIEWER", "--password-stdin", stdin=RISK_PW + "\n")
    athena("login", "rita", "--password-stdin", stdin=RISK_PW + "\n")
    return athena


def test_alerts_when_worked_from_cli_round_trip_with_timeline(risk_cli: Run) -> None:
    raised = json.loads(risk_cli("--json", "alerts", "raise", "critical", "feed:binance", "no ticks for 30 s").stdout)
    alert_id = str(raised["id"])
    listed = risk_cli("alerts", "list", "--status", "open").stdout
    assert "feed:binance" in listed and "critical" in listed

    assert "acknowledged; owner rita" in risk_cli("alerts", "ack", alert_id, "--note", "checking").stdout
    assert "assigned to vic" in risk_cli("alerts", "assign", alert_id, "vic").stdout
    assert f"alert {alert_id} resolved" in risk_cli("alerts", "resolve", alert_id, "--note", "feed back").stdout
    assert "comment added" in risk_cli("alerts", "comment", alert_id, "exchange maintenance").stdout

    shown = json.loads(risk_cli("--json", "alerts", "show", alert_id).stdout)
    assert (shown["status"], shown["owner"]) == ("resolved", "vic")
    assert [(e["kind"], e["actor"], e["note"]) for e in shown["events"]] == [
        ("raised", "rita", ""), ("acknowledged", "rita", "checking"), ("assigned", "rita", ""),
        ("resolved", "rita", "feed back"), ("commented", "rita", "exchange maintenance")]
    human = risk_cli("alerts", "show", alert_id).stdout
    assert "no ticks for 30 s" in human and "feed back" in human
    assert risk_cli("--json", "alerts", "list", "--status", "open").stdout.strip() == "[]"


def test_resolve_when_already_resolved_exits_2_with_reason(risk_cli: Run) -> None:
    alert_id = str(json.loads(risk_cli("--json", "alerts", "raise", "info", "x", "y").stdout)["id"])
    risk_cli("alerts", "resolve", alert_id)
    proc = risk_cli("alerts", "resolve", alert_id, ok=False)
    assert proc.returncode == 2
    assert f"cannot resolve alert {alert_id}: it is already resolved" in proc.stderr


def test_ack_when_viewer_exits_3(risk_cli: Run) -> None:
    alert_id = str(json.loads(risk_cli("--json", "alerts", "raise", "info", "x", "y").stdout)["id"])
    risk_cli("login", "vic", "--password-stdin", stdin=RISK_PW + "\n")
    proc = risk_cli("alerts", "ack", alert_id, ok=False)
    assert proc.returncode == 3
    assert "may not alerts.acknowledge" in proc.stderr
    assert "open" in risk_cli("alerts", "list").stdout
