"""Mandate checks against the database: the OMS pre-trade hook and the monitor's live figures."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, func, select

from athena.clock import utc
from athena.execution.marks import last_mark
from athena.execution.oms import Check
from athena.execution.portfolio import PortfolioView, portfolio, starting_cash
from athena.model import DenialReason, OrderRequest, OrderStatus
from athena.risk.mandates import BreachAction, Limit, LimitKind, pre_trade
from athena.risk.trading_state import GLOBAL, strategy_scope
from athena.risk.var_limit import pre_trade_var
from athena.store import DeploymentRow, LimitRow, MarkRow, OrderRow, SnapshotRow

__all__ = ["limit_from_row", "limits_of", "mandate_check", "scope_figures", "stale_marks", "stale_price_check"]

# Built once: every order reads the limits of its scopes.
_LIMITS = (select_columns(col(LimitRow.scope), col(LimitRow.kind), col(LimitRow.breach), col(LimitRow.warn),
                          col(LimitRow.action), col(LimitRow.symbols))
           .where(col(LimitRow.scope).in_(bindparam("scopes", expanding=True))).order_by(col(LimitRow.id)))


def limit_from_row(row: LimitRow) -> Limit:
    """Turn a stored row into a Limit."""
    return Limit(row.scope, LimitKind(row.kind), row.breach, row.warn, BreachAction(row.action),
                 tuple(json.loads(row.symbols)))


def limits_of(s: Session, scopes: list[str]) -> list[Limit]:
    """Return the limits of ``scopes``, in the order they were first set."""
    s.flush()
    return [Limit(scope, LimitKind(kind), breach, warn, BreachAction(action), tuple(json.loads(symbols)))
            for scope, kind, breach, warn, action, symbols in s.connection().execute(_LIMITS, {"scopes": scopes})]


def _scope_view(s: Session, scope: str) -> tuple[PortfolioView, Decimal]:
    if scope == GLOBAL:
        base = starting_cash(s)
        return portfolio(s, base), base
    name = scope.removeprefix("strategy:")
    deployment = s.get(DeploymentRow, name)
    base = deployment.capital if deployment else Decimal(0)
    return portfolio(s, base, name), base


def _orders_last_minute(s: Session, scope: str, now: datetime) -> int:
    stmt = select(func.count()).select_from(OrderRow).where(
        col(OrderRow.created_at) >= now - timedelta(minutes=1), OrderRow.status != OrderStatus.DENIED.value)
    if scope != GLOBAL:
        stmt = stmt.where(OrderRow.strategy == scope.removeprefix("strategy:"))
    return int(s.exec(stmt).one())


def stale_marks(s: Session, now: datetime, max_age_s: float) -> dict[str, float]:
    """Return the age in seconds of every symbol's last price older than ``max_age_s``."""
    ages = {row.symbol: (now - utc(row.ts)).total_seconds() for row in s.exec(select(MarkRow))}
    return {symbol: age for symbol, age in ages.items() if age > max_age_s}


def stale_price_check(now: datetime, max_age_s: float) -> Check:
    """Return the OMS check that refuses orders on a symbol whose last price is older than ``max_age_s``.

    A symbol that never had a price is left to the other checks (a limit order may rest without one).
    """
    def check(s: Session, request: OrderRequest) -> tuple[DenialReason, str] | None:
        mark = last_mark(s, request.symbol)
        if mark is None:
            return None
        age = (now - mark[1]).total_seconds()
        if age <= max_age_s:
            return None
        return DenialReason.STALE_PRICE, (f"the last price of {request.symbol} is {age:.1f} s old (limit "
                                          f"{max_age_s:g} s); the feed is stale or the engine is not running")

    return check


def mandate_check(now: datetime) -> Check:
    """Return the OMS check that applies the global and the order's strategy limits."""
    def check(s: Session, request: OrderRequest) -> tuple[DenialReason, str] | None:
        scopes = [GLOBAL] + ([strategy_scope(request.strategy)] if request.strategy else [])
        by_scope: dict[str, list[Limit]] = {}
        for limit in limits_of(s, scopes):
            by_scope.setdefault(limit.scope, []).append(limit)
        if not by_scope:
            return None
        mark = last_mark(s, request.symbol)
        price = request.price if request.price is not None and mark is None else (mark[0] if mark else None)
        for scope in scopes:
            limits = by_scope.get(scope, [])
            if not limits:
                continue
            view, _ = _scope_view(s, scope)
            hit = pre_trade(request, price, view, limits, orders_last_minute=_orders_last_minute(s, scope, now))
            if hit is not None:
                return DenialReason(f"LIMIT_{hit[0].value}"), hit[1]
            denied = pre_trade_var(s, request, price, view, limits)
            if denied is not None:
                return denied
        return None

    return check


def scope_figures(s: Session, scope: str, now: datetime) -> tuple[PortfolioView, Decimal, Decimal, Decimal]:
    """Return a scope's view, daily loss, drawdown and order rate, as the monitor measures them."""
    view, base = _scope_view(s, scope)
    if scope == GLOBAL:
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        first = s.exec(select(SnapshotRow).where(col(SnapshotRow.ts) >= day).order_by(col(SnapshotRow.id))
                       .limit(1)).first()
        last = s.exec(select(SnapshotRow).order_by(col(SnapshotRow.id).desc()).limit(1)).first()
        day_start = first.nav if first else base
        peak = max(last.peak_nav if last else base, view.nav)
    else:
        day_start = peak = base
    daily_loss = max(Decimal(0), day_start - view.nav)
    drawdown = max(Decimal(0), 1 - view.nav / peak) if peak > 0 else Decimal(0)
    return view, daily_loss, drawdown, Decimal(_orders_last_minute(s, scope, now))
