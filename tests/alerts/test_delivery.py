"""Queued, asynchronous alert notifications against real local receivers, on SQLite and PostgreSQL.

Raising an alert never waits on a webhook or mail server; a sender delivers later, records every
attempt, retries a dead receiver with backoff (on the simulated clock), gives up after the
configured attempts, and sends each notification once even when two senders race.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from athena.alerts import AlertSender, DeliveryStatus, EventKind, retry_at
from athena.audit import AuditFilter
from athena.clock import SimulatedClock
from athena.config import AlertSettings, Settings
from athena.console import Console
from athena.errors import InvalidConfig, PermissionDenied
from athena.model import Role
from athena.testing import ADMIN_PASSWORD
from athena.testing.workspaces import TEST_SECURITY
from athena.workspace import Workspace
from tests.alerts.conftest import Hook, Mailbox, free_port, serve_hook

Open = Callable[..., Workspace]


@pytest.fixture
def open_ws(tmp_path: Path, db_url: str, clock: SimulatedClock) -> Iterator[Open]:
    """Return a function that initialises a workspace (each backend) with the given alert settings."""
    made: list[Workspace] = []

    def make(**alerts: object) -> Workspace:
        settings = Settings.from_env(tmp_path / "ws", db_url, security=TEST_SECURITY,
                                     alerts=AlertSettings.model_validate(alerts))
        ws, _ = Workspace.init(settings, admin_password=ADMIN_PASSWORD, clock=clock)
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.close()


def _actions(console: Console, action: str) -> list[dict[str, Any]]:
    return [e.payload for e in console.audit(AuditFilter(action=action, newest_first=False))]


def test_raise_when_webhook_hangs_returns_at_once_and_queues_the_delivery(open_ws: Open, hung_url: str) -> None:
    ws = open_ws(webhook_url=hung_url, timeout_s=3)
    bot = ws.system("risk-monitor")

    started = time.monotonic()
    alert = bot.raise_alert("critical", "engine", "feed stalled")
    took = time.monotonic() - started

    assert took < 1.0, f"raising waited {took:.2f} s on a receiver that never answers (timeout 3 s)"
    assert [e.kind for e in alert.events] == [EventKind.RAISED]
    (queued,) = bot.alert_deliveries(alert.id)
    assert (queued.channel, queued.status, queued.attempts) == ("webhook", DeliveryStatus.PENDING, 0)
    assert _actions(bot, "alerts.raise")[0]["notify"] == ["webhook"]


def test_deliver_when_receiver_dead_then_back_retries_after_backoff_and_delivers_once(
    open_ws: Open, clock: SimulatedClock
) -> None:
    port = free_port()
    ws = open_ws(webhook_url=f"http://127.0.0.1:{port}/alerts", timeout_s=1, retry_s=2)
    bot = ws.system("alert-sender")
    alert = ws.system("risk-monitor").raise_alert("critical", "engine", "feed stalled")

    assert bot.deliver_alerts() == 1
    (failed,) = bot.alert_deliveries(alert.id)
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 1)
    assert failed.next_at == retry_at(clock.now(), 1, 2) == clock.now() + timedelta(seconds=2)
    assert "Connection refused" in failed.last_error
    assert bot.deliver_alerts() == 0, "retried before its backoff"

    clock.advance(2)
    with serve_hook(port) as hook:
        assert bot.deliver_alerts() == 1
        clock.advance(3600)
        assert bot.deliver_alerts() == 0

    assert len(hook.requests) == 1
    headers, _ = hook.requests[0]
    assert headers["X-Athena-Delivery"] == f"athena-alert-{alert.id}-delivery-{failed.id}"
    assert hook.json()["alert"]["id"] == alert.id
    (sent,) = bot.alert_deliveries(alert.id)
    assert (sent.status, sent.attempts, sent.last_error) == (DeliveryStatus.SENT, 2, "")
    steps = bot.alert(alert.id).events
    assert [(e.kind, e.actor, e.detail.get("attempt")) for e in steps] == [
        (EventKind.RAISED, "system:risk-monitor", None),
        (EventKind.NOTIFY_FAILED, "system:alert-sender", 1),
        (EventKind.NOTIFIED, "system:alert-sender", 2),
    ]
    assert "attempt 1 of 5; retry at 09:30:02 UTC" in steps[1].note and steps[2].note == "HTTP 204"
    assert [p["status"] for p in _actions(bot, "alerts.notify")] == ["pending", "sent"]
    assert [[d["attempt"] for d in p["deliveries"]] for p in _actions(bot, "alerts.deliver")] == [[1], [2]]
    assert bot.verify_audit().ok


def test_deliver_when_receiver_stays_dead_gives_up_after_max_attempts(open_ws: Open, clock: SimulatedClock) -> None:
    ws = open_ws(webhook_url=f"http://127.0.0.1:{free_port()}/x", timeout_s=1, retry_s=1, max_attempts=3)
    bot = ws.system("alert-sender")
    alert = bot.raise_alert("warning", "engine", "slow feed")

    waits = []
    for _ in range(3):
        assert bot.deliver_alerts() == 1
        queued = bot.alert_deliveries(alert.id)[0]
        waits.append((queued.next_at - clock.now()).total_seconds())
        clock.advance(600)
    assert bot.deliver_alerts() == 0

    (given_up,) = bot.alert_deliveries(alert.id)
    assert (given_up.status, given_up.attempts) == (DeliveryStatus.FAILED, 3)
    assert waits[:2] == [1.0, 2.0]
    last = bot.alert(alert.id).events[-1]
    assert last.kind is EventKind.NOTIFY_FAILED and last.note.endswith("(gave up after 3 attempts)")


def test_sender_thread_when_alert_raised_delivers_each_channel_on_its_own(open_ws: Open, mailbox: Mailbox) -> None:
    ws = open_ws(webhook_url=f"http://127.0.0.1:{free_port()}/x", smtp_host=mailbox.host, smtp_port=mailbox.port,
                 smtp_to=("risk@desk.local",), timeout_s=1, retry_s=60)
    bot = ws.system("risk-monitor")

    with AlertSender(ws.system("alert-sender").deliver_alerts, interval_s=0.05):
        alert = bot.raise_alert("critical", "mandate:global:MAX_DRAWDOWN", "drawdown 12%")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and {d.status for d in bot.alert_deliveries(alert.id)} != {
                DeliveryStatus.SENT, DeliveryStatus.PENDING}:
            time.sleep(0.05)

    by_channel = {d.channel: d for d in bot.alert_deliveries(alert.id)}
    assert by_channel["smtp"].status is DeliveryStatus.SENT
    assert (by_channel["webhook"].status, by_channel["webhook"].attempts) == (DeliveryStatus.PENDING, 1)
    assert len(mailbox.messages) == 1
    assert mailbox.messages[0][2]["Message-ID"] == f"<{by_channel['smtp'].key}@athena>"


def test_deliver_when_two_senders_race_sends_every_alert_once(open_ws: Open, hook: Hook) -> None:
    ws = open_ws(webhook_url=hook.url, timeout_s=2)
    bot = ws.system("risk-monitor")
    alerts = [bot.raise_alert("critical", "engine", f"problem {i}") for i in range(6)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def drain(name: str) -> None:
        sender = ws.system(name)
        barrier.wait()
        try:
            while sender.deliver_alerts(limit=2):
                pass
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(f"sender-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    ids = sorted(hook.json(n)["alert"]["id"] for n in range(len(hook.requests)))
    assert ids == [a.id for a in alerts]
    assert {d.status for d in bot.alert_deliveries()} == {DeliveryStatus.SENT}
    assert bot.verify_audit().ok


def test_deliver_when_viewer_calls_is_refused_and_audited(open_ws: Open, hook: Hook) -> None:
    ws = open_ws(webhook_url=hook.url)
    admin = ws.login("admin", ADMIN_PASSWORD)
    admin.add_user("vera", Role.VIEWER, "Viewer-Passw0rd-1")
    ws.system("risk-monitor").raise_alert("critical", "engine", "x")
    viewer = ws.login("vera", "Viewer-Passw0rd-1")

    with pytest.raises(PermissionDenied, match="role VIEWER may not alerts.due"):
        viewer.deliver_alerts()

    assert hook.requests == [] and admin.alert_deliveries()[0].status is DeliveryStatus.PENDING
    denied = admin.audit(AuditFilter(actor="vera", action="alerts.due", limit=1))
    assert denied and denied[0].outcome.value == "denied"


def test_engine_when_running_sends_alerts_queued_by_other_processes(tmp_path: Path, hook: Hook) -> None:
    home = tmp_path / "ws"
    settings = Settings.from_env(home, security=TEST_SECURITY, alerts=AlertSettings(webhook_url=hook.url))
    ws, _ = Workspace.init(settings, admin_password=ADMIN_PASSWORD)
    alert = ws.system("job-runner").raise_alert("critical", "job:backtest", "job failed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATHENA_")}
    env.update(ATHENA_HOME=str(home), ATHENA_ALERT_WEBHOOK_URL=hook.url)

    done = subprocess.run([sys.executable, "-m", "athena", "engine", "--tick", "0.1", "--ticks", "10"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stderr
    assert [hook.json(n)["alert"]["id"] for n in range(len(hook.requests))] == [alert.id]
    assert ws.system("check").alert_deliveries(alert.id)[0].status is DeliveryStatus.SENT
    ws.close()


def test_retry_at_when_attempts_grow_doubles_the_wait_up_to_five_minutes(clock: SimulatedClock) -> None:
    now = clock.now()
    waits = [(retry_at(now, n, 2.0) - now).total_seconds() for n in (1, 2, 3, 4, 8, 9, 30)]
    assert waits == [2.0, 4.0, 8.0, 16.0, 256.0, 300.0, 300.0]
    with pytest.raises(ValueError, match="attempts must be >= 1, was 0"):
        retry_at(now, 0, 2.0)


def test_deliver_when_the_sender_died_during_the_last_attempt_gives_up_without_sending_again(
        open_ws: Open, hook: Hook, clock: SimulatedClock) -> None:
    ws = open_ws(webhook_url=hook.url, timeout_s=1, max_attempts=1)
    bot = ws.system("alert-sender")
    alert = bot.raise_alert("warning", "engine", "slow feed")
    bot._take(1)  # a sender takes it, then dies before sending or recording anything
    clock.advance(600)

    assert bot.deliver_alerts() == 1

    (given_up,) = bot.alert_deliveries(alert.id)
    assert given_up.status is DeliveryStatus.FAILED and hook.requests == []
    assert bot.alert(alert.id).events[-1].note.startswith("its last sender stopped during the final attempt")


@pytest.mark.parametrize("value", ["inf", "nan", "7200"])
def test_alert_settings_when_timeout_is_not_a_finite_hour_raises_invalid_config(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ATHENA_ALERT_TIMEOUT", value)
    with pytest.raises(InvalidConfig, match="timeout_s"):
        Settings.from_env("/tmp/w")


def test_alert_settings_when_max_attempts_zero_raises_invalid_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_ALERT_MAX_ATTEMPTS", "0")
    with pytest.raises(InvalidConfig, match="max_attempts"):
        Settings.from_env("/tmp/w")


def test_sender_when_a_drain_fails_logs_it_and_keeps_draining(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def drain() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("database is locked")
        return 0

    with AlertSender(drain, interval_s=0.01) as sender:
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sender.running
    assert not sender.running and len(calls) >= 3
    assert "alert delivery failed; retrying" in caplog.text
