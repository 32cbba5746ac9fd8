"""User administration and self-service: accounts, roles, passwords, TOTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from athena.auth import Permission, TotpEnrolment, generate_password
from athena.auth import accounts as acc
from athena.auth import totp as otp
from athena.console._core import ConsoleCore, Done
from athena.errors import DuplicateUser, InvalidInput, InvalidTotp
from athena.model import Identity, Role, User
from athena.store import UserRow

__all__ = ["UsersMixin"]


class UsersMixin(ConsoleCore):
    """Console actions on users."""


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
            enrolment = TotpEnrolment(target, secret, otp.provisioning_uri(secret, target))
            return Done(enrolment, {}, ["TotpEnrolmentStarted"])

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
