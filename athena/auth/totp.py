"""Time-based one-time passwords (RFC 6238) with replay protection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyotp

__all__ = ["ISSUER", "TotpEnrolment", "match_step", "new_secret", "provisioning_uri"]

ISSUER = "Athena"
_STEP_S = 30


@dataclass(frozen=True)
class TotpEnrolment:
    """A pending TOTP secret and the URI an authenticator app scans."""

    username: str
    secret: str
    uri: str

    def __repr__(self) -> str:
        return f"TotpEnrolment(username={self.username!r}, secret=***)"


def new_secret() -> str:
    """Return a fresh base32 TOTP secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """Return the otpauth:// URI for ``username``."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def match_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """Return the time step ``code`` is valid for (now +/- one step), or None.

    A step at or before ``last_step`` is refused, so a code works once.
    """
    code = code.strip()
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // _STEP_S
    for step in (current, current - 1, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if totp.at(step * _STEP_S) == code:
            return step
    return None
