from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from athena.auth.totp import match_step, new_secret, provisioning_uri

NOW = datetime(2026, 5, 1, 12, 0, 10, tzinfo=UTC)


def test_match_step_when_code_current_returns_step_once() -> None:
    secret = new_secret()
    code = pyotp.TOTP(secret).at(NOW)
    step = match_step(secret, code, NOW, None)
    assert step == int(NOW.timestamp()) // 30
    assert match_step(secret, code, NOW, step) is None


def test_match_step_when_code_from_previous_window_accepts_it() -> None:
    secret = new_secret()
    code = pyotp.TOTP(secret).at(NOW - timedelta(seconds=30))
    assert match_step(secret, code, NOW, None) is not None


def test_match_step_when_code_stale_or_malformed_refuses() -> None:
    secret = new_secret()
    assert match_step(secret, pyotp.TOTP(secret).at(NOW - timedelta(minutes=5)), NOW, None) is None
    assert match_step(secret, "12ab56", NOW, None) is None
    assert match_step(secret, "", NOW, None) is None


def test_provisioning_uri_names_issuer_and_user() -> None:
    uri = provisioning_uri(new_secret(), "alice")
    assert uri.startswith("otpauth://totp/Athena:alice?")
    assert "issuer=Athena" in uri
