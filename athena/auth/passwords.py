"""Password rule, generation and Argon2id hashing."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from athena.config import KdfSettings
from athena.errors import WeakPassword

__all__ = ["PasswordPolicy", "generate_password"]

_ALPHABET = string.ascii_letters + string.digits


def generate_password(length: int = 20) -> str:
    """Return a random password with letters and digits that satisfies the default rule."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


@dataclass(frozen=True)
class PasswordPolicy:
    """The password rule and the KDF that stores passwords."""

    min_length: int
    kdf: KdfSettings

    @property
    def rule(self) -> str:
        """Return the rule in words, as shown to users."""
        return (
            f"at least {self.min_length} characters, with at least one letter and one digit, "
            "and not containing the username"
        )

    def check(self, password: str, username: str) -> None:
        """Raise WeakPassword, stating the rule, unless ``password`` satisfies it."""
        problems = []
        if len(password) < self.min_length:
            problems.append(f"it has {len(password)} characters")
        if not any(c.isalpha() for c in password):
            problems.append("it has no letter")
        if not any(c.isdigit() for c in password):
            problems.append("it has no digit")
        if username and username.lower() in password.lower():
            problems.append("it contains the username")
        if problems:
            raise WeakPassword(f"password too weak ({'; '.join(problems)}): the rule is {self.rule}")

    def _hasher(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.kdf.time_cost,
            memory_cost=self.kdf.memory_cost_kib,
            parallelism=self.kdf.parallelism,
        )

    def hash(self, password: str) -> str:
        """Return the Argon2id hash of ``password``."""
        return self._hasher().hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """Return whether ``password`` matches ``stored_hash`` (any Argon2 parameters)."""
        try:
            return self._hasher().verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
