"""Console: the one facade for every action that changes state, whoever calls it.

Each write goes: authorize the identity for the action's permission -> do the work in one
transaction -> append one audit entry -> publish an event, all committed together. A refused
attempt (wrong role, bad credentials, bad TOTP, self-approval) is rolled back and then recorded
as a ``denied`` audit entry in its own transaction, so the ledger shows who tried what.
Dashboards, notebooks, the CLI, webhooks and jobs all hold a Console; none writes otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO, TypeVar

from sqlmodel import Session, col, select

from athena import audit
from athena.audit import AuditFilter, VerifyReport
from athena.auth import Permission, TotpEnrolment, allowed, generate_password
from athena.auth import accounts as acc
from athena.auth import totp as otp
from athena.clock import utc
from athena.errors import (
    AccountLocked,
    ApprovalNotPending,
    AuthenticationFailed,
    DuplicateUser,
    InvalidInput,
    InvalidTotp,
    NotAllowed,
    PermissionDenied,
    SelfApproval,
    TotpRequired,
    UnknownApproval,
)
from athena.model import (
    Approval,
    ApprovalId,
    ApprovalStatus,
    AuditEntry,
    AuditOutcome,
    Event,
    Identity,
    Role,
    TradingMode,
    User,
    UserId,
)
from athena.store import ApprovalRow, SettingRow, UserRow, events_since, publish
from athena.workspace import Workspace

__all__ = ["Console", "Done"]

T = TypeVar("T")


@dataclass
class Done:
    """What a unit of work hands back: its result, the audit payload and the events to publish."""

    result: Any = None
    payload: dict[str, Any] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)


PrivilegedHandler = Callable[[Session, dict[str, Any], datetime], dict[str, Any]]


def _set_live_mode(session: Session, params: dict[str, Any], now: datetime) -> dict[str, Any]:
    row = session.get(SettingRow, "trading_mode")
    previous = row.value if row else TradingMode.PAPER.value
    session.merge(SettingRow(key="trading_mode", value=TradingMode.LIVE.value))
    return {"trading_mode": TradingMode.LIVE.value, "previous": previous}


PRIVILEGED_ACTIONS: dict[str, tuple[Permission, PrivilegedHandler, str]] = {
    "mode.live": (Permission.MODE_LIVE, _set_live_mode, "TradingModeChanged"),
}


def _approval(row: ApprovalRow) -> Approval:
    return Approval(
        id=ApprovalId(row.id or 0),
        action=row.action,
        params=json.loads(row.params),
        requested_by=row.requested_by,
        requested_at=utc(row.requested_at),
        expires_at=utc(row.expires_at),
        status=ApprovalStatus(row.status),
        decided_by=row.decided_by,
        decided_at=utc(row.decided_at) if row.decided_at else None,
        reason=row.reason,
    )


class Console:
    """Every operator action, bound to one authenticated identity."""

    def __init__(self, workspace: Workspace, identity: Identity, token: str | None) -> None:
        self.workspace = workspace
        self._identity = identity
        self._token = token

    # ------------------------------------------------------------------ doors

    @classmethod
    def login(cls, ws: Workspace, username: str, password: str, totp: str | None = None) -> Console:
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
    def resume(cls, ws: Workspace, token: str) -> Console:
        """Return a Console for an existing session token, refusing expired or forged ones."""
        console = cls(ws, Identity("anonymous", Role.VIEWER), token)
        with console._guard("auth.resume", "session"), ws.store.read() as s:
            console._authenticate(s, ws.clock.now())
        return console

    @classmethod
    def system(cls, ws: Workspace, name: str, role: Role = Role.ADMIN) -> Console:
        """Return a Console for a named automatic actor (no session, never a person)."""
        if not name or ":" in name:
            raise InvalidInput(f"system actor name must be non-empty without ':', was {name!r}")
        return cls(ws, Identity(f"system:{name}", role), None)

    # -------------------------------------------------------------- mechanics

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
            self._record(s, ws, now, identity.actor, action, subject, AuditOutcome.OK, done.payload, *done.events)
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

    # --------------------------------------------------------------- identity

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

    # ------------------------------------------------------------------ users

    def list_users(self) -> list[User]:
        """Return every user, sorted by name."""
        return self._read(Permission.USERS_READ, "users.list",
                          lambda s: [acc.to_user(r) for r in s.exec(select(UserRow).order_by(col(UserRow.username)))])

    def add_user(self, username: str, role: Role | str, password: str | None = None) -> tuple[User, str | None]:
        """Create a user; return it and the generated password when none was given."""
        def work(s: Session, now: datetime, who: Identity) -> Done:
            name = acc.validate_username(username)
            parsed = acc.parse_role(role)
            if acc.find_user(s, name) is not None:
                raise DuplicateUser(f"user {name!r} already exists")
            secret = password or generate_password()
            self.workspace.passwords.check(secret, name)
            row = UserRow(username=name, role=parsed.value, password_hash=self.workspace.passwords.hash(secret),
                          created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            generated = None if password else secret
            return Done((acc.to_user(row), generated), {"role": parsed.value, "generated_password": password is None},
                        ["UserAdded"])

        return self._write(Permission.USERS_MANAGE, "users.add", f"user:{username}", work)  # type: ignore[no-any-return]

    def _admin_change(self, action: str, username: str, event: str,
                      change: Callable[[Session, UserRow, datetime, Identity], dict[str, Any]]) -> Any:
        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = acc.get_user(s, username)
            payload = change(s, row, now, who)
            row.updated_at = now
            s.add(row)
            result = payload.pop("_result", None)
            return Done(result, payload, [event])

        return self._write(Permission.USERS_MANAGE, action, f"user:{username}", work)

    def _keep_an_admin(self, s: Session, row: UserRow, what: str) -> None:
        if row.role == Role.ADMIN.value and not row.disabled and acc.active_admins(s) <= 1:
            raise InvalidInput(f"cannot {what} {row.username!r}: it is the last active ADMIN")

    def disable_user(self, username: str) -> None:
        """Disable a user and end their sessions."""
        def change(s: Session, row: UserRow, now: datetime, who: Identity) -> dict[str, Any]:
            if row.username == who.username:
                raise InvalidInput("you cannot disable your own account")
            self._keep_an_admin(s, row, "disable")
            row.disabled = True
            acc.revoke_sessions(s, row.id or 0, now)
            return {}

        self._admin_change("users.disable", username, "UserDisabled", change)

    def enable_user(self, username: str) -> None:
        """Enable a user and clear any lockout."""
        def change(s: Session, row: UserRow, now: datetime, who: Identity) -> dict[str, Any]:
            row.disabled = False
            row.failed_logins = 0
            row.locked_until = None
            return {}

        self._admin_change("users.enable", username, "UserEnabled", change)

    def reset_password(self, username: str, new_password: str | None = None) -> str:
        """Set a new password (generated unless given), clear lockout, end the user's sessions."""
        secret = new_password or generate_password()

        def change(s: Session, row: UserRow, now: datetime, who: Identity) -> dict[str, Any]:
            self.workspace.passwords.check(secret, row.username)
            row.password_hash = self.workspace.passwords.hash(secret)
            row.failed_logins = 0
            row.locked_until = None
            acc.revoke_sessions(s, row.id or 0, now)
            return {"generated_password": new_password is None, "_result": secret}

        return self._admin_change("users.reset_password", username, "PasswordReset", change)  # type: ignore[no-any-return]

    def set_role(self, username: str, role: Role | str) -> None:
        """Change a user's role."""
        def change(s: Session, row: UserRow, now: datetime, who: Identity) -> dict[str, Any]:
            parsed = acc.parse_role(role)
            if parsed != Role.ADMIN:
                self._keep_an_admin(s, row, "demote")
            previous, row.role = row.role, parsed.value
            return {"role": parsed.value, "previous": previous}

        self._admin_change("users.set_role", username, "UserRoleChanged", change)

    def enroll_totp(self, username: str | None = None) -> TotpEnrolment:
        """Start TOTP enrolment for yourself (or, as ADMIN, for ``username``).

        The secret stays pending until a valid code is presented to :meth:`confirm_totp`
        or at login; an already enrolled secret keeps working until then.
        """
        target = username or self._identity.username
        own = target == self._identity.username
        secret = otp.new_secret()

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = acc.get_user(s, target)
            row.totp_pending = self.workspace.key.encrypt(secret)
            row.updated_at = now
            s.add(row)
            return Done(TotpEnrolment(target, secret, otp.provisioning_uri(secret, target)), {}, ["TotpEnrolmentStarted"])

        permission = Permission.SELF_MANAGE if own else Permission.USERS_MANAGE
        return self._write(permission, "users.enroll_totp", f"user:{target}", work)  # type: ignore[no-any-return]

    def confirm_totp(self, code: str, username: str | None = None) -> None:
        """Activate a pending TOTP secret with a current code from it."""
        target = username or self._identity.username

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = acc.get_user(s, target)
            if row.totp_pending is None:
                raise InvalidInput(f"{target} has no pending TOTP enrolment; start one first")
            step = otp.match_step(self.workspace.key.decrypt(row.totp_pending), code, now, None)
            if step is None:
                raise InvalidTotp("TOTP code does not match the pending secret")
            row.totp_secret, row.totp_pending, row.totp_last_step = row.totp_pending, None, step
            row.updated_at = now
            s.add(row)
            return Done(None, {}, ["TotpEnrolled"])

        permission = Permission.SELF_MANAGE if target == self._identity.username else Permission.USERS_MANAGE
        self._write(permission, "users.confirm_totp", f"user:{target}", work)

    # -------------------------------------------------- modes and approvals

    def trading_mode(self) -> TradingMode:
        """Return whether the workspace trades on paper or live venues."""
        def work(s: Session) -> TradingMode:
            row = s.get(SettingRow, "trading_mode")
            return TradingMode(row.value if row else TradingMode.PAPER.value)

        return self._read(Permission.EVENTS_READ, "mode.show", work)

    def request_trading_mode(self, mode: TradingMode | str, totp: str | None = None) -> Approval | None:
        """Switch to paper now, or request live mode (TOTP, then a second ADMIN's approval)."""
        target = TradingMode(str(mode).lower())
        if target == TradingMode.PAPER:
            def to_paper(s: Session, now: datetime, who: Identity) -> Done:
                row = s.get(SettingRow, "trading_mode")
                previous = row.value if row else TradingMode.PAPER.value
                s.merge(SettingRow(key="trading_mode", value=TradingMode.PAPER.value))
                return Done(None, {"trading_mode": "paper", "previous": previous}, ["TradingModeChanged"])

            self._write(Permission.MODE_PAPER, "mode.paper", "workspace:trading_mode", to_paper)
            return None
        return self.request_privileged("mode.live", {}, totp)

    def request_privileged(self, action: str, params: dict[str, Any], totp: str | None) -> Approval:
        """Ask for a privileged action; it runs when a different ADMIN approves it."""
        if action not in PRIVILEGED_ACTIONS:
            raise InvalidInput(f"unknown privileged action {action!r}; known: {', '.join(sorted(PRIVILEGED_ACTIONS))}")
        permission = PRIVILEGED_ACTIONS[action][0]

        def work(s: Session, now: datetime, who: Identity) -> Done:
            self._require_totp(s, who, totp, now)
            row = ApprovalRow(action=action, params=audit.canonical_json(params), requested_by=who.username,
                              requested_at=now, status=ApprovalStatus.PENDING.value,
                              expires_at=now + timedelta(seconds=self.workspace.settings.security.approval_ttl_s))
            s.add(row)
            s.flush()
            return Done(_approval(row), {"approval_id": row.id, "action": action, "params": params},
                        ["ApprovalRequested"])

        return self._write(permission, "approvals.request", f"action:{action}", work)  # type: ignore[no-any-return]

    def list_approvals(self, status: ApprovalStatus | str | None = None) -> list[Approval]:
        """Return approval requests, newest first, optionally of one status."""
        def work(s: Session) -> list[Approval]:
            stmt = select(ApprovalRow).order_by(col(ApprovalRow.id).desc())
            if status is not None:
                stmt = stmt.where(ApprovalRow.status == ApprovalStatus(status).value)
            return [_approval(r) for r in s.exec(stmt)]

        return self._read(Permission.AUDIT_READ, "approvals.list", work)

    def _pending(self, s: Session, approval_id: int, now: datetime) -> ApprovalRow:
        row = s.get(ApprovalRow, approval_id)
        if row is None:
            raise UnknownApproval(f"no approval request with id {approval_id}")
        if row.status == ApprovalStatus.PENDING.value and utc(row.expires_at) <= now:
            raise ApprovalNotPending(f"approval {approval_id} expired at {utc(row.expires_at).isoformat()}")
        if row.status != ApprovalStatus.PENDING.value:
            raise ApprovalNotPending(f"approval {approval_id} is already {row.status}")
        return row

    def approve(self, approval_id: int, totp: str | None) -> Approval:
        """Approve another ADMIN's request with your TOTP; the action runs in the same transaction."""
        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = self._pending(s, approval_id, now)
            if row.requested_by == who.username:
                raise SelfApproval(f"{who.username} requested approval {approval_id}; a different ADMIN must approve")
            self._require_totp(s, who, totp, now)
            _, handler, event = PRIVILEGED_ACTIONS[row.action]
            effect = handler(s, json.loads(row.params), now)
            row.status, row.decided_by, row.decided_at = ApprovalStatus.APPROVED.value, who.username, now
            s.add(row)
            payload = {"approval_id": approval_id, "action": row.action, "requested_by": row.requested_by, **effect}
            return Done(_approval(row), payload, ["ApprovalDecided", event])

        return self._write(Permission.APPROVALS_DECIDE, "approvals.approve", f"approval:{approval_id}", work)  # type: ignore[no-any-return]

    def reject(self, approval_id: int, reason: str) -> Approval:
        """Reject a pending request, saying why."""
        if not reason.strip():
            raise InvalidInput("a rejection needs a reason")

        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = self._pending(s, approval_id, now)
            row.status, row.decided_by, row.decided_at, row.reason = (
                ApprovalStatus.REJECTED.value, who.username, now, reason.strip())
            s.add(row)
            return Done(_approval(row), {"approval_id": approval_id, "action": row.action, "reason": row.reason},
                        ["ApprovalDecided"])

        return self._write(Permission.APPROVALS_DECIDE, "approvals.reject", f"approval:{approval_id}", work)  # type: ignore[no-any-return]

    # ------------------------------------------------------------ audit/events

    def audit(self, flt: AuditFilter | None = None) -> list[AuditEntry]:
        """Return ledger entries matching ``flt`` (newest first by default)."""
        return self._read(Permission.AUDIT_READ, "audit.list", lambda s: audit.query(s, flt or AuditFilter()))

    def verify_audit(self) -> VerifyReport:
        """Recompute the whole chain and report the first entry that does not hold."""
        self._read(Permission.AUDIT_READ, "audit.verify", lambda s: None)
        return audit.verify(self.workspace.store, self.workspace.key)

    def export_audit(self, out: TextIO, fmt: str = "jsonl", flt: AuditFilter | None = None) -> int:
        """Write matching entries (oldest first) to ``out``; the export itself is audited."""
        base = flt or AuditFilter(limit=None)
        ordered = AuditFilter(**{**base.__dict__, "newest_first": False})
        entries = self._read(Permission.AUDIT_EXPORT, "audit.export", lambda s: audit.query(s, ordered))
        count = audit.export_entries(entries, out, fmt)
        self._write(Permission.AUDIT_EXPORT, "audit.export", "audit", lambda s, now, who: Done(
            None, {"format": fmt, "entries": count}, ["AuditExported"]))
        return count

    def events_since(self, after_id: int = 0, limit: int = 500) -> list[Event]:
        """Return up to ``limit`` events newer than ``after_id``, oldest first."""
        return self._read(Permission.EVENTS_READ, "events.read", lambda s: events_since(s, after_id, limit))

    def __repr__(self) -> str:
        return f"Console({self._identity.username!r}, role={self._identity.role.value})"
