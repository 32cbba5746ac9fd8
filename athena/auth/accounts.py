"""Users and sessions in the database, used by Console inside its transactions."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select, update

from athena.clock import utc
from athena.errors import InvalidInput, InvalidSession, SessionExpired, UnknownRole, UnknownUser
from athena.model import Identity, Role, User, UserId
from athena.store import SessionRow, UserRow

__all__ = [
    "active_admins",
    "find_user",
    "get_user",
    "hash_token",
    "new_session",
    "parse_role",
    "resolve_session",
    "revoke_sessions",
    "to_user",
    "validate_username",
]

# Built once: every authorized action resolves its session first.
_SESSION_OF_TOKEN = (
    select_columns(col(SessionRow.revoked_at), col(SessionRow.expires_at), col(UserRow.id), col(UserRow.username),
                   col(UserRow.role), col(UserRow.disabled))
    .select_from(SessionRow).outerjoin(UserRow, col(UserRow.id) == col(SessionRow.user_id))
    .where(col(SessionRow.token_hash) == bindparam("token_hash"))
)

_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")


def validate_username(username: str) -> str:
    """Return ``username`` if it is 2-64 lower-case letters, digits, '_', '.', '-' starting with a letter."""
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"username must be 2-64 characters of a-z, 0-9, '_', '.', '-' starting with a letter, "
            f"was {username!r}"
        )
    return username


def parse_role(value: str | Role) -> Role:
    """Return the Role named ``value`` (case-insensitive) or raise UnknownRole listing the roles."""
    try:
        return Role(str(value).upper())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise UnknownRole(f"unknown role {value!r}; roles are {names}") from None


def hash_token(token: str) -> str:
    """Return the SHA-256 under which a session token is stored (tokens are never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def to_user(row: UserRow) -> User:
    """Turn a stored row into a public User value without secrets."""
    return User(
        id=UserId(row.id or 0),
        username=row.username,
        role=Role(row.role),
        disabled=row.disabled,
        totp_enabled=row.totp_secret is not None,
        locked_until=utc(row.locked_until) if row.locked_until else None,
        created_at=utc(row.created_at),
    )


def find_user(session: Session, username: str) -> UserRow | None:
    """Return the user row named ``username`` or None."""
    return session.exec(select(UserRow).where(UserRow.username == username)).first()


def get_user(session: Session, username: str) -> UserRow:
    """Return the user row named ``username`` or raise UnknownUser."""
    row = find_user(session, username)
    if row is None:
        raise UnknownUser(f"no user named {username!r}")
    return row


def active_admins(session: Session) -> int:
    """Return how many enabled ADMIN users exist."""
    rows = session.exec(select(UserRow.id).where(UserRow.role == Role.ADMIN.value, UserRow.disabled == False))  # noqa: E712
    return len(rows.all())


def new_session(session: Session, user: UserRow, now: datetime, ttl_s: int) -> tuple[str, datetime]:
    """Create a session for ``user``; return the bearer token and its expiry."""
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=ttl_s)
    session.add(SessionRow(token_hash=hash_token(token), user_id=user.id or 0, created_at=now, expires_at=expires))
    return token, expires


def resolve_session(session: Session, token: str, now: datetime) -> Identity:
    """Return the identity behind ``token`` with its current role, or raise why it is not valid."""
    found = session.connection().execute(_SESSION_OF_TOKEN, {"token_hash": hash_token(token)}).first()
    if found is None:
        raise InvalidSession("invalid session token: unknown or forged; log in again")
    revoked_at, expires_at, user_id, username, role, disabled = found
    if revoked_at is not None or user_id is None:
        raise InvalidSession("session was ended; log in again")
    if utc(expires_at) <= now:
        raise SessionExpired(f"session expired at {utc(expires_at).isoformat()}; log in again")
    if disabled:
        raise InvalidSession(f"account {username!r} is disabled")
    return Identity(username=username, role=Role(role), user_id=UserId(user_id), expires_at=utc(expires_at))


def revoke_sessions(session: Session, user_id: int, now: datetime, token: str | None = None) -> None:
    """End one session (``token``) or every open session of ``user_id``."""
    stmt = update(SessionRow).where(col(SessionRow.user_id) == user_id, col(SessionRow.revoked_at).is_(None))
    if token is not None:
        stmt = stmt.where(col(SessionRow.token_hash) == hash_token(token))
    session.execute(stmt.values(revoked_at=now))
