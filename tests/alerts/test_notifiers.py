"""Notifiers against real local receivers: a signed webhook POST and an SMTP message."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from athena.alerts import Alert, AlertStatus, Severity, SmtpNotifier, WebhookNotifier, attempt, notifiers_from, sign
from athena.config import AlertSettings
from tests.alerts.conftest import Hook, Mailbox

TS = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _alert(severity: Severity = Severity.CRITICAL) -> Alert:
    return Alert(42, TS, severity, "mandate:global:MAX_DRAWDOWN", "drawdown 12% > 10%", {"level": "BREACH"},
                 AlertStatus.OPEN, None, TS)


def test_webhook_when_secret_set_posts_json_signed_with_hmac(hook: Hook) -> None:
    receipt = WebhookNotifier(hook.url, "hook-secret", timeout_s=2).send(_alert())

    assert receipt == "HTTP 204"
    headers, body = hook.requests[0]
    assert headers["Content-Type"] == "application/json"
    expected = "sha256=" + hmac.new(b"hook-secret", body, hashlib.sha256).hexdigest()
    assert headers["X-Athena-Signature"] == expected == sign(body, "hook-secret")
    data = hook.json()
    assert data["type"] == "athena.alert"
    assert data["alert"]["id"] == 42 and data["alert"]["severity"] == "critical"
    assert data["alert"]["details"] == {"level": "BREACH"}


def test_webhook_when_no_secret_sends_unsigned(hook: Hook) -> None:
    WebhookNotifier(hook.url).send(_alert())
    assert "X-Athena-Signature" not in hook.requests[0][0]


def test_smtp_when_sent_delivers_message_with_subject_and_body(mailbox: Mailbox) -> None:
    notifier = SmtpNotifier(mailbox.host, mailbox.port, "athena@desk.local", ("risk@desk.local", "ops@desk.local"))

    receipt = notifier.send(_alert())

    assert receipt == "sent to risk@desk.local, ops@desk.local"
    sender, rcpts, msg = mailbox.messages[0]
    assert sender == "athena@desk.local" and rcpts == ["risk@desk.local", "ops@desk.local"]
    assert msg["Subject"] == "[Athena CRITICAL] #42 mandate:global:MAX_DRAWDOWN: drawdown 12% > 10%"
    body = msg.get_payload()
    assert isinstance(body, str) and "drawdown 12% > 10%" in body and "level: BREACH" in body


def test_attempt_when_webhook_unreachable_records_failure_and_still_mails(mailbox: Mailbox) -> None:
    settings = AlertSettings(webhook_url="http://127.0.0.1:9/nothing", smtp_host=mailbox.host,
                             smtp_port=mailbox.port, smtp_to=("risk@desk.local",), timeout_s=1)

    outcomes = [attempt(n, _alert()) for n in notifiers_from(settings)]

    assert [(o.channel, o.ok) for o in outcomes] == [("webhook", False), ("smtp", True)]
    assert "URLError" in outcomes[0].detail
    assert len(mailbox.messages) == 1


def test_notifiers_from_when_nothing_configured_is_empty() -> None:
    assert notifiers_from(AlertSettings()) == []


def test_smtp_when_server_needs_login_logs_in_with_configured_user(locked_mailbox: Mailbox) -> None:
    box = locked_mailbox
    good = SmtpNotifier(box.host, box.port, "athena@desk.local", ("risk@desk.local",), user="athena",
                        password="mail-secret")
    bad = SmtpNotifier(box.host, box.port, "athena@desk.local", ("risk@desk.local",), user="athena",
                       password="wrong", timeout_s=1)

    outcomes = [attempt(n, _alert()) for n in (bad, good)]

    assert [o.ok for o in outcomes] == [False, True]
    assert outcomes[0].detail.startswith("SMTP")
    assert len(box.messages) == 1


def test_smtp_when_starttls_required_but_not_offered_fails_instead_of_sending_plain(mailbox: Mailbox) -> None:
    notifier = SmtpNotifier(mailbox.host, mailbox.port, "athena@desk.local", ("risk@desk.local",), starttls=True)

    outcomes = [attempt(notifier, _alert())]

    assert not outcomes[0].ok and "STARTTLS" in outcomes[0].detail
    assert mailbox.messages == []


def test_webhook_when_receiver_answers_500_records_failure(hook: Hook) -> None:
    hook.status = 500
    outcomes = [attempt(WebhookNotifier(hook.url, timeout_s=1), _alert())]
    assert (outcomes[0].channel, outcomes[0].ok) == ("webhook", False)
    assert "HTTP Error 500" in outcomes[0].detail and len(hook.requests) == 1
