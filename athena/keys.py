"""The workspace secret key: signs the audit ledger and encrypts stored credentials.

The key is 32 random bytes in ``secret.key`` (mode 0600) inside the workspace directory.
Every process that shares a database must use the same key file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from athena.errors import IntegrityError, WorkspaceError

__all__ = ["WorkspaceKey"]

_KEY_BYTES = 32


class WorkspaceKey:
    """HMAC signing and symmetric encryption with keys derived from the workspace secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != _KEY_BYTES:
            raise WorkspaceError(f"workspace key must be {_KEY_BYTES} bytes, was {len(secret)}")
        self._sign_key = self._derive(secret, b"athena/audit-signature/v1")
        self._fernet = Fernet(base64.urlsafe_b64encode(self._derive(secret, b"athena/credentials/v1")))
        self.key_id = hmac.new(self._sign_key, b"athena/key-id", hashlib.sha256).hexdigest()[:16]

    @staticmethod
    def _derive(secret: bytes, purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)

    @classmethod
    def create(cls, path: Path) -> WorkspaceKey:
        """Write a new random key to ``path`` with mode 0600, refusing to overwrite one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_bytes(_KEY_BYTES)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise WorkspaceError(f"{path} already exists; refusing to overwrite a workspace key") from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(base64.b64encode(secret) + b"\n")
        return cls(secret)

    @classmethod
    def load(cls, path: Path) -> WorkspaceKey:
        """Read the key at ``path``; refuse one readable by group or others."""
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            raw = path.read_bytes()
        except FileNotFoundError:
            raise WorkspaceError(f"workspace key {path} not found; run `athena init`") from None
        if mode & 0o077:
            raise WorkspaceError(f"workspace key {path} has mode {mode:o}; it must be 600")
        try:
            secret = base64.b64decode(raw.strip(), validate=True)
        except ValueError:
            raise WorkspaceError(f"workspace key {path} is not valid base64") from None
        return cls(secret)

    def sign(self, message: str) -> str:
        """Return the hex HMAC-SHA256 of ``message``."""
        return hmac.new(self._sign_key, message.encode(), hashlib.sha256).hexdigest()

    def check(self, message: str, signature: str) -> bool:
        """Return whether ``signature`` is the HMAC of ``message`` (constant time)."""
        return hmac.compare_digest(self.sign(message), signature)

    def encrypt(self, plaintext: str) -> str:
        """Encrypt and authenticate ``plaintext``; return a URL-safe token."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt a token from :meth:`encrypt`; fail loudly if it was altered."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise IntegrityError("stored credential does not decrypt with this workspace key") from None

    def __repr__(self) -> str:
        return f"WorkspaceKey(id={self.key_id}, secret=***)"
