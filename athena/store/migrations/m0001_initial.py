"""Users, sessions, approvals, the append-only audit ledger, the event outbox, settings."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.engine import Connection

_APPEND_ONLY = "audit ledger is append-only"

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_ledger_no_update BEFORE UPDATE ON audit_ledger
        BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER audit_ledger_no_delete BEFORE DELETE ON audit_ledger
        BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END""",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
        WHEN NEW.seq <= OLD.seq
        BEGIN SELECT RAISE(ABORT, 'audit head only moves forward'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
        BEGIN SELECT RAISE(ABORT, 'audit head cannot be deleted'); END""",
]

_POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION athena_refuse_ledger_change() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_ledger_append_only BEFORE UPDATE OR DELETE ON audit_ledger
        FOR EACH ROW EXECUTE FUNCTION athena_refuse_ledger_change()""",
    """CREATE TRIGGER audit_ledger_no_truncate BEFORE TRUNCATE ON audit_ledger
        FOR EACH STATEMENT EXECUTE FUNCTION athena_refuse_ledger_change()""",
    """CREATE FUNCTION athena_head_forward_only() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'DELETE' OR NEW.seq <= OLD.seq THEN
            RAISE EXCEPTION 'audit head only moves forward';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
        FOR EACH ROW EXECUTE FUNCTION athena_head_forward_only()""",
]


def _tables(meta: MetaData) -> None:
    aware = DateTime(timezone=True)
    Table(
        "users",
        meta,
        Column("id", Integer, primary_key=True),
        Column("username", String(64), nullable=False, unique=True),
        Column("role", String(16), nullable=False),
        Column("password_hash", String, nullable=False),
        Column("disabled", Boolean, nullable=False),
        Column("failed_logins", Integer, nullable=False),
        Column("locked_until", aware),
        Column("totp_secret", String),
        Column("totp_pending", String),
        Column("totp_last_step", Integer),
        Column("created_at", aware, nullable=False),
        Column("updated_at", aware, nullable=False),
    )
    Table(
        "sessions",
        meta,
        Column("token_hash", String(64), primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
        Column("created_at", aware, nullable=False),
        Column("expires_at", aware, nullable=False),
        Column("revoked_at", aware),
    )
    Table(
        "approvals",
        meta,
        Column("id", Integer, primary_key=True),
        Column("action", String(64), nullable=False),
        Column("params", Text, nullable=False),
        Column("requested_by", String(64), nullable=False),
        Column("requested_at", aware, nullable=False),
        Column("expires_at", aware, nullable=False),
        Column("status", String(16), nullable=False, index=True),
        Column("decided_by", String),
        Column("decided_at", aware),
        Column("reason", String),
    )
    Table(
        "audit_ledger",
        meta,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("ts", String(32), nullable=False),
        Column("actor", String(64), nullable=False, index=True),
        Column("action", String(64), nullable=False, index=True),
        Column("subject", String(256), nullable=False),
        Column("outcome", String(16), nullable=False),
        Column("payload", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Column("signature", String(64), nullable=False),
    )
    Table(
        "audit_head",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", Integer, nullable=False),
        Column("hash", String(64), nullable=False),
        Column("signature", String(64), nullable=False),
    )
    Table(
        "events",
        meta,
        Column("id", Integer, primary_key=True),
        Column("ts", aware, nullable=False),
        Column("type", String(64), nullable=False, index=True),
        Column("subject", String(256), nullable=False),
        Column("payload", Text, nullable=False),
        Column("audit_seq", Integer),
    )
    Table(
        "settings",
        meta,
        Column("key", String(64), primary_key=True),
        Column("value", Text, nullable=False),
    )


def upgrade(conn: Connection, dialect: str) -> None:
    """Create the foundation tables and the triggers that keep the ledger append-only."""
    meta = MetaData()
    _tables(meta)
    meta.create_all(conn)
    conn.execute(meta.tables["audit_head"].insert().values(id=1, seq=0, hash="0" * 64, signature=""))
    for statement in _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        conn.execute(text(statement))
