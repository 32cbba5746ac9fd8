"""Strategy lifecycle: registered -> approved -> paper -> live, versioned parameters, halts.

Approving takes RISK or ADMIN, paper trading a TRADER. Going live takes an ADMIN with a current
TOTP code and an exchange venue (``athena venues set``): from then on the engine sends the
strategy's orders to the exchange (its testnet unless the trading mode is LIVE); until then they
fill on the paper venue at the exchange's prices.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from athena.audit import canonical_json
from athena.auth import Permission
from athena.clock import utc
from athena.console._core import Done
from athena.console._trading import TradingMixin
from athena.errors import InvalidInput
from athena.execution.oms import PAPER_VENUE
from athena.execution.portfolio import holdings
from athena.model import Identity, OrderStatus, TradingState, to_decimal
from athena.risk import set_state, strategy_scope
from athena.store import DeploymentRow, InstrumentRow, OrderRow, ParamVersionRow, TradingStateRow

__all__ = ["LIFECYCLE", "Deployment", "StrategiesMixin"]

LIFECYCLE = ("registered", "approved", "paper", "live")
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")


@dataclass(frozen=True, slots=True)
class Deployment:
    """A strategy configured to trade: what runs, on what, with which parameters and capital."""

    name: str
    ref: str
    symbols: tuple[str, ...]
    timeframe: str
    params: dict[str, Any]
    params_version: int
    capital: Decimal
    lifecycle: str
    trading_state: TradingState | None
    created_by: str
    updated_at: datetime


def _deployment(row: DeploymentRow, state: TradingStateRow | None) -> Deployment:
    return Deployment(row.name, row.ref, tuple(json.loads(row.symbols)), row.timeframe, json.loads(row.params),
                      row.params_version, row.capital, row.lifecycle,
                      TradingState(state.state) if state else None, row.created_by, utc(row.updated_at))


def _checked_params(ref: str, params: dict[str, Any]) -> dict[str, Any]:
    from athena.strategies import create

    return dict(create(ref, params).params)


class StrategiesMixin(TradingMixin):
    """Console actions on strategy deployments."""

    def _get(self, s: Session, name: str) -> DeploymentRow:
        row = s.get(DeploymentRow, name)
        if row is None:
            raise InvalidInput(f"no strategy deployment named {name!r}")
        return row

    def register_strategy(self, name: str, ref: str, symbols: list[str] | tuple[str, ...], *,
                          params: dict[str, Any] | None = None, capital: Decimal | int | str = 100_000,
                          timeframe: str = "1m") -> Deployment:
        """Register a deployment of strategy ``ref`` (name or ``module:Class``) on ``symbols``."""
        def work(s: Session, now: datetime, who: Identity) -> Done:
            if not _NAME.match(name):
                raise InvalidInput(f"strategy name must be 2-64 of a-z, 0-9, '_', '.', '-' starting with a letter, "
                                   f"was {name!r}")
            try:
                amount = to_decimal(capital, "capital")
            except ValueError as exc:
                raise InvalidInput(str(exc)) from None
            if amount <= 0:
                raise InvalidInput(f"capital must be > 0, was {amount}")
            checked = _checked_params(ref, params or {})
            if s.get(DeploymentRow, name) is not None:
                raise InvalidInput(f"a strategy deployment named {name!r} exists already")
            known = {row.symbol for row in s.exec(select(InstrumentRow))}
            unknown = [sym for sym in symbols if sym not in known]
            if unknown or not symbols:
                raise InvalidInput(f"symbols must be instruments of the venue ({', '.join(sorted(known))}), "
                                   f"unknown: {', '.join(unknown) or 'none given'}")
            row = DeploymentRow(name=name, ref=ref, symbols=json.dumps(list(symbols)), timeframe=timeframe,
                                params=canonical_json(checked), params_version=1, capital=amount,
                                lifecycle="registered", created_by=who.actor, created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            s.add(ParamVersionRow(name=name, version=1, params=row.params, changed_by=who.actor, changed_at=now))
            return Done(_deployment(row, None), {"ref": ref, "symbols": list(symbols), "params": checked,
                                                 "capital": str(amount)}, ["StrategyRegistered"])

        return self._write(Permission.STRATEGIES_EDIT, "strategies.register", f"strategy:{name}", work)  # type: ignore[no-any-return]

    def _move(self, name: str, permission: Permission, action: str, allowed_from: tuple[str, ...], target: str,
              state: TradingState | None, reason: str,
              guard: Callable[[Session, datetime, Identity], None] | None = None) -> Deployment:
        def work(s: Session, now: datetime, who: Identity) -> Done:
            if guard is not None:
                guard(s, now, who)
            row = self._get(s, name)
            if row.lifecycle not in allowed_from:
                raise InvalidInput(f"strategy {name!r} is {row.lifecycle}; {action} needs it "
                                   f"{' or '.join(allowed_from)}")
            previous, row.lifecycle, row.updated_at = row.lifecycle, target, now
            s.add(row)
            if state is not None:
                set_state(s, strategy_scope(name), state, reason, who.actor, now)
            s.flush()
            return Done(_deployment(row, s.get(TradingStateRow, strategy_scope(name))),
                        {"from": previous, "to": target}, ["StrategyLifecycleChanged"])

        return self._write(permission, action, f"strategy:{name}", work)  # type: ignore[no-any-return]

    def approve_strategy(self, name: str) -> Deployment:
        """Approve a registered strategy for paper trading (RISK or ADMIN)."""
        return self._move(name, Permission.STRATEGIES_APPROVE, "strategies.approve", ("registered",), "approved",
                          None, "")

    def activate_strategy(self, name: str) -> Deployment:
        """Start an approved (or re-start a halted paper) strategy trading on the paper venue."""
        return self._move(name, Permission.STRATEGIES_RUN_PAPER, "strategies.activate", ("approved", "paper"),
                          "paper", TradingState.ACTIVE, "activated")

    def go_live_strategy(self, name: str, totp: str | None) -> Deployment:
        """Send a paper strategy's orders to the exchange venue from now on (ADMIN with a TOTP code).

        Also re-starts a halted live strategy. Refused, changing nothing, while orders go to the
        paper venue: choose an exchange first with :meth:`set_venue`.
        """
        def guard(s: Session, now: datetime, who: Identity) -> None:
            self._require_totp(s, who, totp, now)
            if self._venue_name(s) == PAPER_VENUE:
                raise InvalidInput(f"strategy {name!r} cannot go live: orders go to the paper venue; choose an "
                                   "exchange first (athena venues set binance ...)")
            row = s.get(DeploymentRow, name)
            if row is not None and row.lifecycle == "paper":
                # Its paper book is not held at the exchange: the live strategy would trade out of coins
                # it never bought there.
                held = sorted(symbol for symbol, h in holdings(s, name).items() if h.quantity != 0)
                working = s.exec(select(col(OrderRow.id)).where(
                    col(OrderRow.strategy) == name,
                    col(OrderRow.status).in_([st.value for st in OrderStatus if st.is_open]))).first()
                if held or working is not None:
                    raise InvalidInput(f"strategy {name!r} cannot go live while its paper book is open (positions: "
                                       f"{', '.join(held) or 'none'}; open orders: {'yes' if working else 'none'}): "
                                       "halt it and flatten on paper first")

        return self._move(name, Permission.STRATEGIES_RUN_LIVE, "strategies.go_live", ("paper", "live"), "live",
                          TradingState.ACTIVE, "live on the exchange", guard)

    def halt_strategy(self, name: str, reason: str) -> None:
        """Stop a strategy from opening positions (its orders are then reduce-only)."""
        with self.workspace.store.read() as s:
            self._get(s, name)
        self.set_trading_state(TradingState.HALTED, strategy=name, reason=reason)

    def set_strategy_params(self, name: str, params: dict[str, Any]) -> Deployment:
        """Change parameters (validated by the strategy) as a new version."""
        def work(s: Session, now: datetime, who: Identity) -> Done:
            row = self._get(s, name)
            merged = _checked_params(row.ref, {**json.loads(row.params), **params})
            previous = json.loads(row.params)
            row.params, row.params_version, row.updated_at = canonical_json(merged), row.params_version + 1, now
            s.add(row)
            s.add(ParamVersionRow(name=name, version=row.params_version, params=row.params, changed_by=who.actor,
                                  changed_at=now))
            s.flush()
            return Done(_deployment(row, s.get(TradingStateRow, strategy_scope(name))),
                        {"version": row.params_version, "params": merged, "previous": previous},
                        ["StrategyParamsChanged"])

        return self._write(Permission.STRATEGIES_EDIT, "strategies.params", f"strategy:{name}", work)  # type: ignore[no-any-return]

    def strategies(self) -> list[Deployment]:
        """Return every deployment with its lifecycle and trading state."""
        def work(s: Session) -> list[Deployment]:
            states = {row.scope: row for row in s.exec(select(TradingStateRow))}
            rows = s.exec(select(DeploymentRow).order_by(col(DeploymentRow.name)))
            return [_deployment(r, states.get(strategy_scope(r.name))) for r in rows]

        return self._read(Permission.EVENTS_READ, "strategies.list", work)

    def strategy_param_history(self, name: str) -> list[tuple[int, dict[str, Any], str, datetime]]:
        """Return (version, params, changed_by, changed_at) of every parameter version, oldest first."""
        def work(s: Session) -> list[tuple[int, dict[str, Any], str, datetime]]:
            self._get(s, name)
            rows = s.exec(select(ParamVersionRow).where(ParamVersionRow.name == name)
                          .order_by(col(ParamVersionRow.version)))
            return [(r.version, json.loads(r.params), r.changed_by, utc(r.changed_at)) for r in rows]

        return self._read(Permission.EVENTS_READ, "strategies.params_history", work)
