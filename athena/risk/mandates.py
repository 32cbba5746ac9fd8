"""Mandates: limits per scope (the portfolio or one strategy) with warn and breach levels.

Pre-trade, :func:`pre_trade` checks the portfolio as it would be after the order and refuses
with a stable reason code (``LIMIT_<KIND>``) when a breach level would be crossed; MAX_VAR is
measured by :mod:`athena.risk.var_limit` from the engine's recorded marks. Post-trade,
:func:`evaluate` measures the live figures against every limit; the engine's risk monitor raises
alerts at warn and takes the limit's breach action (halt the strategy, go REDUCING, or engage
the kill switch) at breach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from athena.execution.portfolio import PortfolioView, PositionView
from athena.model import OrderRequest

__all__ = ["BreachAction", "Level", "Limit", "LimitKind", "LimitStatus", "evaluate", "is_looser", "pre_trade"]

ZERO = Decimal(0)


class LimitKind(StrEnum):
    """What a limit bounds; values are upper bounds unless noted."""

    MAX_GROSS_LEVERAGE = "MAX_GROSS_LEVERAGE"
    MAX_NET_EXPOSURE = "MAX_NET_EXPOSURE"
    MAX_POSITION_NOTIONAL = "MAX_POSITION_NOTIONAL"
    MAX_CONCENTRATION = "MAX_CONCENTRATION"
    MAX_ORDER_NOTIONAL = "MAX_ORDER_NOTIONAL"
    MAX_ORDER_RATE = "MAX_ORDER_RATE"
    MAX_DAILY_LOSS = "MAX_DAILY_LOSS"
    MAX_DRAWDOWN = "MAX_DRAWDOWN"
    PRICE_COLLAR = "PRICE_COLLAR"
    ALLOWED_SYMBOLS = "ALLOWED_SYMBOLS"
    MAX_VAR = "MAX_VAR"


class BreachAction(StrEnum):
    """What the risk monitor does when a limit is breached."""

    ALERT = "ALERT"
    HALT_STRATEGY = "HALT_STRATEGY"
    REDUCE = "REDUCE"
    KILL_SWITCH = "KILL_SWITCH"


class Level(StrEnum):
    """Where a measured value stands against its limit."""

    OK = "OK"
    WARN = "WARN"
    BREACH = "BREACH"


UNITS = {
    LimitKind.MAX_GROSS_LEVERAGE: "gross exposure / NAV",
    LimitKind.MAX_NET_EXPOSURE: "absolute net exposure, quote currency",
    LimitKind.MAX_POSITION_NOTIONAL: "largest absolute position value, quote currency",
    LimitKind.MAX_CONCENTRATION: "largest position / gross exposure",
    LimitKind.MAX_ORDER_NOTIONAL: "order value, quote currency",
    LimitKind.MAX_ORDER_RATE: "orders per minute",
    LimitKind.MAX_DAILY_LOSS: "loss since 00:00 UTC, quote currency",
    LimitKind.MAX_DRAWDOWN: "fall from peak NAV, fraction",
    LimitKind.PRICE_COLLAR: "limit price distance from the mark, fraction",
    LimitKind.ALLOWED_SYMBOLS: "symbols the scope may trade",
    LimitKind.MAX_VAR: "1-day historical VaR 99%, quote currency (athena.risk.var_limit)",
}


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit of a scope's mandate."""

    scope: str
    kind: LimitKind
    breach: Decimal
    warn: Decimal | None = None
    action: BreachAction = BreachAction.ALERT
    symbols: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind is LimitKind.ALLOWED_SYMBOLS:
            if not self.symbols:
                raise ValueError("ALLOWED_SYMBOLS needs at least one symbol")
            return
        if not self.breach.is_finite() or self.breach <= 0:
            raise ValueError(f"{self.kind.value} breach level must be > 0, was {self.breach}")
        if self.warn is not None and not (0 < self.warn <= self.breach):
            raise ValueError(f"{self.kind.value} warn level must be in (0, breach], was warn={self.warn} "
                             f"breach={self.breach}")

    def level(self, value: Decimal) -> Level:
        """Return where ``value`` stands against this limit."""
        if value > self.breach:
            return Level.BREACH
        if self.warn is not None and value > self.warn:
            return Level.WARN
        return Level.OK


@dataclass(frozen=True, slots=True)
class LimitStatus:
    """A measured figure against one limit."""

    limit: Limit
    value: Decimal
    level: Level


def is_looser(new: Limit | None, old: Limit) -> bool:
    """Return whether replacing ``old`` by ``new`` (None: removing it) loosens the mandate."""
    if new is None:
        return True
    if old.kind is LimitKind.ALLOWED_SYMBOLS:
        return not set(new.symbols) <= set(old.symbols)
    old_warn = old.warn if old.warn is not None else old.breach
    new_warn = new.warn if new.warn is not None else new.breach
    return new.breach > old.breach or new_warn > old_warn


def _figures(view: PortfolioView) -> dict[LimitKind, Decimal]:
    values = [abs(p.market_value) for p in view.positions]
    gross = view.gross_exposure
    return {
        LimitKind.MAX_GROSS_LEVERAGE: view.leverage,
        LimitKind.MAX_NET_EXPOSURE: abs(view.net_exposure),
        LimitKind.MAX_POSITION_NOTIONAL: max(values, default=ZERO),
        LimitKind.MAX_CONCENTRATION: max(values, default=ZERO) / gross if gross > 0 else ZERO,
    }


def evaluate(view: PortfolioView, limits: Iterable[Limit], *, daily_loss: Decimal, drawdown: Decimal,
             order_rate: Decimal, var: Decimal | None = None) -> list[LimitStatus]:
    """Measure the live figures of a scope against its limits (ALLOWED_SYMBOLS and collars are pre-trade only).

    ``var`` is the scope's 1-day VaR (:func:`athena.risk.var_limit.scope_var`); MAX_VAR is skipped without it.
    """
    figures = {**_figures(view), LimitKind.MAX_DAILY_LOSS: daily_loss, LimitKind.MAX_DRAWDOWN: drawdown,
               LimitKind.MAX_ORDER_RATE: order_rate, **({LimitKind.MAX_VAR: var} if var is not None else {})}
    return [LimitStatus(limit, figures[limit.kind], limit.level(figures[limit.kind]))
            for limit in limits if limit.kind in figures]


def pre_trade(request: OrderRequest, price: Decimal | None, view: PortfolioView, limits: Iterable[Limit], *,
              orders_last_minute: int) -> tuple[LimitKind, str] | None:
    """Return the first limit the order would breach, with a message, or None when it passes."""
    limits = list(limits)
    signed = request.side.sign * request.quantity
    for limit in limits:
        if limit.kind is LimitKind.ALLOWED_SYMBOLS and request.symbol not in limit.symbols:
            return limit.kind, f"{request.symbol} is not allowed for {limit.scope} ({', '.join(limit.symbols)})"
        if limit.kind is LimitKind.MAX_ORDER_RATE and orders_last_minute + 1 > limit.breach:
            return limit.kind, f"{orders_last_minute + 1} orders in a minute > {limit.breach} for {limit.scope}"
    if price is None:
        needs_price = [lim for lim in limits if lim.kind not in (LimitKind.ALLOWED_SYMBOLS, LimitKind.MAX_ORDER_RATE,
                                                                  LimitKind.MAX_DAILY_LOSS, LimitKind.MAX_DRAWDOWN)]
        if needs_price:
            return needs_price[0].kind, f"no market price for {request.symbol} to check {needs_price[0].kind.value}"
        return None
    after = _after(view, request.symbol, signed, price)
    figures = _figures(after)
    reducing = abs(_quantity(view, request.symbol) + signed) < abs(_quantity(view, request.symbol))
    for limit in limits:
        if limit.kind is LimitKind.MAX_ORDER_NOTIONAL and request.quantity * price > limit.breach:
            return limit.kind, f"order value {request.quantity * price:.2f} > {limit.breach} for {limit.scope}"
        if limit.kind is LimitKind.PRICE_COLLAR and request.price is not None:
            distance = abs(request.price / price - 1)
            if distance > limit.breach:
                return limit.kind, f"limit price {request.price} is {distance:.2%} from the mark {price}, collar " \
                                   f"{limit.breach:.2%}"
        if limit.kind in figures and not reducing and figures[limit.kind] > limit.breach:
            return limit.kind, (f"{limit.kind.value} would be {figures[limit.kind]:.4f} > {limit.breach} "
                                f"for {limit.scope} ({UNITS[limit.kind]})")
    return None


def _quantity(view: PortfolioView, symbol: str) -> Decimal:
    return next((p.quantity for p in view.positions if p.symbol == symbol), ZERO)


def _after(view: PortfolioView, symbol: str, signed: Decimal, price: Decimal) -> PortfolioView:
    positions = [p for p in view.positions if p.symbol != symbol]
    current = next((p for p in view.positions if p.symbol == symbol), None)
    quantity = (current.quantity if current else ZERO) + signed
    positions.append(PositionView(symbol, quantity, current.average_price if current else price, price,
                                  current.realized_pnl if current else ZERO, current.fees if current else ZERO))
    return PortfolioView(view.cash - signed * price, tuple(positions), view.realized_pnl, view.fees)
