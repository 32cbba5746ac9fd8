from __future__ import annotations

import re
from pathlib import Path

import pytest

from athena.config import Settings, _dask_address_problem, dask_client, redact_url
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


@pytest.mark.parametrize(("address", "problem"), [
    ("http://x:1", "the scheme must be tcp://, tls://, ucx:// or inproc://"),
    ("localhost", "the scheme must be tcp://, tls://, ucx:// or inproc://"),
    ("tcp://:8786", "no host"),
    ("tcp://host", "no port"),
    ("tcp://host:port", "the port must be a number within 0-65535"),
    ("tcp://host:99999", "the port must be a number within 0-65535"),
    ("tcp://host:8786/x", "nothing may follow host:port"),
    ("inproc://host", "no process path after the host"),
])
def test_dask_client_when_address_malformed_raises_invalid_config_naming_it(address: str, problem: str) -> None:
    with pytest.raises(InvalidConfig, match=re.escape(f"like tcp://host:8786, was {address!r}: {problem}")):
        dask_client(address)


def test_dask_address_problem_when_well_formed_finds_none() -> None:
    for address in ("tcp://127.0.0.1:8786", "tls://scheduler.example:8786", "tcp://[::1]:8786",
                    "ucx://10.0.0.1:13337", "inproc://10.0.0.1/4242/1"):
        assert _dask_address_problem(address) is None, address
