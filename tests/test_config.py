from __future__ import annotations

from pathlib import Path

import pytest

from athena.config import Settings, redact_url
from athena.errors import InvalidConfig


def test_repr_when_url_has_password_redacts_it(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, "postgresql://athena:s3cret@db:5432/prod")
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in str(settings)
    assert "***" in repr(settings)


def test_redact_url_when_no_password_keeps_url() -> None:
    assert redact_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_from_env_when_nothing_given_uses_home_and_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATHENA_DB_URL", raising=False)
    monkeypatch.setenv("ATHENA_HOME", str(tmp_path / "w"))
    settings = Settings.from_env()
    assert settings.home == tmp_path / "w"
    assert settings.db_url == f"sqlite:///{tmp_path / 'w' / 'athena.db'}"


def test_from_env_when_session_ttl_invalid_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_SESSION_TTL", "-5")
    with pytest.raises(InvalidConfig, match="session_ttl_s"):
        Settings.from_env(tmp_path)


def test_fingerprint_when_only_password_differs_is_equal(tmp_path: Path) -> None:
    a = Settings.from_env(tmp_path, "postgresql://u:one@h/db")
    b = Settings.from_env(tmp_path, "postgresql://u:two@h/db")
    c = Settings.from_env(tmp_path, "postgresql://u:two@h/other")
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_settings_when_mutated_refuses(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path)
    with pytest.raises(ValueError):
        settings.db_url = "sqlite://"  # type: ignore[misc]
