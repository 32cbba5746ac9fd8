"""The mechanics every Console action shares: identity, authorization, transaction, audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Self, TypeVar

from sqlmodel import Session

from athena import audit
from athena.auth import Permission, allowed
from athena.auth import accounts as acc
from athena.auth import totp as otp
from athena.clock import utc
from athena.errors import (
    AccountLocked,
    AuthenticationFailed,
    InvalidInput,
    InvalidTotp,
    NotAllowed,
    PermissionDenied,
    TotpRequired,
)
from athena.model import AuditEntry, AuditOutcome, Identity, Role, UserId
from athena.store import UserRow, publish
from athena.workspace import Workspace

__all__ = ["ConsoleCore", "Done", "choice"]

T = TypeVar("T")
E = TypeVar("E", bound=Enum)


def choice(kind: type[E], value: object, name: str) -> E:
    """Return the member of ``kind`` named by ``value`` (case-insensitive) or raise InvalidInput listing them."""
    text = str(value)
    for member in kind:
        if text.lower() in (str(member.value).lower(), member.name.lower()):
            return member
    options = ", ".join(str(m.value) for m in kind)
    raise InvalidInput(f"{name} must be one of {options}, was {value!r}")


@dataclass
class Done:
    """What a unit of work hands back: its result, the audit payload and the events to publish."""

    result: Any = None
    payload: dict[str, Any] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    outcome: AuditOutcome = AuditOutcome.OK


class ConsoleCore:
    """Identity, authorization and the authorize -> transact -> audit -> publish sequence."""

    def __init__(self, workspace: Workspace, identity: Identity, token: str | None) -> None:
        self.workspace = workspace
        self._identity = identity
        self._token = token


    @classmethod
    def login(cls, ws: Workspace, username: str, password: str, totp: str | None = None) -> Self:
        """Check credentials (and TOTP when enrolled); lock the account after repeated failures."""
        sec = ws.settings.security
        with ws.store.write() as s:
            now = ws.clock.now()
            row = acc.find_user(s, username)
            payload: dict[str, Any] = {}
            failure: NotAllowed | None
            if row is None:
                failure = AuthenticationFailed("invalid username or password")
                payload["reason"] = "unknown user"
            else:
                failure = cls._login_failure(ws, row, password, totp, now, payload)
            if row is not None and failure is None:
                row.failed_logins = 0
                row.locked_until = None
                s.add(row)
                token, expires = acc.new_session(s, row, now, sec.session_ttl_s)
                cls._record(s, ws, now, username, "auth.login", f"user:{username}", AuditOutcome.OK,
                            {"expires_at": expires.isoformat(), **payload}, "UserLoggedIn")
                identity = Identity(username, Role(row.role), UserId(row.id or 0), expires)
            elif failure is not None:
                if row is not None and payload["reason"] in ("bad password", "bad totp"):
                    row.failed_logins += 1
                    payload["failed_logins"] = row.failed_logins
                    if row.failed_logins >= sec.lockout_threshold:
                        row.locked_until = now + timedelta(seconds=sec.lockout_s)
                        row.failed_logins = 0
                        payload["locked_until"] = row.locked_until.isoformat()
                    s.add(row)
                cls._record(s, ws, now, username, "auth.login", f"user:{username}", AuditOutcome.DENIED,
                            {**payload, "error": type(failure).__name__}, "AccessDenied")
        if failure is not None:
            raise failure
        return cls(ws, identity, token)

    @classmethod
    def _login_failure(
        cls, ws: Workspace, row: UserRow, password: str, totp: str | None, now: datetime, payload: dict[str, Any]
    ) -> NotAllowed | None:
        if row.disabled:
            payload["reason"] = "disabled"
            return AuthenticationFailed(f"account {row.username!r} is disabled; ask an ADMIN")
        if row.locked_until and utc(row.locked_until) > now:
            payload["reason"] = "locked"
            until = utc(row.locked_until).strftime("%H:%M:%S UTC")
            return AccountLocked(f"account {row.username!r} is locked after failed logins until {until}")
        if not ws.passwords.verify(row.password_hash, password):
            payload["reason"] = "bad password"
            return AuthenticationFailed("invalid username or password")
        return cls._check_login_totp(ws, row, totp, now, payload)

    @staticmethod
    def _check_login_totp(
        ws: Workspace, row: UserRow, code: str | None, now: datetime, payload: dict[str, Any]
    ) -> NotAllowed | None:
        if row.totp_secret is None and (row.totp_pending is None or not code):
            return None
        if not code:
            payload["reason"] = "totp required"
            return TotpRequired("this account needs a TOTP code from its authenticator app")
        secret = ws.key.decrypt(row.totp_secret or row.totp_pending or "")
        step = otp.match_step(secret, code, now, row.totp_last_step)
        if step is None:
            payload["reason"] = "bad totp"
            return InvalidTotp("TOTP code is wrong or already used")
        row.totp_last_step = step
        if row.totp_secret is None:
            row.totp_secret, row.totp_pending = row.totp_pending, None
            payload["totp_enrolled"] = True
        return None

    @classmethod
    def resume(cls, ws: Workspace, token: str) -> Self:
        """Return a Console for an existing session token, refusing expired or forged ones."""
        console = cls(ws, Identity("anonymous", Role.VIEWER), token)
        with console._guard("auth.resume", "session"), ws.store.read() as s:
            console._authenticate(s, ws.clock.now())
        return console

    @classmethod
    def system(cls, ws: Workspace, name: str, role: Role = Role.ADMIN) -> Self:
        """Return a Console for a named automatic actor (no session, never a person)."""
        if not name or ":" in name:
            raise InvalidInput(f"system actor name must be non-empty without ':', was {name!r}")
        return cls(ws, Identity(f"system:{name}", role), None)


    @property
    def identity(self) -> Identity:
        """Return who this Console acts for."""
        return self._identity

    @property
    def token(self) -> str | None:
        """Return the session token (None for system actors)."""
        return self._token

    def can(self, permission: Permission) -> bool:
        """Return whether the identity's role holds ``permission`` (for showing controls)."""
        return allowed(self._identity.role, permission)

    @staticmethod
    def _record(
        s: Session, ws: Workspace, now: datetime, actor: str, action: str, subject: str,
        outcome: AuditOutcome, payload: dict[str, Any], *events: str,
    ) -> AuditEntry:
        entry = audit.append(s, ws.key, ts=now, actor=actor, action=action, subject=subject,
                             outcome=outcome, payload=payload)
        for event in events:
            publish(s, ts=now, type=event, subject=subject,
                    payload={"actor": actor, "action": action, **payload}, audit_seq=entry.seq)
        return entry

    def _authenticate(self, s: Session, now: datetime) -> Identity:
        if self._token is not None:
            self._identity = acc.resolve_session(s, self._token, now)
        return self._identity

    def _authorize(self, s: Session, now: datetime, permission: Permission, action: str) -> Identity:
        identity = self._authenticate(s, now)
        if not allowed(identity.role, permission):
            raise PermissionDenied(f"role {identity.role.value} may not {action} (needs {permission.value})")
        return identity

    @contextmanager
    def _guard(self, action: str, subject: str) -> Iterator[None]:
        try:
            yield
        except NotAllowed as exc:
            self._deny(action, subject, exc)
            raise

    def _deny(self, action: str, subject: str, exc: NotAllowed) -> None:
        ws = self.workspace
        with ws.store.write() as s:
            self._record(s, ws, ws.clock.now(), self._identity.actor, action, subject, AuditOutcome.DENIED,
                         {"error": type(exc).__name__, "reason": str(exc)}, "AccessDenied")

    def _write(self, permission: Permission, action: str, subject: str,
               work: Callable[[Session, datetime, Identity], Done]) -> Any:
        ws = self.workspace
        with self._guard(action, subject), ws.store.write() as s:
            now = ws.clock.now()
            identity = self._authorize(s, now, permission, action)
            done = work(s, now, identity)
            self._record(s, ws, now, identity.actor, action, subject, done.outcome, done.payload, *done.events)
        return done.result

    def _read(self, permission: Permission, action: str, work: Callable[[Session], T]) -> T:
        ws = self.workspace
        with self._guard(action, "read"), ws.store.read() as s:
            self._authorize(s, ws.clock.now(), permission, action)
            return work(s)

    def _require_totp(self, s: Session, identity: Identity, code: str | None, now: datetime) -> None:
        row = acc.get_user(s, identity.username) if identity.user_id is not None else None
        if row is None or row.totp_secret is None:
            raise TotpRequired(f"{identity.username} must enrol TOTP before privileged actions")
        if not code:
            raise TotpRequired("this privileged action needs a current TOTP code")
        step = otp.match_step(self.workspace.key.decrypt(row.totp_secret), code, now, row.totp_last_step)
        if step is None:
            raise InvalidTotp("TOTP code is wrong or already used")
        row.totp_last_step = step
        s.add(row)


    def whoami(self) -> Identity:
        """Return the identity after re-checking the session."""
        with self._guard("auth.whoami", "session"), self.workspace.store.read() as s:
            return self._authenticate(s, self.workspace.clock.now())

    def logout(self) -> None:
        """End this session."""
        def work(s: Session, now: datetime, who: Identity) -> Done:
            if self._token is not None and who.user_id is not None:
                acc.revoke_sessions(s, who.user_id, now, self._token)
            return Done(None, {}, ["UserLoggedOut"])

        self._write(Permission.SELF_MANAGE, "auth.logout", f"user:{self._identity.username}", work)

    def change_password(self, old_password: str, new_password: str) -> None:
        """Change your own password; other sessions of yours are ended."""
        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = acc.get_user(s, who.username)
            if not self.workspace.passwords.verify(row.password_hash, old_password):
                raise AuthenticationFailed("current password is wrong")
            self.workspace.passwords.check(new_password, who.username)
            row.password_hash = self.workspace.passwords.hash(new_password)
            row.updated_at = now
            s.add(row)
            acc.revoke_sessions(s, row.id or 0, now)
            return Done(None, {}, ["PasswordChanged"])

        self._write(Permission.SELF_MANAGE, "users.change_password", f"user:{self._identity.username}", work)
