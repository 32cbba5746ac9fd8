"""Identities: roles and their permissions, password hashing, sessions, TOTP, lockout."""

from athena.auth.passwords import PasswordPolicy, generate_password
from athena.auth.permissions import MATRIX, PRIVILEGED, Permission, allowed, permissions_of
from athena.auth.totp import TotpEnrolment

__all__ = [
    "MATRIX",
    "PRIVILEGED",
    "PasswordPolicy",
    "Permission",
    "TotpEnrolment",
    "allowed",
    "generate_password",
    "permissions_of",
]
