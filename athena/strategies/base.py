"""The ``Strategy`` base class: typed parameters, hooks and keyword-only order methods.

A strategy declares its parameters as annotated class attributes (``fast: int = 10``), computes its
indicators once in :meth:`Strategy.init`, and reacts in :meth:`Strategy.on_bar` and
:meth:`Strategy.on_fill`. It trades through a broker the runner binds (the backtester or the live
loop), so the same class runs in both.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from athena.data.bars import Bars
from athena.errors import InvalidOrder, InvalidParameter
from athena.strategies.orders import Fill, Order, Position

__all__ = ["BarView", "Broker", "Strategy", "suggest"]

_PARAM_TYPES = (bool, int, float, str)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def suggest(name: str, choices: typing.Iterable[str]) -> str:
    """Return a "did you mean" hint for ``name`` among ``choices`` (empty when none is close).

    Parameters
    ----------
    name : str
        The unknown name.
    choices : iterable of str
        The known names.

    Returns
    -------
    str
        ``"; did you mean 'x'?"``, or ``""``.
    """
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


class BarView:
    """The bar being processed, handed to ``on_bar``; one object is reused for every bar.

    ``i`` is the bar's row in its symbol's frame, so ``self.sig[bar.i]`` reads an indicator array
    computed in ``init``. Keep the values you need, not the view: it moves on to the next bar.
    """

    __slots__ = ("_close", "_high", "_index", "_low", "_open", "_volume", "i", "symbol")

    def __init__(self) -> None:
        self.i = 0
        self.symbol = ""
        self._index: pd.DatetimeIndex = pd.DatetimeIndex([], tz="UTC")
        self._open = self._high = self._low = self._close = self._volume = np.empty(0)

    def attach(self, symbol: str, frame: pd.DataFrame) -> None:
        """Point the view at ``symbol``'s frame; runners call this once per symbol.

        Parameters
        ----------
        symbol : str
            The symbol.
        frame : pandas.DataFrame
            Its bars, in the bar schema.
        """
        self.symbol = symbol
        self._index = frame.index  # type: ignore[assignment]
        self._open = frame["open"].to_numpy()
        self._high = frame["high"].to_numpy()
        self._low = frame["low"].to_numpy()
        self._close = frame["close"].to_numpy()
        self._volume = frame["volume"].to_numpy()

    @property
    def time(self) -> pd.Timestamp:
        """Return the bar's UTC timestamp."""
        return self._index[self.i]

    @property
    def open(self) -> float:
        """Return the open price."""
        return float(self._open[self.i])

    @property
    def high(self) -> float:
        """Return the high price."""
        return float(self._high[self.i])

    @property
    def low(self) -> float:
        """Return the low price."""
        return float(self._low[self.i])

    @property
    def close(self) -> float:
        """Return the close price."""
        return float(self._close[self.i])

    @property
    def volume(self) -> float:
        """Return the volume."""
        return float(self._volume[self.i])

    def __repr__(self) -> str:
        return (
            f"BarView({self.symbol} {self.time} o={self.open} h={self.high} "
            f"l={self.low} c={self.close} v={self.volume})"
        )


class Broker(Protocol):
    """What a runner (backtester, live loop) offers a strategy."""

    def submit(
        self,
        *,
        side: int,
        symbol: str | None,
        size: float | None,
        limit: float | None,
        stop: float | None,
        weight: float | None,
        close: bool,
        tag: str | None,
    ) -> int:
        """Accept an order and return its id."""
        ...

    def cancel(self, order_id: int) -> bool:
        """Cancel an open order; return whether it was open."""
        ...

    def position(self, symbol: str | None) -> Position:
        """Return the position of ``symbol`` (the only symbol when ``None``)."""
        ...

    def size_of(self, symbol: str | None) -> float:
        """Return the signed position size of ``symbol`` (cheaper than ``position``)."""
        ...

    def open_orders(self) -> tuple[Order, ...]:
        """Return the open orders."""
        ...

    @property
    def cash(self) -> float:
        """Return free cash."""
        ...

    @property
    def equity(self) -> float:
        """Return cash plus positions marked at their last close."""
        ...


class Strategy:
    """Base class of every strategy.

    Declare parameters as annotated class attributes with defaults; pass overrides as keywords::

        class SmaCross(Strategy):
            fast: int = 10
            slow: int = 30

            def validate(self) -> None:
                if self.fast >= self.slow:
                    raise InvalidParameter(
                        f"fast must be < slow, was fast={self.fast} slow={self.slow}"
                    )

    Parameters
    ----------
    **params
        Parameter values; strings are converted to the declared type (for command lines).

    Raises
    ------
    InvalidParameter
        For an unknown name (with "did you mean"), a value of the wrong type, or a failed
        :meth:`validate`.
    """

    name: ClassVar[str] = "strategy"
    parameters: ClassVar[Mapping[str, type]] = MappingProxyType({})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
        hints = typing.get_type_hints(cls)
        params: dict[str, type] = {}
        for key, hint in hints.items():
            if key.startswith("_") or typing.get_origin(hint) is ClassVar or hint is ClassVar:
                continue
            if hasattr(Strategy, key):
                raise TypeError(f"{cls.__name__}.{key}: the name is taken by Strategy itself")
            if hint not in _PARAM_TYPES:
                raise TypeError(
                    f"{cls.__name__}.{key}: parameters must be bool, int, float or str, was {hint!r}"
                )
            params[key] = hint
        cls.parameters = MappingProxyType(params)

    def __init__(self, **params: object) -> None:
        known = type(self).parameters
        for key, value in params.items():
            if key not in known:
                listed = ", ".join(known) or "none"
                raise InvalidParameter(
                    f"unknown parameter {key!r} for strategy {self.name!r}{suggest(key, known)} "
                    f"(parameters: {listed})"
                )
            setattr(self, key, _coerce(self.name, key, known[key], value))
        missing = [k for k in known if not hasattr(self, k)]
        if missing:
            raise InvalidParameter(
                f"strategy {self.name!r} needs parameter(s) {', '.join(missing)}"
            )
        self._broker: Broker | None = None
        self.data: Bars | None = None
        self.validate()

    @property
    def params(self) -> dict[str, object]:
        """Return the parameter values by name."""
        return {key: getattr(self, key) for key in type(self).parameters}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def validate(self) -> None:
        """Check parameters together; raise ``InvalidParameter`` naming the values."""

    def init(self) -> None:
        """Prepare indicators from ``self.data`` before the first bar."""

    def on_bar(self, bar: BarView) -> None:
        """React to a closed bar of ``bar.symbol``."""

    def on_fill(self, fill: Fill) -> None:
        """React to an execution of one of this strategy's orders."""

    def bind(self, broker: Broker, data: Bars) -> None:
        """Attach the runner's broker and the data; runners call this before ``init``.

        Parameters
        ----------
        broker : Broker
            Executes orders and reports positions.
        data : Bars
            The bars the strategy may read in ``init``.
        """
        self._broker = broker
        self.data = data

    @property
    def bars(self) -> Bars:
        """Return the bound data; raise ``InvalidOrder`` when the strategy is not running."""
        if self.data is None:
            raise InvalidOrder(f"strategy {self.name!r} is not running; it has no data")
        return self.data

    @property
    def symbols(self) -> tuple[str, ...]:
        """Return the symbols of the bound data."""
        return self.data.symbols if self.data is not None else ()

    def _need_broker(self) -> Broker:
        if self._broker is None:
            raise InvalidOrder(f"strategy {self.name!r} is not running; orders need a backtest or the engine")
        return self._broker

    def buy(
        self,
        *,
        size: float | None = None,
        symbol: str | None = None,
        limit: float | None = None,
        stop: float | None = None,
        weight: float | None = None,
        tag: str | None = None,
    ) -> int:
        """Submit a buy order and return its id.

        Parameters
        ----------
        size : float, optional
            Units to buy; ``None`` buys with all free cash at fill time (after covering a short).
        symbol : str, optional
            Needed when the data holds several symbols.
        limit : float, optional
            Limit price: fill at this price or better.
        stop : float, optional
            Stop price: becomes a market order once the price trades at or above it.
        weight : float, optional
            With ``size=None``: spend at most this fraction of equity, in ``(0, 1]``.
        tag : str, optional
            Free text kept on the order and its trades.

        Returns
        -------
        int
            The order id.

        Raises
        ------
        InvalidOrder
            When the size, prices, weight or symbol are invalid.
        """
        return self._need_broker().submit(
            side=1, symbol=symbol, size=size, limit=limit, stop=stop, weight=weight, close=False, tag=tag
        )

    def sell(
        self,
        *,
        size: float | None = None,
        symbol: str | None = None,
        limit: float | None = None,
        stop: float | None = None,
        weight: float | None = None,
        tag: str | None = None,
    ) -> int:
        """Submit a sell order and return its id; ``size=None`` closes a long, then shorts all-in.

        Parameters
        ----------
        size : float, optional
            Units to sell; ``None`` flattens a long position and then goes short with all equity.
        symbol : str, optional
            Needed when the data holds several symbols.
        limit : float, optional
            Limit price: fill at this price or better.
        stop : float, optional
            Stop price: becomes a market order once the price trades at or below it.
        weight : float, optional
            With ``size=None``: short at most this fraction of equity, in ``(0, 1]``.
        tag : str, optional
            Free text kept on the order and its trades.

        Returns
        -------
        int
            The order id.

        Raises
        ------
        InvalidOrder
            When the size, prices, weight or symbol are invalid.
        """
        return self._need_broker().submit(
            side=-1, symbol=symbol, size=size, limit=limit, stop=stop, weight=weight, close=False, tag=tag
        )

    def close(
        self,
        *,
        symbol: str | None = None,
        limit: float | None = None,
        stop: float | None = None,
        tag: str | None = None,
    ) -> int:
        """Submit an order that flattens the position at fill time and return its id.

        Parameters
        ----------
        symbol : str, optional
            Needed when the data holds several symbols.
        limit, stop : float, optional
            Price conditions, as for :meth:`buy` and :meth:`sell`.
        tag : str, optional
            Free text kept on the order and its trades.

        Returns
        -------
        int
            The order id; the order is cancelled if the position is flat when it fills.
        """
        return self._need_broker().submit(
            side=0, symbol=symbol, size=None, limit=limit, stop=stop, weight=None, close=True, tag=tag
        )

    def cancel(self, order_id: int) -> bool:
        """Cancel an open order.

        Parameters
        ----------
        order_id : int
            The id returned by :meth:`buy`, :meth:`sell` or :meth:`close`.

        Returns
        -------
        bool
            Whether the order was still open.
        """
        return self._need_broker().cancel(order_id)

    @property
    def position(self) -> Position:
        """Return the position of the only symbol (use :meth:`position_of` with several)."""
        return self._need_broker().position(None)

    def size_of(self, symbol: str | None = None) -> float:
        """Return the signed position size of ``symbol`` (the only symbol when omitted).

        Parameters
        ----------
        symbol : str, optional
            Needed when the data holds several symbols.

        Returns
        -------
        float
            Units held; negative when short, 0 when flat.
        """
        return self._need_broker().size_of(symbol)

    def position_of(self, symbol: str) -> Position:
        """Return the position of ``symbol``.

        Parameters
        ----------
        symbol : str
            A symbol of the data.

        Returns
        -------
        Position
            Signed size and average price.
        """
        return self._need_broker().position(symbol)

    @property
    def orders(self) -> tuple[Order, ...]:
        """Return the open orders."""
        return self._need_broker().open_orders()

    @property
    def cash(self) -> float:
        """Return free cash."""
        return self._need_broker().cash

    @property
    def equity(self) -> float:
        """Return cash plus positions marked at their last close."""
        return self._need_broker().equity


def _coerce(strategy: str, key: str, kind: type, value: object) -> object:
    if isinstance(value, str) and kind is not str:
        text = value.strip()
        try:
            if kind is bool:
                if text.lower() in _TRUE:
                    return True
                if text.lower() in _FALSE:
                    return False
                raise ValueError(text)
            return kind(text)
        except ValueError:
            raise InvalidParameter(
                f"{key} must be {kind.__name__} for strategy {strategy!r}, was {value!r}"
            ) from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) is not kind and not (kind is float and isinstance(value, np.floating)):
        if kind is int and isinstance(value, np.integer):
            return int(value)
        raise InvalidParameter(
            f"{key} must be {kind.__name__} for strategy {strategy!r}, was {value!r}"
        )
    return value
