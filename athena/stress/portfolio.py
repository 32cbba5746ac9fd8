"""What a stress test is applied to: a portfolio of positions at prices, and the limits it must keep."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from athena.errors import InvalidData, InvalidInput

if TYPE_CHECKING:
    from athena.backtest import BacktestResult
    from athena.execution.portfolio import PortfolioView
    from athena.model import RunBook, RunRecord

__all__ = ["Breach", "Limits", "LiveBook", "Portfolio", "RunHistory", "read_positions", "read_positions_table",
           "read_prices"]


class LiveBook(Protocol):
    """What :meth:`Portfolio.from_console` reads: ``athena.console.Console`` provides it."""

    def portfolio(self, strategy: str | None = None) -> PortfolioView:
        """Return the portfolio, or one strategy's book, valued at the latest marks."""
        ...


class RunHistory(Protocol):
    """What :func:`athena.stress.run` needs to look a run id up: ``athena.console.Console`` provides it."""

    def get_run(self, run_id: str) -> RunRecord:
        """Return one recorded run by id or unique prefix."""
        ...


def _number(value: object, what: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"{what} must be a number, was {value!r}") from None
    if not math.isfinite(number):
        raise InvalidData(f"{what} must be finite, was {value!r}")
    return number


@dataclass(frozen=True)
class Portfolio:
    """Net positions at prices, with cash; the value a stress scenario is applied to.

    Parameters
    ----------
    positions : mapping of str to float or Decimal
        Net quantity per symbol (negative for shorts); zero quantities are dropped.
    prices : mapping of str to float or Decimal
        Current price per symbol; every held symbol needs a finite price > 0.
    cash : float
        Cash (negative when borrowing); NAV is cash plus the signed notionals.
    peak_nav : float, optional
        The NAV's high-water mark, for drawdowns; defaults to the current NAV.
    stops : mapping of str to float
        Stop price per symbol: a long exits when the price falls to it, a short when it rises to it.
    asset_classes : mapping of str to str
        Asset class per symbol, where :func:`athena.stress.classify` would guess wrong.
    margin_rate : float, optional
        Margin required per unit of gross exposure (0.1 for 10x), for margin usage.
    """

    positions: Mapping[str, float]
    prices: Mapping[str, float]
    cash: float = 0.0
    peak_nav: float | None = None
    stops: Mapping[str, float] = field(default_factory=dict)
    asset_classes: Mapping[str, str] = field(default_factory=dict)
    margin_rate: float | None = None

    def __post_init__(self) -> None:
        held = {str(s): _number(q, f"quantity of {s}") for s, q in self.positions.items()}
        held = {s: q for s, q in held.items() if q != 0.0}
        marks: dict[str, float] = {}
        for s, p in self.prices.items():
            if isinstance(p, float) and math.isnan(p) or isinstance(p, Decimal) and p.is_nan():
                continue
            marks[str(s)] = _number(p, f"price of {s}")
        missing = sorted(s for s in held if s not in marks)
        if missing:
            raise InvalidData(f"no price for {', '.join(missing)} (NaN or missing); cannot value the portfolio")
        bad = sorted(s for s in held if marks[s] <= 0)
        if bad:
            raise InvalidData(f"prices must be > 0, were not for {', '.join(f'{s}={marks[s]}' for s in bad)}")
        object.__setattr__(self, "positions", held)
        object.__setattr__(self, "prices", marks)
        object.__setattr__(self, "cash", _number(self.cash, "cash"))
        object.__setattr__(self, "stops", {str(s): _number(p, f"stop of {s}") for s, p in self.stops.items()})
        for s, stop in self.stops.items():
            if s in held and (stop >= marks[s] if held[s] > 0 else stop <= marks[s]):
                side = "below" if held[s] > 0 else "above"
                raise InvalidInput(f"stop of {s} ({stop}) must be {side} its price ({marks[s]}) for that position")
        if self.peak_nav is not None:
            object.__setattr__(self, "peak_nav", _number(self.peak_nav, "peak_nav"))
        if self.margin_rate is not None and not 0 < _number(self.margin_rate, "margin_rate") <= 1:
            raise InvalidInput(f"margin_rate must be in (0, 1], was {self.margin_rate}")

    @property
    def nav(self) -> float:
        """Cash plus the signed notional of every position."""
        return self.cash + sum(q * self.prices[s] for s, q in self.positions.items())

    @property
    def peak(self) -> float:
        """The high-water mark: ``peak_nav`` or the current NAV, whichever is higher."""
        return max(self.nav, self.peak_nav) if self.peak_nav is not None else self.nav

    def with_order(self, symbol: str, quantity: float, price: float | None = None,
                   stop: float | None = None) -> Portfolio:
        """Return the portfolio after a fill of ``quantity`` (negative to sell) at ``price``.

        Parameters
        ----------
        symbol : str
            The symbol.
        quantity : float
            Signed quantity.
        price : float, optional
            Fill price; defaults to the current price of ``symbol``.
        stop : float, optional
            A stop price to attach to the position.

        Returns
        -------
        Portfolio
            With the position, price and cash updated.

        Raises
        ------
        InvalidInput
            When the quantity is zero or there is no price for ``symbol``.
        """
        qty = _number(quantity, "order quantity")
        if qty == 0.0:
            raise InvalidInput("order quantity must not be zero")
        if price is None and symbol not in self.prices:
            raise InvalidInput(f"no price for {symbol}; pass the order's price")
        fill = _number(price, "order price") if price is not None else self.prices[symbol]
        if fill <= 0:
            raise InvalidInput(f"order price must be > 0, was {fill}")
        positions = {**self.positions, symbol: self.positions.get(symbol, 0.0) + qty}
        prices = {**self.prices, symbol: self.prices.get(symbol, fill)}
        stops = {**self.stops, symbol: stop} if stop is not None else dict(self.stops)
        return replace(self, positions=positions, prices=prices, cash=self.cash - qty * fill, stops=stops,
                       peak_nav=self.peak)

    @classmethod
    def from_console(cls, console: LiveBook, *, strategy: str | None = None, cash: float | None = None,
                     **kwargs: Any) -> Portfolio:
        """Return the live portfolio (or one strategy's book) read through Console.

        Parameters
        ----------
        console : Console
            An authenticated console (needs ``events.read``).
        strategy : str, optional
            Only this strategy's book.
        cash : float, optional
            Override the book's cash (default: the cash Console reports).
        **kwargs
            Other :class:`Portfolio` fields (``stops``, ``peak_nav``, ...).

        Returns
        -------
        Portfolio
            Positions at their latest marks, with the book's cash.

        Raises
        ------
        InvalidData
            When a held symbol has no mark yet.
        """
        view = console.portfolio(strategy)
        held = [p for p in view.positions if p.quantity != 0]
        return cls(positions={p.symbol: float(p.quantity) for p in held},
                   prices={p.symbol: float(p.mark) for p in held if p.mark is not None},
                   cash=float(view.cash) if cash is None else cash, **kwargs)

    @classmethod
    def from_backtest(cls, result: BacktestResult) -> Portfolio:
        """Return the portfolio a backtest ended with: its open lots at the last closes and its equity.

        Parameters
        ----------
        result : BacktestResult
            A finished backtest (with its bars).

        Returns
        -------
        Portfolio
            Positions summed per symbol, cash chosen so NAV is the final equity, and the equity's
            running maximum as the peak.
        """
        lots = result.open_trades
        positions = lots.groupby("symbol")["size"].sum().to_dict() if len(lots) else {}
        prices = lots.groupby("symbol")["last_price"].last().to_dict() if len(lots) else {}
        equity = float(result.equity.iloc[-1])
        notional = sum(float(q) * float(prices[s]) for s, q in positions.items())
        return cls(positions={str(k): float(v) for k, v in positions.items()},
                   prices={str(k): float(v) for k, v in prices.items()}, cash=equity - notional,
                   peak_nav=float(result.equity.max()))


    def to_run_book(self) -> RunBook:
        """Return this book as a run history keeps it (decimal text of the exact floats).

        Returns
        -------
        athena.model.RunBook
            Positions, their marks, the cash and the peak NAV.
        """
        from athena.model import RunBook

        return RunBook(positions={s: Decimal(repr(q)) for s, q in self.positions.items()},
                       marks={s: Decimal(repr(self.prices[s])) for s in self.positions},
                       cash=Decimal(repr(self.cash)), peak_nav=Decimal(repr(self.peak)))

    @classmethod
    def from_run(cls, run: RunRecord) -> Portfolio:
        """Return the book a recorded backtest run ended with.

        Parameters
        ----------
        run : athena.model.RunRecord
            A run from ``Console.get_run``.

        Returns
        -------
        Portfolio
            Its final positions at their final marks, its cash and peak NAV.

        Raises
        ------
        InvalidInput
            When the run has no book: a sweep or walk-forward, a failed run, or a run recorded
            before runs kept their final positions.
        """
        if run.book is None:
            if run.kind != "backtest" or run.status != "completed":
                why = f"it is a {run.status} {run.kind}" if run.kind == "backtest" else f"it is a {run.kind}"
                raise InvalidInput(f"run {run.id[:12]} has no final book to stress: {why}; "
                                   "stress a completed backtest run")
            raise InvalidInput(f"run {run.id[:12]} was recorded before runs kept their final positions; "
                               "run the backtest again to record its book")
        book = run.book
        return cls(positions={s: float(q) for s, q in book.positions.items()},
                   prices={s: float(p) for s, p in book.marks.items()}, cash=float(book.cash),
                   peak_nav=float(book.peak_nav))


def read_positions(path: str | Path) -> dict[str, float]:
    """Read positions from a CSV (``symbol,quantity`` header) or JSON file (``{"BTC/USDT": 1.5}`` or a list).

    Parameters
    ----------
    path : str or pathlib.Path
        The file; ``price`` and ``stop`` columns are read by :func:`read_positions_table`.

    Returns
    -------
    dict of str to float
        Quantity per symbol.

    Raises
    ------
    InvalidInput
        When the file is missing, of another type, or a row is malformed (the message names it).
    """
    return {s: row["quantity"] for s, row in read_positions_table(path).items()}


def _rows(path: str | Path, value: str) -> tuple[str, list[dict[str, Any]]]:
    file = Path(path)
    if not file.is_file():
        raise InvalidInput(f"file not found: {file}")
    if file.suffix.lower() == ".json":
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{file.name}: not valid JSON: {exc}") from None
        if isinstance(data, dict):
            return file.name, [{"symbol": k, value: v} for k, v in data.items()]
        if isinstance(data, list) and all(isinstance(r, dict) for r in data):
            return file.name, [{str(k).strip().lower(): v for k, v in r.items()} for r in data]
        raise InvalidInput(f"{file.name}: expected {{symbol: {value}}} or a list of {{symbol, {value}}} rows")
    if file.suffix.lower() in (".csv", ".txt"):
        with file.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            if "symbol" not in header or value not in header:
                raise InvalidInput(f"{file.name}: the CSV header must name symbol and {value}, was {header}")
            return file.name, [{k.strip().lower(): v for k, v in r.items() if k} for r in reader]
    raise InvalidInput(f"{file.name}: must be a .csv or .json file")


def read_positions_table(path: str | Path) -> dict[str, dict[str, float]]:
    """Read a positions file with optional ``price`` and ``stop`` per symbol (see :func:`read_positions`).

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` or ``.json`` file; repeated symbols add up.

    Returns
    -------
    dict of str to dict
        Per symbol: ``quantity`` and, when given, ``price`` and ``stop``.

    Raises
    ------
    InvalidInput
        When the file is missing, of another type, or a row is malformed.
    """
    name, rows = _rows(path, "quantity")
    out: dict[str, dict[str, float]] = {}
    for n, row in enumerate(rows, start=1):
        symbol = str(row.get("symbol") or "").strip()
        if not symbol:
            raise InvalidInput(f"{name}: row {n} has no symbol")
        entry = {"quantity": out.get(symbol, {}).get("quantity", 0.0)
                 + _number(row.get("quantity"), f"{name}: row {n} quantity")}
        for key in ("price", "stop"):
            if row.get(key) not in (None, ""):
                entry[key] = _number(row[key], f"{name}: row {n} {key}")
        out[symbol] = {**out.get(symbol, {}), **entry}
    if not out:
        raise InvalidInput(f"{name}: no positions")
    return out


def read_prices(path: str | Path) -> dict[str, float]:
    """Read prices from a CSV (``symbol,price`` header) or JSON file (``{"BTC/USDT": 50000}`` or a list).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    dict of str to float
        Price per symbol (NaN where the file says NaN; a portfolio refuses those it holds).

    Raises
    ------
    InvalidInput
        When the file is missing, of another type, or a row is malformed.
    """
    name, rows = _rows(path, "price")
    out: dict[str, float] = {}
    for n, row in enumerate(rows, start=1):
        symbol = str(row.get("symbol") or "").strip()
        if not symbol:
            raise InvalidInput(f"{name}: row {n} has no symbol")
        try:
            out[symbol] = float(row.get("price"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidInput(f"{name}: row {n} price must be a number, was {row.get('price')!r}") from None
    return out


@dataclass(frozen=True)
class Breach:
    """A limit a stressed portfolio would break.

    Attributes
    ----------
    code : str
        Stable reason code, e.g. ``MAX_GROSS_LEVERAGE``.
    limit : float
        The limit's level.
    value : float
        The stressed value.
    symbol : str or None
        The position, for per-position limits.
    """

    code: str
    limit: float
    value: float
    symbol: str | None = None

    def __str__(self) -> str:
        where = f" {self.symbol}" if self.symbol else ""
        return f"{self.code}{where}: {self.value:,.4g} > {self.limit:,.4g}"


@dataclass(frozen=True)
class Limits:
    """Risk limits a stress result is checked against; None switches a limit off.

    The future mandate engine supplies one of these per mandate.

    Attributes
    ----------
    max_gross_leverage : float, optional
        Gross exposure over NAV.
    max_net_leverage : float, optional
        Absolute net exposure over NAV.
    max_drawdown : float, optional
        Fall from the NAV's peak, as a fraction (0.2 = 20%).
    max_loss : float, optional
        Scenario loss as a fraction of the NAV before.
    max_position_notional : float, optional
        Absolute notional of any one position.
    max_var : float, optional
        VaR as a fraction of NAV (checked when a VaR is known).
    max_margin_usage : float, optional
        Margin used over NAV (checked when the portfolio has a margin rate).
    """

    max_gross_leverage: float | None = None
    max_net_leverage: float | None = None
    max_drawdown: float | None = None
    max_loss: float | None = None
    max_position_notional: float | None = None
    max_var: float | None = None
    max_margin_usage: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                number = _number(value, f.name)
                if number < 0:
                    raise InvalidInput(f"limit {f.name} must be >= 0, was {value}")
                object.__setattr__(self, f.name, number)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> Limits:
        """Return limits from a mapping of field names to numbers, suggesting names for typos.

        Parameters
        ----------
        values : mapping of str to number
            For example ``{"max_gross_leverage": 3, "max_drawdown": 0.25}``.

        Returns
        -------
        Limits
            The limits.

        Raises
        ------
        InvalidInput
            For an unknown limit (with a suggestion) or a value that is not a number >= 0.
        """
        names = [f.name for f in fields(cls)]
        for key in values:
            if key not in names:
                near = get_close_matches(key, names, n=1)
                hint = f"; did you mean {near[0]!r}?" if near else f"; known limits: {', '.join(names)}"
                raise InvalidInput(f"unknown limit {key!r}{hint}")
        return cls(**{k: _number(v, k) for k, v in values.items()})

    def check(self, *, gross_leverage: float, net_leverage: float, drawdown: float, loss: float,
              notionals: Mapping[str, float], var: float | None = None,
              margin_usage: float | None = None) -> tuple[Breach, ...]:
        """Return the limits broken by a (stressed) portfolio state, in a stable order.

        Parameters
        ----------
        gross_leverage, net_leverage : float
            Gross and net exposure over NAV (infinite when NAV is not positive).
        drawdown, loss : float
            Fractions of the peak NAV and of the NAV before.
        notionals : mapping of str to float
            Signed notional per position.
        var : float, optional
            VaR as a fraction of NAV.
        margin_usage : float, optional
            Margin used over NAV.

        Returns
        -------
        tuple of Breach
            Empty when every limit holds.
        """
        checks: list[tuple[str, float | None, float | None, str | None]] = [
            ("MAX_GROSS_LEVERAGE", self.max_gross_leverage, gross_leverage, None),
            ("MAX_NET_LEVERAGE", self.max_net_leverage, abs(net_leverage), None),
            ("MAX_DRAWDOWN", self.max_drawdown, drawdown, None),
            ("MAX_LOSS", self.max_loss, loss, None),
            ("MAX_VAR", self.max_var, var, None),
            ("MAX_MARGIN_USAGE", self.max_margin_usage, margin_usage, None),
        ]
        checks += [("MAX_POSITION_NOTIONAL", self.max_position_notional, abs(n), s) for s, n in notionals.items()]
        return tuple(Breach(code, limit, value, symbol) for code, limit, value, symbol in checks
                     if limit is not None and value is not None and value > limit)
