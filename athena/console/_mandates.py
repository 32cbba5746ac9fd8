"""Mandates through Console: limits per scope, pre-trade checks, the live status, loosening by approval."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from athena.auth import Permission
from athena.console._approvals import PRIVILEGED_ACTIONS
from athena.console._core import Done, choice
from athena.console._strategies import StrategiesMixin
from athena.errors import InvalidInput
from athena.model import Approval, Identity, to_decimal
from athena.risk import GLOBAL
from athena.risk.checks import limit_from_row, limits_of, scope_figures
from athena.risk.mandates import BreachAction, Limit, LimitKind, LimitStatus, evaluate, is_looser
from athena.risk.var_limit import scope_var
from athena.store import LimitRow

__all__ = ["MandatesMixin"]


def _apply_limit(s: Session, params: dict[str, Any], now: datetime, by: str) -> dict[str, Any]:
    existing = s.exec(select(LimitRow).where(LimitRow.scope == params["scope"],
                                             LimitRow.kind == params["kind"])).first()
    if params.get("remove"):
        if existing is not None:
            s.delete(existing)
        return {"scope": params["scope"], "kind": params["kind"], "removed": True}
    row = existing or LimitRow(scope=params["scope"], kind=params["kind"], breach=Decimal(0), action="ALERT",
                               symbols="[]", updated_by=by, updated_at=now)
    row.breach = Decimal(params["breach"])
    row.warn = Decimal(params["warn"]) if params.get("warn") is not None else None
    row.action, row.symbols = params["action"], json.dumps(params.get("symbols", []))
    row.updated_by, row.updated_at = by, now
    s.add(row)
    return {k: v for k, v in params.items() if k != "remove"}


PRIVILEGED_ACTIONS["mandate.loosen"] = (Permission.MANDATES_EDIT, _apply_limit, "MandateChanged")


class MandatesMixin(StrategiesMixin):
    """Console actions on mandates."""

    def set_limit(self, scope: str, kind: LimitKind | str, *, breach: Decimal | int | str | None = None,
                  warn: Decimal | int | str | None = None, action: BreachAction | str = BreachAction.ALERT,
                  symbols: list[str] | tuple[str, ...] = (), totp: str | None = None) -> Approval | None:
        """Add or tighten a limit now; loosening one returns an approval request for a second ADMIN."""
        try:
            limit = Limit(scope, choice(LimitKind, kind, "limit kind"), to_decimal(breach or 0, "breach"),
                          None if warn is None else to_decimal(warn, "warn"), choice(BreachAction, action, "action"),
                          tuple(symbols))
        except ValueError as exc:
            raise InvalidInput(f"invalid limit: {exc}") from None
        return self._change_limit(limit.scope, limit.kind, limit, totp)

    def remove_limit(self, scope: str, kind: LimitKind | str, totp: str | None = None) -> Approval | None:
        """Remove a limit: that loosens the mandate, so it needs a second ADMIN's approval."""
        return self._change_limit(scope, choice(LimitKind, kind, "limit kind"), None, totp)

    def _change_limit(self, scope: str, kind: LimitKind, limit: Limit | None, totp: str | None) -> Approval | None:
        if scope != GLOBAL and not scope.startswith("strategy:"):
            raise InvalidInput(f"scope must be 'global' or 'strategy:<name>', was {scope!r}")
        params: dict[str, Any] = {"scope": scope, "kind": kind.value}
        if limit is None:
            params["remove"] = True
        else:
            params.update(breach=str(limit.breach), warn=None if limit.warn is None else str(limit.warn),
                          action=limit.action.value, symbols=list(limit.symbols))
        with self.workspace.store.read() as s:
            current = [lim for lim in limits_of(s, [scope]) if lim.kind is kind]
        if current and is_looser(limit, current[0]):
            return self.request_privileged("mandate.loosen", params, totp)
        if not current and limit is None:
            raise InvalidInput(f"{scope} has no {kind.value} limit")

        def work(s: Session, now: datetime, who: Identity) -> Done:
            return Done(None, _apply_limit(s, params, now, who.actor), ["MandateChanged"])

        self._write(Permission.MANDATES_EDIT, "mandates.set", f"mandate:{scope}:{kind.value}", work)
        return None

    def limits(self, scope: str | None = None) -> list[Limit]:
        """Return the limits of one scope, or of all."""
        def work(s: Session) -> list[Limit]:
            if scope:
                return limits_of(s, [scope])
            rows = s.exec(select(LimitRow).order_by(col(LimitRow.scope), col(LimitRow.id)))
            return [limit_from_row(row) for row in rows]

        return self._read(Permission.EVENTS_READ, "mandates.list", work)

    def mandate_status(self) -> list[LimitStatus]:
        """Measure every scope's live figures against its limits now."""
        def work(s: Session) -> list[LimitStatus]:
            now = self.workspace.clock.now()
            out: list[LimitStatus] = []
            scopes = sorted({row.scope for row in s.exec(select(LimitRow))})
            for scope in scopes:
                view, loss, drawdown, rate = scope_figures(s, scope, now)
                limits = limits_of(s, [scope])
                out += evaluate(view, limits, daily_loss=loss, drawdown=drawdown, order_rate=rate,
                                var=scope_var(s, view, limits))
            return out

        return self._read(Permission.EVENTS_READ, "mandates.status", work)
