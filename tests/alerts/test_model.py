"""The alert life cycle rules and the alert settings read from the environment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from athena.alerts import Alert, AlertStatus, EventKind, Severity, next_status
from athena.config import AlertSettings, Settings
from athena.errors import InvalidConfig, InvalidInput


def test_next_status_when_acknowledging_open_alert_is_acknowledged() -> None:
    assert next_status(1, AlertStatus.OPEN, EventKind.ACKNOWLEDGED) is AlertStatus.ACKNOWLEDGED


def test_next_status_when_assigning_keeps_status() -> None:
    assert next_status(1, AlertStatus.ACKNOWLEDGED, EventKind.ASSIGNED) is AlertStatus.ACKNOWLEDGED
    assert next_status(1, AlertStatus.OPEN, EventKind.ASSIGNED) is AlertStatus.OPEN


@pytest.mark.parametrize(("status", "kind", "verb"), [
    (AlertStatus.RESOLVED, EventKind.RESOLVED, "resolve"),
    (AlertStatus.RESOLVED, EventKind.ACKNOWLEDGED, "acknowledge"),
    (AlertStatus.ACKNOWLEDGED, EventKind.ACKNOWLEDGED, "acknowledge"),
    (AlertStatus.RESOLVED, EventKind.ASSIGNED, "assign"),
])
def test_next_status_when_step_not_allowed_names_alert_and_status(
    status: AlertStatus, kind: EventKind, verb: str
) -> None:
    with pytest.raises(InvalidInput, match=f"cannot {verb} alert 7: it is already {status.value}"):
        next_status(7, status, kind)


def test_next_status_when_kind_is_not_a_person_step_refuses() -> None:
    with pytest.raises(InvalidInput, match="notified is not a step"):
        next_status(1, AlertStatus.OPEN, EventKind.NOTIFIED)


def test_severity_when_ranked_orders_info_warning_critical() -> None:
    assert [s.rank for s in (Severity.INFO, Severity.WARNING, Severity.CRITICAL)] == [0, 1, 2]


def test_alert_when_serialised_carries_its_fields() -> None:
    ts = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    alert = Alert(3, ts, Severity.CRITICAL, "job:x", "boom", {"cell": 2}, AlertStatus.OPEN, None, ts)
    assert alert.as_json() == {"id": 3, "ts": ts.isoformat(), "severity": "critical", "source": "job:x",
                               "message": "boom", "details": {"cell": 2}, "status": "open", "owner": None}
    assert alert.age_s(datetime(2026, 3, 2, 9, 31, tzinfo=UTC)) == 60


def test_alert_settings_when_read_from_env_are_typed_and_secrets_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_ALERT_WEBHOOK_URL", "http://hooks.local/x")
    monkeypatch.setenv("ATHENA_ALERT_WEBHOOK_SECRET", "hook-s3cret")
    monkeypatch.setenv("ATHENA_SMTP_HOST", "mail.local")
    monkeypatch.setenv("ATHENA_SMTP_PORT", "2525")
    monkeypatch.setenv("ATHENA_SMTP_PASSWORD", "mail-s3cret")
    monkeypatch.setenv("ATHENA_SMTP_TO", "a@x.io, b@x.io")
    monkeypatch.setenv("ATHENA_SMTP_STARTTLS", "1")
    monkeypatch.setenv("ATHENA_ALERT_MIN_SEVERITY", "critical")
    settings = AlertSettings.from_env()
    assert (settings.smtp_port, settings.smtp_to, settings.smtp_starttls) == (2525, ("a@x.io", "b@x.io"), True)
    assert settings.min_severity == "critical"
    assert settings.webhook_secret is not None and settings.webhook_secret.get_secret_value() == "hook-s3cret"
    for text in (repr(settings), str(settings), repr(Settings.from_env("/tmp/w")),
                 str(Settings.from_env("/tmp/w").model_dump())):
        assert "s3cret" not in text


def test_alert_settings_when_min_severity_unknown_raises_invalid_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_ALERT_MIN_SEVERITY", "loud")
    with pytest.raises(InvalidConfig, match="min_severity"):
        Settings.from_env("/tmp/w")


def test_alert_settings_when_webhook_not_http_raises_invalid_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_ALERT_WEBHOOK_URL", "file:///etc/passwd")
    with pytest.raises(InvalidConfig, match="webhook_url must be an http:// or https:// URL"):
        Settings.from_env("/tmp/w")
