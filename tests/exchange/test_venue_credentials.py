"""API keys at rest: encrypted with the workspace key, mode 0600, redacted in repr."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest

from athena.errors import IntegrityError, InvalidConfig
from athena.execution.venue_credentials import Credentials, load_credentials, store_credentials
from athena.keys import WorkspaceKey

SECRET = "s3cr3t-Binance-HMAC-0123456789abcdef"
API_KEY = "AKIA-test-api-key-987654321"


def test_store_credentials_when_written_are_encrypted_and_private(tmp_path: Path) -> None:
    key = WorkspaceKey(secrets.token_bytes(32))

    path = store_credentials(tmp_path, key, "binance", Credentials(API_KEY, SECRET))

    raw = path.read_bytes()
    assert SECRET.encode() not in raw and API_KEY.encode() not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_credentials(tmp_path, key, "binance") == Credentials(API_KEY, SECRET)


def test_store_credentials_when_a_second_venue_is_added_keeps_the_first(tmp_path: Path) -> None:
    key = WorkspaceKey(secrets.token_bytes(32))
    store_credentials(tmp_path, key, "binance", Credentials("k1", "s1"))

    store_credentials(tmp_path, key, "bybit", Credentials("k2", "s2", password="p2"))

    assert load_credentials(tmp_path, key, "binance").secret == "s1"
    assert load_credentials(tmp_path, key, "bybit").password == "p2"


def test_credentials_repr_when_printed_hides_the_secret() -> None:
    text = repr(Credentials(API_KEY, SECRET, password="pw"))

    assert SECRET not in text and API_KEY not in text and "pw" not in text


def test_load_credentials_when_key_differs_raises_integrity_error(tmp_path: Path) -> None:
    store_credentials(tmp_path, WorkspaceKey(secrets.token_bytes(32)), "binance", Credentials(API_KEY, SECRET))

    with pytest.raises(IntegrityError):
        load_credentials(tmp_path, WorkspaceKey(secrets.token_bytes(32)), "binance")


def test_load_credentials_when_venue_is_missing_names_it(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfig, match="no credentials stored for venue 'bybit'"):
        load_credentials(tmp_path, WorkspaceKey(secrets.token_bytes(32)), "bybit")


def test_load_credentials_when_file_is_readable_by_others_refuses(tmp_path: Path) -> None:
    key = WorkspaceKey(secrets.token_bytes(32))
    path = store_credentials(tmp_path, key, "binance", Credentials(API_KEY, SECRET))
    path.chmod(0o644)

    with pytest.raises(InvalidConfig, match="must be 600"):
        load_credentials(tmp_path, key, "binance")
