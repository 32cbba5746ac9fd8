"""The MAX_VAR mandate: the historical VaR of a scope's book from the engine's recorded marks.

The measure
-----------
Historical simulation at 99 % confidence over one day, in the quote currency. The return history
is the marks the engine records with each snapshot (``detail["marks"]``, every instrument it
prices; older snapshots only carry their positions' marks): the simple returns between consecutive
snapshots that price every symbol of the book, over the newest :data:`WINDOW` snapshots. With
``pnl = R @ e`` for the current exposures ``e`` (quantity times mark, signed), the one-period
``VaR_p = -np.quantile(pnl, 0.01)`` (numpy's linear interpolation, as
:func:`athena.risk.var.value_at_risk`) and ``CVaR_p`` is minus the mean of the profits at or below
that quantile; both are scaled to one day by the square root of time,
``sqrt(86,400 s / period)``, where ``period`` is the median spacing of those snapshots.

A return whose snapshots are more than :data:`MAX_GAP` times that median apart (the engine was
stopped, or a symbol went unpriced for a while) spans many periods, and scaled as one it would
inflate the VaR: it is dropped, and the period is the median spacing of the returns kept.

Limits
------
A MAX_VAR limit's warn and breach levels are that one-day VaR in the quote currency. Pre-trade,
the book after the order is measured; the order is denied with ``LIMIT_MAX_VAR`` when that VaR is
above the breach level and above the VaR without the order (an order that lowers VaR, such as a
hedge, passes even while the book is over its limit). Post-trade, the monitor measures the live
book like every other limit.

Too little history
------------------
VaR needs :data:`MIN_RETURNS` returns of every symbol the book would hold. Without them the risk
cannot be measured, so it is not taken: an order that adds exposure is denied with
``LIMIT_MAX_VAR_NO_HISTORY`` (the message names the symbols and their counts), while an order that
only reduces its position passes. The monitor reports nothing for such a scope until the history
exists (the Risk page says why).

Speed
-----
The marks are read once per database (per engine object) and extended with the new snapshots only; the return matrix
of a set of symbols is kept until the next snapshot. An order only changes the exposure vector, so
a check is one matrix-vector product and one quantile. numpy loads on the first measurement, so
the order path stays light for workspaces without a VaR limit.
"""

from __future__ import annotations

import json
import math
import threading
import weakref
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from athena.clock import utc
from athena.execution.portfolio import PortfolioView
from athena.model import DenialReason, OrderRequest
from athena.risk.mandates import Limit, LimitKind
from athena.store import SnapshotRow

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    _Array = npt.NDArray[np.float64]

__all__ = [
    "CONFIDENCE",
    "HORIZON_S",
    "MAX_GAP",
    "MIN_RETURNS",
    "WINDOW",
    "MarkHistory",
    "VarFigure",
    "book_var",
    "history_of",
    "measure",
    "pre_trade_var",
    "scope_var",
    "snapshot_marks",
]

CONFIDENCE = 0.99
HORIZON_S = 86_400.0
WINDOW = 600
MIN_RETURNS = 100
MAX_GAP = 2.0


@dataclass(frozen=True, slots=True)
class VarFigure:
    """A one-day historical VaR and CVaR of a book, or why it could not be measured.

    Attributes
    ----------
    var, cvar : float or None
        Losses in the quote currency (None when not measured).
    observations : int
        Snapshot returns used (or available, when too few).
    period_s : float
        Median spacing of those snapshots, in seconds.
    reason : str
        Empty when measured; otherwise what was missing.
    """

    var: float | None
    cvar: float | None
    observations: int
    period_s: float
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the figures with the method, confidence and horizon, JSON-friendly."""
        return {"var": self.var, "cvar": self.cvar, "method": "historical", "confidence": CONFIDENCE,
                "horizon": "1d", "scaling": "square root of time from the snapshot period",
                "observations": self.observations, "period_s": self.period_s, "reason": self.reason}


def snapshot_marks(detail: Mapping[str, Any]) -> dict[str, float]:
    """Return the marks a snapshot recorded: every instrument's, else its positions'."""
    marks = detail.get("marks")
    if isinstance(marks, dict):
        return {str(k): float(v) for k, v in marks.items()}
    return {str(p["symbol"]): float(p["mark"]) for p in detail.get("positions", [])
            if p.get("mark") not in (None, "None")}


def measure(returns: _Array, period_s: float, exposures: _Array) -> tuple[float, float]:
    """Return the one-day historical VaR and CVaR of ``exposures`` (see the module docstring).

    Parameters
    ----------
    returns : numpy.ndarray
        ``(periods, symbols)`` simple returns.
    period_s : float
        Seconds per period, > 0.
    exposures : numpy.ndarray
        Signed exposure per symbol, in the quote currency.

    Returns
    -------
    tuple of float
        VaR and CVaR over one day.
    """
    import numpy as np

    pnl = returns @ exposures
    cut = float(np.quantile(pnl, 1.0 - CONFIDENCE))
    scale = math.sqrt(HORIZON_S / period_s)
    return -cut * scale, -float(pnl[pnl <= cut].mean()) * scale


class MarkHistory:
    """The newest :data:`WINDOW` snapshots' marks of one database, extended with new snapshots only."""

    def __init__(self, window: int = WINDOW) -> None:
        self._rows: deque[tuple[float, dict[str, float]]] = deque(maxlen=window + 1)
        self._window = window
        self._last: tuple[int, float] = (0, 0.0)
        self._matrices: dict[tuple[str, ...], tuple[_Array, float]] = {}
        self._lock = threading.Lock()

    def refresh(self, s: Session) -> None:
        """Read the snapshots written since the last call (all of them when the table was replaced)."""
        newest = int(s.exec(select(func.max(SnapshotRow.id))).one() or 0)
        with self._lock:
            last_id, last_ts = self._last
            kept = s.get(SnapshotRow, last_id) if last_id else None
            # Checked before the "nothing new" shortcut: a replaced table can end on the same id.
            if newest < last_id or (last_id and (kept is None or utc(kept.ts).timestamp() != last_ts)):
                self._rows.clear()
                last_id = 0
            elif newest == last_id:
                return
            rows = s.exec(select(SnapshotRow.id, SnapshotRow.ts, SnapshotRow.detail)
                          .where(col(SnapshotRow.id) > last_id).order_by(col(SnapshotRow.id).desc())
                          .limit(self._window + 1)).all()
            for _, ts, detail in reversed(rows):
                self._rows.append((utc(ts).timestamp(), snapshot_marks(json.loads(detail))))
            self._last = (newest, utc(rows[0][1]).timestamp() if rows else 0.0)
            self._matrices.clear()

    def returns(self, symbols: Sequence[str]) -> tuple[_Array, float]:
        """Return the ``(periods, symbols)`` returns between snapshots pricing every symbol, and the period.

        Returns spanning more than :data:`MAX_GAP` median periods are left out (see the module docstring).

        Parameters
        ----------
        symbols : sequence of str
            The book's symbols, in the order of its exposure vector.

        Returns
        -------
        tuple of numpy.ndarray and float
            The returns and the median spacing of their snapshots in seconds (0 when fewer than two).
        """
        import numpy as np

        key = tuple(symbols)
        with self._lock:
            cached = self._matrices.get(key)
            if cached is None:
                priced = [(ts, [marks[x] for x in key]) for ts, marks in self._rows if all(x in marks for x in key)]
                if len(priced) < 2:
                    cached = (np.empty((0, len(key)), dtype=np.float64), 0.0)
                else:
                    prices = np.array([p for _, p in priced], dtype=np.float64)
                    gaps = np.diff([ts for ts, _ in priced])
                    kept = gaps <= MAX_GAP * float(np.median(gaps))
                    period = float(np.median(gaps[kept]))
                    cached = (np.asarray((prices[1:] / prices[:-1] - 1.0)[kept], dtype=np.float64), period)
                self._matrices[key] = cached
            return cached

    def counts(self, symbols: Iterable[str]) -> dict[str, int]:
        """Return how many snapshot returns each symbol has on its own."""
        with self._lock:
            return {x: max(sum(1 for _, marks in self._rows if x in marks) - 1, 0) for x in symbols}


# Keyed by the engine object, not its URL: every in-memory SQLite database has the URL "sqlite://".
_HISTORIES: weakref.WeakKeyDictionary[Engine, MarkHistory] = weakref.WeakKeyDictionary()
_HISTORIES_LOCK = threading.Lock()


def history_of(s: Session) -> MarkHistory:
    """Return the (cached, refreshed) mark history of the database ``s`` is bound to."""
    key = s.get_bind().engine
    with _HISTORIES_LOCK:
        history = _HISTORIES.get(key)
        if history is None:
            history = _HISTORIES[key] = MarkHistory()
    history.refresh(s)
    return history


def book_var(history: MarkHistory, exposures: Mapping[str, float]) -> VarFigure:
    """Return the one-day historical VaR and CVaR of signed exposures per symbol from ``history``.

    Parameters
    ----------
    history : MarkHistory
        The recorded marks.
    exposures : mapping of str to float
        Signed exposure per symbol, in the quote currency; zeros are ignored.

    Returns
    -------
    VarFigure
        The figures, or the reason they could not be measured (too few returns of some symbols).
    """
    import numpy as np

    held = {x: v for x, v in exposures.items() if v != 0.0}
    if not held:
        return VarFigure(0.0, 0.0, 0, 0.0)
    symbols = sorted(held)
    returns, period = history.returns(symbols)
    if len(returns) < MIN_RETURNS or period <= 0:
        counts = history.counts(symbols)
        short = ", ".join(f"{x} has {n}" for x, n in counts.items() if n < MIN_RETURNS) or \
            f"together they have {len(returns)}"
        return VarFigure(None, None, len(returns), period,
                         f"too little price history: {short} snapshot returns, {MIN_RETURNS} needed")
    var, cvar = measure(returns, period, np.array([held[x] for x in symbols], dtype=np.float64))
    return VarFigure(var, cvar, len(returns), period)


def _exposures(view: PortfolioView) -> dict[str, float]:
    return {p.symbol: float(p.quantity * p.mark) for p in view.positions if p.quantity and p.mark is not None}


def scope_var(s: Session, view: PortfolioView, limits: Iterable[Limit]) -> Decimal | None:
    """Return the live one-day VaR of a scope's book when it has a MAX_VAR limit and it can be measured."""
    if not any(lim.kind is LimitKind.MAX_VAR for lim in limits):
        return None
    figure = book_var(history_of(s), _exposures(view))
    return None if figure.var is None else Decimal(repr(figure.var))


def pre_trade_var(s: Session, request: OrderRequest, price: Decimal | None, view: PortfolioView,
                  limits: Iterable[Limit]) -> tuple[DenialReason, str] | None:
    """Return the denial of an order that would take its scope's VaR over a MAX_VAR limit, or None.

    Parameters
    ----------
    s : Session
        The order's transaction.
    request : OrderRequest
        The order.
    price : Decimal or None
        Its expected fill price (the mark); the mandate check refuses orders without one first.
    view : PortfolioView
        The scope's book before the order.
    limits : iterable of Limit
        The scope's limits.

    Returns
    -------
    tuple of DenialReason and str, or None
        ``LIMIT_MAX_VAR`` or ``LIMIT_MAX_VAR_NO_HISTORY`` with a message, or None when it passes.
    """
    limit = next((lim for lim in limits if lim.kind is LimitKind.MAX_VAR), None)
    if limit is None or price is None:
        return None
    before = _exposures(view)
    held = next((p.quantity for p in view.positions if p.symbol == request.symbol), Decimal(0))
    after_qty = held + request.side.sign * request.quantity
    if abs(after_qty) < abs(held):
        return None
    after = {**before, request.symbol: float(after_qty * price)}
    history = history_of(s)
    measured = book_var(history, after)
    if measured.var is None:
        return DenialReason.LIMIT_MAX_VAR_NO_HISTORY, (
            f"MAX_VAR of {limit.scope} cannot be measured after this order: {measured.reason}; "
            "orders that add exposure wait for the history")
    if Decimal(repr(measured.var)) <= limit.breach:
        return None
    current = book_var(history, before).var
    if current is not None and measured.var <= current:
        return None
    return DenialReason.LIMIT_MAX_VAR, (
        f"MAX_VAR would be {measured.var:,.2f} > {limit.breach} for {limit.scope} "
        f"(1-day historical VaR 99%, quote currency; now {0.0 if current is None else current:,.2f})")
