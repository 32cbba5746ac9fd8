"""SQLModel tables. The schema itself is created by ``athena.store.migrations``.

Times are stored timezone-aware; audit timestamps are stored as the exact ISO text that was
hashed, so verification never depends on how a database rounds or renders times.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

__all__ = [
    "ApprovalRow",
    "AuditHeadRow",
    "AuditRow",
    "EventRow",
    "SessionRow",
    "SettingRow",
    "UserRow",
]


def _aware(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    role: str = Field(max_length=16)
    password_hash: str
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_aware(nullable=True))
    totp_secret: str | None = None
    totp_pending: str | None = None
    totp_last_step: int | None = None
    created_at: datetime = Field(sa_column=_aware())
    updated_at: datetime = Field(sa_column=_aware())


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(sa_column=_aware())
    expires_at: datetime = Field(sa_column=_aware())
    revoked_at: datetime | None = Field(default=None, sa_column=_aware(nullable=True))


class ApprovalRow(SQLModel, table=True):
    __tablename__ = "approvals"

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=64)
    params: str
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(sa_column=_aware())
    expires_at: datetime = Field(sa_column=_aware())
    status: str = Field(max_length=16, index=True)
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_column=_aware(nullable=True))
    reason: str | None = None


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_ledger"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    ts: str = Field(max_length=32)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=256)
    outcome: str = Field(max_length=16)
    payload: str
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    signature: str = Field(max_length=64)


class AuditHeadRow(SQLModel, table=True):
    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str = Field(max_length=64)
    signature: str = Field(max_length=64)


class EventRow(SQLModel, table=True):
    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = Field(sa_column=_aware())
    type: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=256)
    payload: str
    audit_seq: int | None = None


class SettingRow(SQLModel, table=True):
    __tablename__ = "settings"

    key: str = Field(primary_key=True, max_length=64)
    value: str
