"""The workspace: a directory (key, logs) plus a database, and the doors into it.

``Workspace.init`` creates both; ``athena.connect`` opens an initialised one; ``login``,
``resume`` and ``system`` hand out a :class:`~athena.console.Console` bound to an identity.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import select

from athena.audit import append, head
from athena.auth.accounts import validate_username
from athena.auth.passwords import PasswordPolicy, generate_password
from athena.clock import Clock, LiveClock
from athena.config import SecuritySettings, Settings, redact_url
from athena.errors import NotInitialised, WorkspaceError
from athena.keys import WorkspaceKey
from athena.model import AuditOutcome, Role, TradingMode, TradingState
from athena.store import (
    MIGRATIONS,
    SettingRow,
    Store,
    TradingStateRow,
    UserRow,
    current_version,
    last_event_id,
    migrate,
    publish,
)

if TYPE_CHECKING:
    from athena.console import Console

__all__ = ["Workspace", "connect"]

INIT_ACTOR = "system:init"


class Workspace:
    """An opened workspace: settings, database, key and clock."""

    def __init__(self, settings: Settings, store: Store, key: WorkspaceKey, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.key = key
        self.clock = clock
        self.passwords = PasswordPolicy(settings.security.min_password_length, settings.security.kdf)

    @classmethod
    def init(
        cls,
        settings: Settings,
        *,
        admin_username: str = "admin",
        admin_password: str | None = None,
        clock: Clock | None = None,
    ) -> tuple[Workspace, str | None]:
        """Create (or re-open) the workspace; return it and the first ADMIN's password.

        The password is generated unless given, and returned only by the call that created
        the workspace; re-running ``init`` changes nothing and returns ``None``.
        """
        clock = clock or LiveClock()
        validate_username(admin_username)
        password = admin_password or generate_password()
        PasswordPolicy(settings.security.min_password_length, settings.security.kdf).check(password, admin_username)
        home = settings.home
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        settings.log_dir.mkdir(exist_ok=True)
        try:
            key = WorkspaceKey.create(settings.key_path)
        except WorkspaceError:
            key = WorkspaceKey.load(settings.key_path)
        store = Store(settings.db_url, synchronous=settings.sqlite_synchronous)
        migrate(store)
        ws = cls(settings, store, key, clock)
        with store.write() as s:
            existing = {row.key: row.value for row in s.exec(select(SettingRow))}
            if "workspace_id" in existing:
                ws._check_key(existing)
                return ws, None
            now = clock.now()
            workspace_id = str(uuid.uuid4())
            for name, value in {
                "workspace_id": workspace_id,
                "key_id": key.key_id,
                "trading_mode": TradingMode.PAPER.value,
                "created_at": now.isoformat(),
            }.items():
                s.add(SettingRow(key=name, value=value))
            s.add(
                UserRow(
                    username=admin_username,
                    role=Role.ADMIN.value,
                    password_hash=ws.passwords.hash(password),
                    created_at=now,
                    updated_at=now,
                )
            )
            payload = {"workspace_id": workspace_id, "admin": admin_username, "home": str(home)}
            entry = append(
                s, key, ts=now, actor=INIT_ACTOR, action="workspace.init", subject=f"workspace:{workspace_id}",
                outcome=AuditOutcome.OK, payload=payload,
            )
            publish(s, ts=now, type="WorkspaceInitialised", subject=entry.subject, payload=payload, audit_seq=entry.seq)
        return ws, password

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock | None = None) -> Workspace:
        """Open an initialised workspace or raise NotInitialised saying what to run."""
        if not settings.key_path.exists():
            raise NotInitialised(f"no workspace at {settings.home}; run `athena init` (or set ATHENA_HOME)")
        key = WorkspaceKey.load(settings.key_path)
        store = Store(settings.db_url, synchronous=settings.sqlite_synchronous)
        ws = cls(settings, store, key, clock or LiveClock())
        with store.read() as s:
            if not store.engine.dialect.has_table(s.connection(), "settings"):
                raise NotInitialised(f"database of {settings.home} has no schema; run `athena init`")
            existing = {row.key: row.value for row in s.exec(select(SettingRow))}
        if "workspace_id" not in existing:
            raise NotInitialised(f"database of {settings.home} is not initialised; run `athena init`")
        ws._check_key(existing)
        version, latest = current_version(store), MIGRATIONS[-1].version
        if version < latest:
            raise NotInitialised(
                f"database schema is at version {version}, this Athena needs {latest}; "
                "run `athena init` to upgrade it"
            )
        return ws

    def _check_key(self, existing: dict[str, str]) -> None:
        if existing.get("key_id") != self.key.key_id:
            raise WorkspaceError(
                f"{self.settings.key_path} is not the key this database was initialised with; "
                "copy the workspace's secret.key"
            )

    @property
    def workspace_id(self) -> str:
        """Return the workspace's unique id."""
        with self.store.read() as s:
            row = s.get(SettingRow, "workspace_id")
        return row.value if row else ""

    def status(self) -> dict[str, str | int]:
        """Return a health summary readable without logging in (no secrets), with the global trading state."""
        with self.store.read() as s:
            settings = {row.key: row.value for row in s.exec(select(SettingRow))}
            top = head(s)
            last_event = last_event_id(s)
            trading = s.get(TradingStateRow, "global")
        return {
            "home": str(self.settings.home),
            "database": redact_url(self.settings.db_url),
            "schema_version": current_version(self.store),
            "workspace_id": settings.get("workspace_id", ""),
            "trading_mode": settings.get("trading_mode", TradingMode.PAPER.value),
            "trading_state": trading.state if trading else TradingState.ACTIVE.value,
            "audit_head_seq": top.seq,
            "audit_head_hash": top.hash,
            "last_event_id": last_event,
        }

    def login(self, username: str, password: str, totp: str | None = None) -> Console:
        """Authenticate and return a Console bound to the new session."""
        from athena.console import Console

        return Console.login(self, username, password, totp)

    def resume(self, token: str) -> Console:
        """Return a Console for an existing session token; raise if it is not valid."""
        from athena.console import Console

        return Console.resume(self, token)

    def system(self, name: str, role: Role = Role.ADMIN) -> Console:
        """Return a Console for an automatic actor, audited as ``system:<name>``."""
        from athena.console import Console

        return Console.system(self, name, role)

    def close(self) -> None:
        """Release database connections."""
        self.store.dispose()

    def __repr__(self) -> str:
        return f"Workspace({self.settings!r})"


def connect(
    home: str | Path | None = None,
    db_url: str | None = None,
    *,
    security: SecuritySettings | None = None,
    clock: Clock | None = None,
) -> Workspace:
    """Open the workspace at ``home`` (default ``$ATHENA_HOME`` or ``./.athena``)."""
    settings = Settings.from_env(home, db_url, security)
    return Workspace.open(settings, clock=clock)
