"""The one bar schema and the multi-symbol container ``Bars``.

A bar frame is a pandas DataFrame indexed by a UTC ``DatetimeIndex`` named ``timestamp``, strictly
increasing, with the float64 columns ``open, high, low, close, volume``. ``Bars`` holds one such
frame per symbol, all of the same timeframe. It is frozen: its frames are private copies taken at
construction, and every operation returns a new ``Bars``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.errors import InvalidData, InvalidInput

__all__ = ["COLUMNS", "Bars", "nanos", "parse_timeframe", "timeframe_of"]

COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")

_UNITS = {"s": "s", "m": "min", "h": "h", "d": "D", "w": "W"}
_TIMEFRAME = re.compile(r"^(\d+)([smhdw])$")


def nanos(index: pd.Index) -> npt.NDArray[np.int64]:
    """Return the int64 nanoseconds since the epoch of a ``DatetimeIndex``.

    Parameters
    ----------
    index : pandas.Index
        A ``DatetimeIndex``.

    Returns
    -------
    numpy.ndarray of int64
        The timestamps.
    """
    return np.asarray(cast(pd.DatetimeIndex, index).asi8, dtype=np.int64)


def parse_timeframe(timeframe: str) -> pd.Timedelta:
    """Return the duration of one bar of ``timeframe``.

    Parameters
    ----------
    timeframe : str
        A count and a unit: ``s``, ``m`` (minutes), ``h``, ``d`` or ``w``, e.g. ``"1m"``, ``"4h"``.

    Returns
    -------
    pandas.Timedelta
        The bar duration.

    Raises
    ------
    InvalidInput
        When the string is not a timeframe.
    """
    match = _TIMEFRAME.match(timeframe)
    if match is None or int(match.group(1)) == 0:
        raise InvalidInput(
            f"timeframe must look like 1m, 5m, 1h, 1d or 1w, was {timeframe!r}"
        )
    return pd.Timedelta(int(match.group(1)), unit=_UNITS[match.group(2)])  # type: ignore[arg-type]


def timeframe_of(index: pd.DatetimeIndex) -> str:
    """Return the timeframe string of the median spacing of ``index``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Sorted timestamps, at least two.

    Returns
    -------
    str
        For example ``"1m"`` or ``"1d"``; ``"1d"`` for fewer than two timestamps.
    """
    if len(index) < 2:
        return "1d"
    step = pd.Timedelta(np.median(np.diff(index.asi8)), unit="ns")
    seconds = int(step.total_seconds())
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 1)}s"


def _frozen_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {name: np.array(frame[name], dtype=np.float64) for name in COLUMNS},
        index=frame.index.copy(),
    )


@dataclass(frozen=True, eq=False)
class Bars(Mapping[str, pd.DataFrame]):
    """Validated OHLCV bars of one or more symbols sharing one timeframe.

    ``Bars`` is a read-only mapping ``symbol -> DataFrame`` (each frame in the bar schema, see the
    module docstring). Build it with :func:`athena.data.load`, :func:`athena.data.synthetic` or
    :meth:`Bars.from_frame`; those validate the data.

    Parameters
    ----------
    frames : Mapping[str, pandas.DataFrame]
        Frames already in the bar schema, by symbol, in the order symbols should be processed.
    timeframe : str
        The bar timeframe, e.g. ``"1m"``.
    """

    frames: Mapping[str, pd.DataFrame]
    timeframe: str
    _fingerprint: list[str] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        parse_timeframe(self.timeframe)
        if not self.frames:
            raise InvalidData("bars must hold at least one symbol")
        object.__setattr__(
            self, "frames", {str(s): _frozen_frame(f) for s, f in self.frames.items()}
        )

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        symbol: str | None = None,
        timeframe: str | None = None,
    ) -> Bars:
        """Validate one frame (or a long frame with a ``symbol`` column) and wrap it.

        Parameters
        ----------
        frame : pandas.DataFrame
            OHLCV data indexed by time, or with a time column; column names are case-insensitive.
        symbol : str, optional
            The symbol when the frame has no ``symbol`` column; defaults to ``"ASSET"``.
        timeframe : str, optional
            Defaults to the median spacing of the timestamps.

        Returns
        -------
        Bars
            The validated bars.

        Raises
        ------
        InvalidData
            When the frame does not satisfy the bar schema.
        """
        from athena.data.validation import frames_from, infer_timeframe

        frames = frames_from(frame, symbol=symbol, source="frame")
        return cls(frames, timeframe or infer_timeframe(frames))

    def __getitem__(self, symbol: str) -> pd.DataFrame:
        try:
            return self.frames[symbol]
        except KeyError:
            raise InvalidInput(
                f"unknown symbol {symbol!r}; bars hold {', '.join(self.frames)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.frames)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        parts = [f"{s}: {len(f)} bars" for s, f in self.frames.items()]
        first = min(f.index[0] for f in self.frames.values() if len(f))
        last = max(f.index[-1] for f in self.frames.values() if len(f))
        return f"Bars({self.timeframe}, {first} .. {last}, {'; '.join(parts)})"

    @property
    def symbols(self) -> tuple[str, ...]:
        """Return the symbols in processing order."""
        return tuple(self.frames)

    @property
    def frame(self) -> pd.DataFrame:
        """Return the only frame; raise ``InvalidInput`` when there are several symbols."""
        if len(self.frames) != 1:
            raise InvalidInput(
                f"bars hold {len(self.frames)} symbols ({', '.join(self.frames)}); pick one with bars[symbol]"
            )
        return next(iter(self.frames.values()))

    @property
    def n_bars(self) -> int:
        """Return the total number of bars over all symbols."""
        return sum(len(f) for f in self.frames.values())

    def to_long(self) -> pd.DataFrame:
        """Return one frame with a ``symbol`` column, sorted by time then symbol order."""
        parts = [f.assign(symbol=s) for s, f in self.frames.items()]
        long = pd.concat(parts)
        order = np.lexsort(
            (
                np.repeat(np.arange(len(parts)), [len(p) for p in parts]),
                nanos(long.index),
            )
        )
        return cast(pd.DataFrame, long.iloc[order])

    def slice(self, start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None) -> Bars:
        """Return the bars with ``start <= timestamp < end`` (either bound may be omitted).

        Parameters
        ----------
        start, end : pandas.Timestamp or str, optional
            Bounds; naive values are read as UTC.

        Returns
        -------
        Bars
            The selected bars; symbols left with no bar are dropped.
        """
        lo = _utc(start)
        hi = _utc(end)
        frames: dict[str, pd.DataFrame] = {}
        for symbol, frame in self.frames.items():
            mask = np.ones(len(frame), dtype=bool)
            if lo is not None:
                mask &= frame.index >= lo
            if hi is not None:
                mask &= frame.index < hi
            if mask.any():
                frames[symbol] = frame[mask]
        return Bars(frames, self.timeframe)

    def fingerprint(self) -> str:
        """Return a SHA-256 hex digest of the timeframe, symbols, timestamps and values."""
        if not self._fingerprint:
            digest = hashlib.sha256(self.timeframe.encode())
            for symbol, frame in self.frames.items():
                digest.update(symbol.encode())
                digest.update(nanos(frame.index).tobytes())
                for name in COLUMNS:
                    digest.update(frame[name].to_numpy().tobytes())
            self._fingerprint.append(digest.hexdigest())
        return self._fingerprint[0]


def _utc(value: pd.Timestamp | str | None) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
