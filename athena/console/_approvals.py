"""Trading mode and two-person approvals of privileged actions."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from athena import audit
from athena.auth import Permission
from athena.clock import utc
from athena.console._core import ConsoleCore, Done, choice
from athena.errors import ApprovalNotPending, InvalidInput, SelfApproval, UnknownApproval
from athena.model import Approval, ApprovalId, ApprovalStatus, Identity, TradingMode
from athena.store import ApprovalRow, SettingRow

__all__ = ["PRIVILEGED_ACTIONS", "ApprovalsMixin"]

PrivilegedHandler = Callable[[Session, dict[str, Any], datetime, str], dict[str, Any]]


def _set_live_mode(session: Session, params: dict[str, Any], now: datetime, by: str) -> dict[str, Any]:
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


class ApprovalsMixin(ConsoleCore):
    """Console actions on the trading mode and approvals."""


    def trading_mode(self) -> TradingMode:
        """Return whether the workspace trades on paper or live venues."""
        def work(s: Session) -> TradingMode:
            row = s.get(SettingRow, "trading_mode")
            return TradingMode(row.value if row else TradingMode.PAPER.value)

        return self._read(Permission.EVENTS_READ, "mode.show", work)

    def request_trading_mode(self, mode: TradingMode | str, totp: str | None = None) -> Approval | None:
        """Switch to paper now, or request live mode (TOTP, then a second ADMIN's approval)."""
        target = choice(TradingMode, mode, "trading mode")
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
                stmt = stmt.where(ApprovalRow.status == choice(ApprovalStatus, status, "approval status").value)
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
            effect = handler(s, json.loads(row.params), now, who.actor)
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
