"""Bring raw frames into the bar schema and refuse inconsistent data with specific errors.

Refused (``InvalidData``): a missing time or price column, unparseable timestamps or numbers,
unsorted or duplicate timestamps, NaN or infinite values, prices <= 0, negative volume, a high below
the open, close or low, a low above the open or close. Gaps (missing bars) are reported by
:func:`gaps`, never refused: markets close.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import numpy.typing as npt
import pandas as pd

from athena.data.bars import COLUMNS, Bars, nanos, parse_timeframe, timeframe_of
from athena.errors import InvalidData

__all__ = ["frames_from", "gaps", "validate"]

_TIME_COLUMNS = ("timestamp", "time", "datetime", "date", "open_time")
_PRICES = ("open", "high", "low", "close")


def validate(
    frame: pd.DataFrame, symbol: str | None = None, timeframe: str | None = None
) -> Bars:
    """Normalise ``frame`` into the bar schema, validate it and wrap it in ``Bars``.

    Parameters
    ----------
    frame : pandas.DataFrame
        OHLCV rows indexed by time or with a ``timestamp``/``time``/``datetime``/``date`` column;
        column names are case-insensitive; an optional ``symbol`` column holds several symbols.
        Naive timestamps are read as UTC; a missing ``volume`` column is read as zeros.
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
        When the data breaks the schema; the message names the symbol, row and values.
    """
    return Bars.from_frame(frame, symbol=symbol, timeframe=timeframe)


def frames_from(
    frame: pd.DataFrame, symbol: str | None, source: str
) -> dict[str, pd.DataFrame]:
    """Return validated bar-schema frames by symbol from one raw frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        The raw frame, as described in :func:`validate`.
    symbol : str, optional
        Used when the frame has no ``symbol`` column.
    source : str
        Names the origin (a path, ``"frame"``) in error messages.

    Returns
    -------
    dict[str, pandas.DataFrame]
        One frame per symbol, in order of first appearance.

    Raises
    ------
    InvalidData
        When the data breaks the schema.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidData(f"{source}: expected a pandas DataFrame, got {type(frame).__name__}")
    raw = frame.rename(columns=_lower)
    index = _timestamps(raw, source)
    missing = [c for c in _PRICES if c not in raw.columns]
    if missing:
        found = ", ".join(str(c) for c in raw.columns) or "none"
        raise InvalidData(f"{source}: missing column(s) {', '.join(missing)}; found {found}")
    data = {name: _numbers(raw, name, source) for name in COLUMNS}
    table = pd.DataFrame(data, index=index)
    if "symbol" in raw.columns:
        if symbol is not None:
            keep = np.asarray(raw["symbol"].astype(str) == symbol)
            if not keep.any():
                raise InvalidData(f"{source}: no rows for symbol {symbol!r}")
            groups = {symbol: table[keep]}
        else:
            labels = raw["symbol"].astype(str).to_numpy()
            groups = {s: table[labels == s] for s in pd.unique(labels)}
    else:
        groups = {symbol or "ASSET": table}
    if not groups or all(len(g) == 0 for g in groups.values()):
        raise InvalidData(f"{source}: no rows")
    for name, group in groups.items():
        _check(group, f"{source} [{name}]")
    return {name: group for name, group in groups.items()}


def gaps(bars: Bars) -> pd.DataFrame:
    """Return the gaps (runs of missing bars) of every symbol.

    Parameters
    ----------
    bars : Bars
        Validated bars.

    Returns
    -------
    pandas.DataFrame
        Columns ``symbol``, ``after`` (last bar before the gap), ``before`` (first bar after it)
        and ``missing`` (number of absent bars); empty when there is no gap.
    """
    step = parse_timeframe(bars.timeframe).value
    rows: list[dict[str, object]] = []
    for symbol, frame in bars.items():
        stamps = nanos(frame.index)
        diffs = np.diff(stamps)
        for k in np.flatnonzero(diffs > step):
            rows.append(
                {
                    "symbol": symbol,
                    "after": frame.index[k],
                    "before": frame.index[k + 1],
                    "missing": round(diffs[k] / step) - 1,
                }
            )
    return pd.DataFrame(rows, columns=["symbol", "after", "before", "missing"])


def _lower(name: Hashable) -> Hashable:
    return name.strip().lower() if isinstance(name, str) else name


def _timestamps(raw: pd.DataFrame, source: str) -> pd.DatetimeIndex:
    if isinstance(raw.index, pd.DatetimeIndex):
        values: pd.Series | pd.Index = raw.index
    else:
        column = next((c for c in _TIME_COLUMNS if c in raw.columns), None)
        if column is None:
            raise InvalidData(
                f"{source}: no timestamp column; expected a DatetimeIndex or one of "
                f"{', '.join(_TIME_COLUMNS)}"
            )
        values = raw[column]
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = np.asarray(values, dtype=np.float64)
        unit = "ms" if len(numbers) and np.nanmax(np.abs(numbers)) > 1e11 else "s"
        try:
            return pd.DatetimeIndex(pd.to_datetime(numbers, unit=unit, utc=True), name="timestamp")  # type: ignore[call-overload]
        except (ValueError, OverflowError) as exc:
            raise InvalidData(f"{source}: epoch timestamps out of range: {exc}") from None
    try:
        parsed = pd.to_datetime(values, utc=True, format="mixed")
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidData(f"{source}: unparseable timestamp: {exc}") from None
    return pd.DatetimeIndex(parsed, name="timestamp")


def _numbers(raw: pd.DataFrame, name: str, source: str) -> npt.NDArray[np.float64]:
    if name == "volume" and name not in raw.columns:
        return np.zeros(len(raw))
    column = raw[name]
    converted = pd.to_numeric(column, errors="coerce")
    bad = converted.isna() & column.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidData(f"{source}: {name} is not a number at row {row}: {column.iloc[row]!r}")
    return np.asarray(converted, dtype=np.float64)


def _fail(frame: pd.DataFrame, bad: npt.ArrayLike, what: str, where: str) -> None:
    rows = np.asarray(bad, dtype=np.bool_)
    first = int(np.flatnonzero(rows)[0])
    values = " ".join(f"{c}={float(frame[c].iloc[first])!r}" for c in COLUMNS)
    count = int(rows.sum())
    more = f" ({count} rows)" if count > 1 else ""
    raise InvalidData(f"{where}: {what} at {frame.index[first]} (row {first}){more}: {values}")


def _check(frame: pd.DataFrame, where: str) -> None:
    stamps = nanos(frame.index)
    if frame.index.hasnans:
        _fail(frame, frame.index.isna(), "missing timestamp", where)
    steps = np.diff(stamps)
    if (steps < 0).any():
        k = int(np.flatnonzero(steps < 0)[0]) + 1
        raise InvalidData(
            f"{where}: timestamps not sorted: {frame.index[k]} (row {k}) comes after {frame.index[k - 1]}"
        )
    if (steps == 0).any():
        k = int(np.flatnonzero(steps == 0)[0]) + 1
        raise InvalidData(f"{where}: duplicate timestamp {frame.index[k]} (rows {k - 1} and {k})")
    values = frame[list(COLUMNS)].to_numpy()
    nan = np.isnan(values).any(axis=1)
    if nan.any():
        _fail(frame, nan, "missing value (NaN)", where)
    inf = np.isinf(values).any(axis=1)
    if inf.any():
        _fail(frame, inf, "infinite value", where)
    o, h, low, c, v = values.T
    nonpositive = (values[:, :4] <= 0).any(axis=1)
    if nonpositive.any():
        _fail(frame, nonpositive, "price <= 0", where)
    if (v < 0).any():
        _fail(frame, v < 0, "negative volume", where)
    if (h < np.maximum(o, c)).any():
        _fail(frame, h < np.maximum(o, c), "high below open/close", where)
    if (low > np.minimum(o, c)).any():
        _fail(frame, low > np.minimum(o, c), "low above open/close", where)


def infer_timeframe(frames: dict[str, pd.DataFrame]) -> str:
    """Return the timeframe of the first symbol with at least two bars.

    Parameters
    ----------
    frames : dict[str, pandas.DataFrame]
        Bar-schema frames by symbol.

    Returns
    -------
    str
        The timeframe string.
    """
    for frame in frames.values():
        if len(frame) > 1:
            return timeframe_of(frame.index)  # type: ignore[arg-type]
    return "1d"
