"""Exchange API keys at rest: encrypted with the workspace key in a 0600 JSON file.

The file ``credentials.json`` in the workspace directory holds, per venue name, the API key, secret
and optional password, each a Fernet token from :meth:`athena.keys.WorkspaceKey.encrypt`; the
plaintext never touches the disk and :class:`Credentials` redacts itself in ``repr``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from athena.errors import InvalidConfig
from athena.keys import WorkspaceKey

__all__ = ["CREDENTIALS_FILE", "Credentials", "load_credentials", "store_credentials"]

CREDENTIALS_FILE = "credentials.json"


@dataclass(frozen=True)
class Credentials:
    """An exchange API key; the secret parts never appear in ``repr``."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    password: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.api_key[:4]}***, secret=***)"


def store_credentials(home: Path, key: WorkspaceKey, venue: str, credentials: Credentials) -> Path:
    """Encrypt ``credentials`` with the workspace key into ``home/credentials.json`` (mode 0600).

    Parameters
    ----------
    home : pathlib.Path
        The workspace directory.
    key : WorkspaceKey
        The workspace key; only it can decrypt the file.
    venue : str
        The name the credentials are stored under, e.g. ``"binance"``.
    credentials : Credentials
        The API key to store; replaces any stored under ``venue``.

    Returns
    -------
    pathlib.Path
        The credentials file.
    """
    path = home / CREDENTIALS_FILE
    stored = _read_store(path)
    stored[venue] = {
        "key_id": key.key_id,
        "api_key": key.encrypt(credentials.api_key),
        "secret": key.encrypt(credentials.secret),
        "password": None if credentials.password is None else key.encrypt(credentials.password),
    }
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fh.fileno(), 0o600)
        json.dump({"version": 1, "venues": stored}, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)
    return path


def load_credentials(home: Path, key: WorkspaceKey, venue: str) -> Credentials:
    """Decrypt the credentials stored under ``venue``.

    Raises
    ------
    InvalidConfig
        When none are stored under ``venue`` or the file is readable by others.
    IntegrityError
        When they do not decrypt with this workspace key.
    """
    path = home / CREDENTIALS_FILE
    if path.is_file() and path.stat().st_mode & 0o077:
        raise InvalidConfig(f"{path} has mode {path.stat().st_mode & 0o777:o}; it must be 600")
    entry = _read_store(path).get(venue)
    if entry is None:
        raise InvalidConfig(f"no credentials stored for venue {venue!r} in {path}")
    password = entry.get("password")
    return Credentials(key.decrypt(entry["api_key"]), key.decrypt(entry["secret"]),
                       None if password is None else key.decrypt(password))


def _read_store(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    try:
        venues = json.loads(path.read_text())["venues"]
    except (ValueError, KeyError, TypeError):
        raise InvalidConfig(f"{path} is not a credentials file") from None
    return dict(venues)
